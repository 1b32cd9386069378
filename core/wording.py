"""Counts in sentences staff read: "1 customer", "2,345 customers", never "customer(s)".

A message template names a count's noun in its format spec, and say() fills it:
`say("{count:customer} {count:was/were} deleted.", count=2345)` is "2,345 customers were
deleted."; `{count:,}` is the number alone, with thousands separators, and `{pk}` stays a
plain number (an id is not a quantity). size_said() says a number of bytes: "280.0 MB"."""

from typing import Any


class Counted(int):
    """An int that formats as a count: a noun spec pluralises, "a/b" picks by number."""

    def __format__(self, spec: str) -> str:
        if not spec:
            return str(int(self))
        if spec == ",":
            return f"{int(self):,}"
        if "/" in spec:
            one, many = spec.split("/", 1)
            return one if self == 1 else many
        return f"{int(self):,} {spec if self == 1 else spec + 's'}"


def say(template: str, **values: Any) -> str:
    """`template` filled with `values`, every int among them a Counted."""
    return template.format(
        **{
            name: Counted(value)
            if isinstance(value, int) and not isinstance(value, bool)
            else value
            for name, value in values.items()
        }
    )


def size_said(size: int) -> str:
    """`size` bytes in decimal units, never reading 0 unless it is 0: "280.0 MB", "1.5 KB",
    "30 bytes" (a tenth of a megabyte said "0.0 MB" for a small cap)."""
    if size < 1_000:
        return f"{size:,} {'byte' if size == 1 else 'bytes'}"
    kilobytes = round(size / 1_000, 1)
    if kilobytes < 1_000:
        return f"{kilobytes:,.1f} KB"
    return f"{size / 1_000_000:,.1f} MB"
