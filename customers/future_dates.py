"""Birthdays in the future, as the admin's preview warns of them.

The customer form refuses a birthday after today (customers/rules.py, not_in_future); an
import takes it, since the contract takes every real YYYY-MM-DD date and some shops keep
another date than a birthday in custom_date (docs/decisions.md). So the admin's preview
warns, naming the lines, and the import stays the API's. The dates are collected as the
preview's run reads each line (the import's values_read hook, after the file's dates were
converted to year-month-day), so the file is not read a second time; lines the preview
lists as failing are left out.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from core.wording import say

from .batch.types import LineError, ValuesRead
from .file_headers import column_label
from .rules import ISO_DATE
from .values import TRIMMED

# Lines named at most; the rest are counted.
FUTURE_NAMED = 5
# {which}: "Line 3 (2090-01-01)", "Rows 3 (2090-01-01), 7 (2091-05-05) and 4 more".
FUTURE_DATES = (
    "{which} {count:has/have} a {label} after today ({today}). {count:It is/They are} "
    "imported as written, though a birthday cannot be in the future: check "
    "{count:it/them} before you confirm (unless the column holds other dates than "
    "birthdays)."
)
FUTURE_LINE = "{line} ({date})"
FUTURE_MORE = " and {more:,} more"


class FutureDates:
    """A values_read hook that keeps, after `read`, each line's custom_date (the column
    `index`, from 0) that is a real date after `today`."""

    def __init__(self, read: ValuesRead, index: int | None, *, today: datetime.date):
        self.read = read
        self.index = index
        self.today = today
        # Line -> its date: a run retried after a conflict reads the lines again.
        self.dates: dict[int, datetime.date] = {}

    def __call__(self, line: int, as_read: list[str]) -> list[str] | None:
        values = self.read(line, as_read)
        index = self.index
        if values is None or index is None or index >= len(values):
            return values
        text = values[index].strip(TRIMMED)
        # Only YYYY-MM-DD reaches the engine as a date (anything else fails the line), and
        # such texts compare as their dates do.
        if ISO_DATE.match(text) and text > self.today.isoformat():
            try:
                self.dates[line] = datetime.date.fromisoformat(text)
            except ValueError:
                pass  # No real date: the line fails.
        return values


def future_date_warning(
    *,
    dates: dict[int, datetime.date],
    errors: list[LineError],
    today: datetime.date,
    file_line: Callable[[int], int],
    line_label: str,
) -> str:
    """The preview's warning of the lines that did not fail whose custom_date is after
    `today`, the first FUTURE_NAMED by their file's numbers, or ''."""
    failed = {error.line for error in errors}
    lines = [(line, dates[line]) for line in sorted(dates) if line not in failed]
    if not lines:
        return ""
    said = [
        FUTURE_LINE.format(line=f"{file_line(line):,}", date=date.isoformat())
        for line, date in lines[:FUTURE_NAMED]
    ]
    if len(lines) > FUTURE_NAMED:
        named = ", ".join(said) + say(FUTURE_MORE, more=len(lines) - FUTURE_NAMED)
    else:
        named = " and ".join(filter(None, [", ".join(said[:-1]), said[-1]]))
    which = f"{line_label}{'s' if len(lines) > 1 else ''} {named}"
    return say(
        FUTURE_DATES,
        which=which,
        count=len(lines),
        label=column_label("custom_date"),
        today=today.isoformat(),
    )
