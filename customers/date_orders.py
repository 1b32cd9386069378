"""How an admin import's file writes its dates, and their conversion to the contract's
YYYY-MM-DD before the one set of rules (customers/rules.py) checks them.

The API takes custom_date as YYYY-MM-DD only (the contract); spreadsheets in most of the
world write 31/12/2024 or 12/31/2024. The admin's import form asks which order the file
uses (year-month-day by default) and rewrites each date of the file's custom_date column
that is a real date in that order, so the preview, the confirmed import and a background
job all read the same converted text. A value that is not (a typo, another order) is left
as the file has it: the rules refuse it, and the preview's words say which order it
looks like (looks_like). A value already written year-month-day (four-digit year first)
is unambiguous and read as such whatever the choice; an XLSX's real date cells already
reach the file's text as YYYY-MM-DD (customers/import_file.py).
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Iterable, Iterator
from enum import StrEnum

from customers.batch.parse import CSV_FIELD_LIMIT, LINE, MAX_VALUES
from customers.values import TRIMMED


class DateOrder(StrEnum):
    YMD = "ymd"
    DMY = "dmy"
    MDY = "mdy"


DATE_ORDER_LABELS = {
    DateOrder.YMD: "Year-month-day (2024-12-31)",
    DateOrder.DMY: "Day/month/year (31/12/2024)",
    DateOrder.MDY: "Month/day/year (12/31/2024)",
}
# Day and month of one or two digits, a four-digit year, separated by / . or -.
_ORDERED = {
    DateOrder.YMD: re.compile(r"^(?P<y>\d{4})[/.-](?P<m>\d{1,2})[/.-](?P<d>\d{1,2})$"),
    DateOrder.DMY: re.compile(r"^(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})$"),
    DateOrder.MDY: re.compile(r"^(?P<m>\d{1,2})[/.-](?P<d>\d{1,2})[/.-](?P<y>\d{4})$"),
}


def read_date(value: str, order: DateOrder) -> datetime.date | None:
    """The real date `value` writes in `order`, or None."""
    match = _ORDERED[order].match(value.strip(TRIMMED))
    if match is None:
        return None
    try:
        return datetime.date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        return None


def date_written(value: str, order: DateOrder) -> str:
    """`value`, a date the import converted to year-month-day, written back in `order`
    as DATE_ORDER_LABELS show it (1975-06-01 -> 01/06/1975 day/month/year); any other
    value as it is."""
    date = read_date(value, DateOrder.YMD) if order is not DateOrder.YMD else None
    if date is None:
        return value
    day, month = f"{date.day:02}", f"{date.month:02}"
    first, second = (day, month) if order is DateOrder.DMY else (month, day)
    return f"{first}/{second}/{date.year:04}"


def is_shaped(value: str, order: DateOrder) -> bool:
    """Whether `value` has the digits and separators of a date in `order`, real or not."""
    return _ORDERED[order].match(value.strip(TRIMMED)) is not None


def looks_like(value: str) -> list[DateOrder]:
    """The orders in which `value` is a real date."""
    return [order for order in DateOrder if read_date(value, order) is not None]


def read_typed_date(value: str) -> datetime.date | None:
    """The date a person typed without saying its order (the customer form): written
    year-month-day, or in the one date an import's other orders read (14/07/1970 is only
    day/month/year, 07/14/1970 only month/day/year; 05/05/1970 the same either way). None
    when it is no real date, or two (03/04/1970): the person then says which they mean."""
    dates = {read_date(value, order) for order in DateOrder} - {None}
    if read_date(value, DateOrder.YMD) is not None:
        return read_date(value, DateOrder.YMD)
    return dates.pop() if len(dates) == 1 else None


def with_dates_converted(data: str, delimiter: str, column: int, order: DateOrder) -> str:
    """The file's data (the engine's text) with the dates of column `column` (from 0)
    written YYYY-MM-DD. A line is rewritten only when a date in it changes and it is one
    text line the csv reader reads; any other (a quoted line break, an unreadable line)
    is kept as it is, so the lines keep their numbers and the engine's line errors."""
    if order is DateOrder.YMD:
        return data
    csv.field_size_limit(CSV_FIELD_LIMIT)
    out = io.StringIO()
    source = _Recorded(match.group() for match in LINE.finditer(data))
    reader = csv.reader(source, delimiter=delimiter, quotechar='"', strict=True)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error:
            out.write("".join(source.taken()))
            continue
        taken = source.taken()
        if len(taken) == 1 and column < len(values) <= MAX_VALUES:
            value = values[column]
            date = read_date(value, order) or read_date(value, DateOrder.YMD)
            if date is not None and date.isoformat() != value.strip(TRIMMED):
                text = taken[0]
                ending = text[len(text.rstrip("\r\n")) :]
                values[column] = date.isoformat()
                line = io.StringIO()
                csv.writer(line, delimiter=delimiter, lineterminator="").writerow(values)
                taken = [line.getvalue() + ending]
        out.write("".join(taken))
    return out.getvalue()


class _Recorded:
    """The text lines given to the csv reader, kept until taken(): the lines of one record."""

    def __init__(self, lines: Iterable[str]):
        self.lines: Iterator[str] = iter(lines)
        self.given: list[str] = []

    def __iter__(self) -> _Recorded:
        return self

    def __next__(self) -> str:
        text = next(self.lines)
        self.given.append(text)
        return text

    def taken(self) -> list[str]:
        given, self.given = self.given, []
        return given
