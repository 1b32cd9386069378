"""export_customers: an account's customers as delimited text that imports back unchanged.

A header line of the API's field names, then one line per customer, quoted as CSV does
(with any of the import's delimiters), so the file goes back through the command line's
import or the API's customers_batch as it is. Customers are read in chunks, so the
export of a million customers holds one chunk in memory. Password and PIN hashes are
never exported: an import with overwrite update keeps them.
"""

import csv
import datetime
from collections.abc import Iterator
from typing import TextIO

from accounts.models import Account

from .models import Customer
from .resources import EXPORT_FIELDS

# Export format -> delimiter; the import's --delimiter names them comma, pipe and tab.
FORMATS = {"csv": ",", "psv": "|", "tsv": "\t"}
CHUNK_ROWS = 2000


def export_fields(*, account: Account) -> tuple[str, ...]:
    """The exported columns: EXPORT_FIELDS, then the account's custom_field_1..N (API 1.5)."""
    custom = tuple(f"custom_field_{n}" for n in range(1, account.custom_field_count + 1))
    return (*EXPORT_FIELDS, *custom)


def export_customers(*, account: Account, out: TextIO, file_format: str) -> int:
    """Write the account's customers to `out` (a header line, then a line each, "\\n"
    line ends) in `file_format` (csv, psv or tsv); returns how many customers were written."""
    writer = csv.writer(out, delimiter=FORMATS[file_format], quotechar='"', lineterminator="\n")
    fields = export_fields(account=account)
    writer.writerow(fields)
    count = 0
    for row in _customer_rows(account=account, fields=fields):
        writer.writerow(row)
        count += 1
    return count


def _customer_rows(*, account: Account, fields: tuple[str, ...]) -> Iterator[list[str]]:
    columns = [name for name in fields if name in EXPORT_FIELDS]
    custom = [name for name in fields if name not in EXPORT_FIELDS]
    customers = (
        Customer.objects.filter(account=account)
        .order_by("code")
        .values_list(*columns, "custom_fields")
        .iterator(chunk_size=CHUNK_ROWS)
    )
    for *values, custom_fields in customers:
        yield [_text(value) for value in values] + [
            _text((custom_fields or {}).get(name)) for name in custom
        ]


def _text(value) -> str:
    """A column as the import reads it back: None is empty, a date is YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)
