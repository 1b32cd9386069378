"""Codes a file names on more than one line, as the admin's preview warns of them.

The contract takes a request's lines in order, as if sent one by one
(customers/batch/match.py): a later line with the code of an earlier one matches the
customer that line created or wrote, so what it does depends on the mode and on whether
the customer was already here. Staff rarely mean a code twice; the preview says which
lines share one and what the import will do with them, in the file's line numbers.

The codes are collected as the preview's run reads each line (the import's values_read
hook), so the file is not read a second time; lines the preview lists as failing are
left out, as the engine takes no customer from them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from accounts.models import Account
from campaigns.models import Campaign
from core.wording import say

from .batch.types import LineError, OverwriteMode, ValuesRead
from .preview_sample import amount_said
from .selectors import existing_values
from .spreadsheet import DECIMAL_COMMA

# Warnings listed at most; the rest are counted in one more line.
REPEATED_SHOWN = 20
BOTH = "Lines {first} and {second} both have code {code}: "
ALL = "Lines {lines} and {last} all have code {code}: "
# A code on very many lines: its first lines are named, the rest counted.
LINES_NAMED = 5
ALL_MANY = "Lines {lines} and {more:,} more lines all have code {code}: "
# (already here, mode) -> what the lines do, with {later}/{earlier} said for two lines or more.
EFFECTS = {
    (False, OverwriteMode.UPDATE): "{later} updates the customer {earlier} creates.",
    (False, OverwriteMode.YES): ("{later} replaces the values of the customer {earlier} creates."),
    (False, OverwriteMode.IGNORE): (
        "{later} is skipped, because the customer {earlier} creates is then already here."
    ),
    (True, OverwriteMode.UPDATE): (
        "the customer is already here and each line updates it in turn, so the last "
        "line's values are kept."
    ),
    (True, OverwriteMode.YES): (
        "the customer is already here and each line replaces its values in turn, so the "
        "last line's values are kept."
    ),
    (True, OverwriteMode.IGNORE): "the customer is already here, so every one of them is skipped.",
}
TWO = {"later": "the later line", "earlier": "the earlier one"}
MORE = {"later": "each later line", "earlier": "the first one"}
MORE_REPEATED = "… and {count:more code} on more than one line."
# Update and Replace write every line, and each written line is credited (the contract):
# staff expect one credit per customer, so the total is said plainly (issue 14).
CREDITED_MODES = (OverwriteMode.UPDATE, OverwriteMode.YES)
ADDED = " Each line's credit is added, so customer {code} gets {which}: {terms} = {total}."
BOTH_CREDITS = "both"
ALL_CREDITS = "all of them"


class CodeLines:
    """A values_read hook that also keeps the code each line names (the preview's)."""

    def __init__(self, read: ValuesRead, code_index: int | None, credit_index: int | None = None):
        self.read = read
        self.code_index = code_index
        self.credit_index = credit_index
        # Line -> code: a run retried after a conflict reads the lines again, idempotently.
        self.codes: dict[int, str] = {}
        # Line -> its auto_add, as read (a decimal comma read as a point), for the lines
        # that have one.
        self.credits: dict[int, str] = {}
        # Line -> its auto_add as the file writes it, where that is not as read (12,50 read
        # as 12.50): an error about the value quotes the file's text.
        self.credits_written: dict[int, str] = {}
        # Whether a credit was written with a decimal comma: the failed-lines file writes
        # the credits back so (customers/failed_lines_file.py).
        self.decimal_comma = False

    def __call__(self, line: int, as_read: list[str]) -> list[str] | None:
        values = self.read(line, as_read)
        if values is None:
            return None
        index = self.code_index
        if index is not None and index < len(values) and values[index]:
            self.codes[line] = values[index]
        index = self.credit_index
        if index is not None and index < len(values) and values[index].strip():
            self.credits[line] = values[index].strip()
            written = as_read[index].strip() if index < len(as_read) else ""
            if written and written != self.credits[line]:
                self.credits_written[line] = written
                self.decimal_comma = self.decimal_comma or bool(DECIMAL_COMMA.fullmatch(written))
        return values


def repeated_code_warnings(
    *,
    account: Account,
    codes: dict[int, str],
    errors: list[LineError],
    mode: OverwriteMode,
    file_line: Callable[[int], int],
    credits: dict[int, str] | None = None,
    campaign: Campaign | None = None,
) -> list[str]:
    """One warning per code on several lines that did not fail (the first REPEATED_SHOWN
    by their first line, then a count of the rest), lines numbered as the file's."""
    failed = {error.line for error in errors}
    lines_of: dict[str, list[int]] = {}
    for line in sorted(codes):
        if line not in failed:
            lines_of.setdefault(codes[line], []).append(line)
    repeated = [(code, lines) for code, lines in lines_of.items() if len(lines) > 1]
    shown = repeated[:REPEATED_SHOWN]
    here = existing_values(account=account, field="code", values={code for code, _ in shown})
    warnings = [
        _warning(code, [file_line(n) for n in lines], code in here, mode)
        + _credits_added(code, lines, mode, credits or {}, campaign)
        for code, lines in shown
    ]
    if len(repeated) > REPEATED_SHOWN:
        warnings.append(say(MORE_REPEATED, count=len(repeated) - REPEATED_SHOWN))
    return warnings


def _warning(code: str, lines: list[int], already_here: bool, mode: OverwriteMode) -> str:
    if len(lines) == 2:
        start = BOTH.format(first=lines[0], second=lines[1], code=code)
        words = TWO
    elif len(lines) > LINES_NAMED + 1:
        named = ", ".join(map(str, lines[:LINES_NAMED]))
        start = ALL_MANY.format(lines=named, more=len(lines) - LINES_NAMED, code=code)
        words = MORE
    else:
        start = ALL.format(lines=", ".join(map(str, lines[:-1])), last=lines[-1], code=code)
        words = MORE
    return start + EFFECTS[(already_here, mode)].format(**words)


def _credits_added(
    code: str,
    lines: list[int],
    mode: OverwriteMode,
    credits: dict[int, str],
    campaign: Campaign | None,
) -> str:
    """What the customer is credited in all, when several of its lines each credit it."""
    if campaign is None or mode not in CREDITED_MODES:
        return ""
    given = [credits[line] for line in lines if line in credits]
    if len(given) < 2:
        return ""
    if campaign.type == Campaign.Type.BUYX:
        # Each auto_add names an item: one purchase per line.
        amounts = [Decimal(1)] * len(given)
    else:
        try:
            amounts = [Decimal(text) for text in given]
        except InvalidOperation:
            return ""  # Such a line fails, and the preview lists it.
    return ADDED.format(
        code=code,
        which=BOTH_CREDITS if len(amounts) == 2 else ALL_CREDITS,
        terms=" + ".join(campaign.shown_amount(amount) for amount in amounts),
        total=amount_said(campaign, sum(amounts, Decimal(0))),
    )
