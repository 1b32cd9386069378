"""What an export of customers holds and how its values are written: one definition for
the admin's export (customers/admin_export.py, its columns those of customers/resources.py)
and the command line's (export_customers): both read their rows with customer_rows().

Columns are named like the API's headers and values written as the import reads them
back (None is empty, a date is YYYY-MM-DD), so an exported file imports back unchanged;
values a spreadsheet would run as formulas are neutralised (customers/spreadsheet.py).
Password and PIN hashes are never exported: an import with overwrite update keeps them.
The command writes delimited text quoted as CSV does (with any of the import's
delimiters), reading customers in chunks, so the export of a million customers holds one
chunk in memory.
"""

import csv
import datetime
from collections.abc import Iterator, Sequence
from typing import Protocol

from django.db.models import QuerySet

from accounts.models import Account

from .columns import CUSTOM_FIELDS, EXPORT_COLUMNS
from .models import Customer
from .spreadsheet import neutralised

# Export format -> delimiter; the import's --delimiter names them comma, pipe and tab.
FORMATS = {"csv": ",", "psv": "|", "tsv": "\t"}
CHUNK_ROWS = 2000


class Writable(Protocol):
    """What csv.writer writes to: a text file, or the command's stdout without line ends."""

    def write(self, text: str, /) -> object: ...


def export_fields(*, custom_field_count: int) -> tuple[str, ...]:
    """The exported columns: EXPORT_COLUMNS, then API 1.5's custom_field_1..N."""
    custom = tuple(f"custom_field_{n}" for n in range(1, custom_field_count + 1))
    return (*EXPORT_COLUMNS, *custom)


def export_text(value: object) -> str:
    """A value as the import reads it back: None is empty, a date is YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def custom_field_text(custom_fields: dict | None, name: str) -> str:
    """An API 1.5 custom_field_N of a customer's custom_fields, as export_text writes it."""
    return export_text((custom_fields or {}).get(name))


def export_customers(
    *, account: Account, out: Writable, file_format: str, raw: bool = False
) -> int:
    """Write the account's customers to `out` (a header line, then a line each, "\\n"
    line ends) in `file_format` (csv, psv or tsv); returns how many customers were written.
    Values that a spreadsheet would run as a formula are neutralised (customers/
    spreadsheet.py) unless `raw`: a raw export is for the API and import_customers --raw."""
    delimiter = FORMATS[file_format]
    writer = csv.writer(out, delimiter=delimiter, quotechar='"', lineterminator="\n")
    # csv quotes a value holding a line end of its own lineterminator ("\n") but not a
    # lone CR, which the import reads as a line end: a row with one is quoted whole.
    quoting_all = csv.writer(
        out, delimiter=delimiter, quotechar='"', lineterminator="\n", quoting=csv.QUOTE_ALL
    )
    fields = export_fields(custom_field_count=account.custom_field_count)
    writer.writerow(fields)
    count = 0
    for row in _customer_rows(account=account, fields=fields):
        values = row if raw else [neutralised(value) for value in row]
        (quoting_all if any("\r" in value for value in values) else writer).writerow(values)
        count += 1
    return count


def _customer_rows(*, account: Account, fields: tuple[str, ...]) -> Iterator[list[str]]:
    columns = [name for name in fields if name in EXPORT_COLUMNS]
    custom = [name for name in fields if name not in EXPORT_COLUMNS]
    customers = Customer.objects.filter(account=account).order_by("code")
    return customer_rows(customers, columns, custom=custom)


def customer_rows(
    customers: QuerySet[Customer], lookups: Sequence[str], *, custom: Sequence[str] = ()
) -> Iterator[list[str]]:
    """Each of `customers` as export_text writes it: the values of `lookups` (columns, or
    lookups such as account__slug), then the custom_field_N named in `custom`. One query,
    read CHUNK_ROWS at a time: the export of a million customers holds one chunk."""
    if not custom:
        # The admin's export: no custom fields, so nothing but the values themselves.
        for values in customers.values_list(*lookups).iterator(chunk_size=CHUNK_ROWS):
            yield [export_text(value) for value in values]
        return
    rows = customers.values_list(*lookups, CUSTOM_FIELDS).iterator(chunk_size=CHUNK_ROWS)
    for *values, custom_fields in rows:
        yield [export_text(value) for value in values] + [
            custom_field_text(custom_fields, name) for name in custom
        ]
