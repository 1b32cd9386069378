"""Codes that differ from a customer's only in capitals, as the admin refuses or warns of them.

The contract matches codes exactly (customers/batch/match.py): c006 is another customer than
C006, and the API, the engine and the unique constraint keep it so. In the admin, though,
staff type and import codes by hand, and the search finds both for "c006", so nobody would
notice two customers. So the customer form refuses such a code, and the import's preview
warns of the file's lines that have one (they are added as new customers; confirming stays
allowed). Capitals are those of A to Z only, alike on SQLite and PostgreSQL
(customers/selectors.py, codes_ignoring_capitals; docs/decisions.md).

The preview's codes are those CodeLines (customers/repeated_codes.py) collected as the run
read each line; lines the preview lists as failing are left out.
"""

from __future__ import annotations

from collections.abc import Callable

from accounts.models import Account
from core.wording import say

from .batch.types import LineError
from .selectors import capitals_folded, codes_ignoring_capitals
from .values import trimmed

# The customer form's refusal, on the code field.
OTHER_CAPITALS = (
    "Another customer of this account has code {existing}, which differs only in capitals: "
    "use another code, or edit {existing} instead."
)
# Lines named at most; the rest are counted.
CAPITALS_NAMED = 5
# {which}: "Line 3 (c001)", "Lines 3 (c001) and 7 (c006)", "Rows 3 (c001), ... and 4 more".
CAPITALS_WARNING = (
    "{which} {count:has/have} a code that differs only in capitals from an existing "
    "customer's ({existing}): {count:it is added as a new customer/they are added as new "
    "customers}. Write the code as the existing customer has it to update that customer."
)
CAPITALS_LINE = "{line} ({code})"
CAPITALS_MORE = " and {more:,} more"


def other_capitals(*, account: Account, code: str, customer_id: int | None) -> str | None:
    """The code of another customer of the account (not `customer_id`) that differs from
    `code` only in capitals, or None (also when one has `code` itself: the unique check
    says so)."""
    others = codes_ignoring_capitals(account=account, codes={code}, excluding=customer_id)
    if not others or code in others:
        return None
    return min(others)


def capitals_warning(
    *,
    account: Account,
    codes: dict[int, str],
    errors: list[LineError],
    file_line: Callable[[int], int],
    line_label: str,
) -> str:
    """The preview's warning of the lines that did not fail whose code no customer of the
    account has but one has in other capitals, the first CAPITALS_NAMED by their file's
    numbers, or ''. One query for all the lines."""
    failed = {error.line for error in errors}
    given = {line: trimmed(codes[line]) for line in sorted(codes) if line not in failed}
    here = codes_ignoring_capitals(account=account, codes=set(given.values()))
    if not here:
        return ""
    by_folded: dict[str, list[str]] = {}
    for code in sorted(here):
        by_folded.setdefault(capitals_folded(code), []).append(code)
    lines = [
        (line, code, by_folded[capitals_folded(code)])
        for line, code in given.items()
        if code not in here and capitals_folded(code) in by_folded
    ]
    if not lines:
        return ""
    said = [
        CAPITALS_LINE.format(line=f"{file_line(line):,}", code=code)
        for line, code, _ in lines[:CAPITALS_NAMED]
    ]
    existing = list(dict.fromkeys(code for *_, found in lines[:CAPITALS_NAMED] for code in found))
    if len(lines) > CAPITALS_NAMED:
        named = ", ".join(said) + say(CAPITALS_MORE, more=len(lines) - CAPITALS_NAMED)
        existing.append("…")
    else:
        named = " and ".join(filter(None, [", ".join(said[:-1]), said[-1]]))
    which = f"{line_label}{'s' if len(lines) > 1 else ''} {named}"
    return say(CAPITALS_WARNING, which=which, count=len(lines), existing=", ".join(existing))
