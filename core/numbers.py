"""Numbers read from request input (form parameters, parameter names, headers)."""

from __future__ import annotations


def bounded_number(text: str, *, low: int, high: int) -> int | None:
    """The decimal number `text` (ASCII digits only, leading zeros allowed) when it lies
    from `low` to `high`, else None. int() is called only on as many digits as `high` has:
    Python refuses to convert more than 4,300 digits (a ValueError the caller never
    expected), and converting a long one is slow."""
    if not (text.isascii() and text.isdigit()):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(high)):
        return None
    number = int(digits)
    return number if low <= number <= high else None
