"""The admin's customer export (Customers → Export), written from the list's queryset.

django-import-export keeps the export page: its form (format, the field checkboxes of
CustomerExportResource, customers/resources.py), the list's search and filters, the
account scoping of the admin (core/admin_scoping.py). The rows are not its: it builds a
model instance and calls Field.get_value per cell, then a tablib Dataset of the whole list
in memory, then the file; an account of 270,000 customers took 75 s in CSV and ran past
gunicorn's 300 s in XLSX (docs/decisions.md). Here the ticked columns are read in one query
(values_list, a chunk at a time) and written as the command line's export writes them
(customers/export.py's customer_rows and export_text): a CSV neutralised against formulas
and streamed as it is written, an XLSX of text cells as stored and date cells for the dates
(customers/workbook.py),
written to a temporary file and then streamed, so memory does not grow with the list.
The export page's format starts on the first of the admin's formats, CSV, rather than on
django-import-export's empty "---" that the export then refuses (shop owner's low).
"""

import codecs
import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from import_export.fields import Field
from import_export.formats.base_formats import CSV, Format
from import_export.forms import SelectableFieldsExportForm

from core.wording import say

from .columns import DATE_COLUMNS
from .export import customer_rows
from .file_headers import column_label
from .models import Customer
from .resources import ADMIN_EXPORT_FIELDS, EXPORT_FIELDS
from .spreadsheet import neutralised
from .workbook import TextCellsXLSX, write_text_workbook

# Rows of the CSV sent at a time.
BLOCK_ROWS = 1000
# Said on the export page before an XLSX too large for the admin's XLSX import is made
# (its cell limit, LOYALTY_MAX_IMPORT_CELLS, is kept for the CPU an XLSX costs to read):
# a CSV has no such limit (docs/decisions.md, "An XLSX export the XLSX import takes").
# The import counts the cells a sheet has, and the XLSX has none for an empty value, so
# the cells are the header row's and the filled values' (a shop owner's 25,010 customers
# imported back, against a warning counting every column of every customer).
XLSX_ROWS_WARNING = (
    "This list holds {customers:customer}. An Excel file (XLSX) of them with every column "
    "has {cells:,} filled cells, more than the {limit:,} an XLSX import reads, so it cannot "
    "be imported back here: to import the file back, export CSV (or untick columns, or "
    "export fewer customers)."
)


def export_response(
    *,
    customers: QuerySet[Customer],
    fields: Sequence[Field],
    file_format: Format,
    encoding: str,
) -> HttpResponseBase:
    """The export of `customers` in `file_format` (CSV in `encoding`, or the admin's XLSX):
    a column per field, headed by its column name, holding its attribute (a column or a
    lookup such as account__slug). ValueError with the reason, before any byte is sent, if
    the XLSX cannot hold the values (customers/workbook.py)."""
    headers = [str(field.column_name) for field in fields]
    lookups = [str(field.attribute) for field in fields]
    rows = customer_rows(customers, lookups)
    content_type = file_format.get_content_type()
    if isinstance(file_format, TextCellsXLSX):
        # The date columns' dates are date cells; the rest text, as stored.
        dates = [n for n, lookup in enumerate(lookups) if lookup in DATE_COLUMNS]
        out = tempfile.TemporaryFile()
        try:
            write_text_workbook(out, headers, rows, dates=dates)
        except BaseException:
            out.close()
            raise
        out.seek(0)
        return FileResponse(out, content_type=content_type)
    delimiter = SemicolonCSV.delimiter if isinstance(file_format, SemicolonCSV) else ","
    blocks = csv_blocks(headers, rows, encoding, delimiter=delimiter)
    return StreamingHttpResponse(blocks, content_type=content_type)


class SemicolonCSV(CSV):
    """The CSV with semicolons between values: Excel opens a .csv in the list separator of
    the computer's region, which is a semicolon wherever the decimal mark is a comma
    (France, Germany, ...), so a comma-separated export opened there in one column. The
    admin import finds the delimiter from the file (customers/import_file.py): it imports
    back unchanged, as the comma-separated one does."""

    delimiter = ";"

    def export_data(self, dataset, **kwargs) -> str:
        return super().export_data(dataset, delimiter=self.delimiter, **kwargs)


def csv_blocks(
    headers: Sequence[str], rows: Iterable[list[str]], encoding: str, *, delimiter: str = ","
) -> Iterator[bytes]:
    """The CSV (as django-import-export's, Excel's dialect, with `delimiter` between
    values), BLOCK_ROWS rows at a time, each value neutralised; `encoding` utf-8-sig starts
    it with the byte order mark, once."""
    encoder = codecs.getincrementalencoder(encoding)()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headers)
    for number, row in enumerate(rows, start=1):
        writer.writerow([neutralised(value) for value in row])
        if number % BLOCK_ROWS == 0:
            yield encoder.encode(out.getvalue())
            out.seek(0)
            out.truncate()
    yield encoder.encode(out.getvalue(), final=True)


# The export page's formats by the admin's format classes (django-import-export titles
# both CSVs "csv").
FORMAT_LABELS = {
    CSV: "CSV",
    TextCellsXLSX: "Excel workbook (XLSX)",
    SemicolonCSV: "CSV for Excel in Europe (semicolons)",
}
# Said under the format choice: what the apostrophe before some values is.
FORMAT_HELP = (
    "Choose CSV for Excel in Europe if Excel opens the plain CSV with every value in one "
    "column (a computer set to French, German, ...). A value that starts with + - = or @ "
    "(a phone number such as +33 6 10 20 30 40), or a number a spreadsheet would change "
    "(a leading zero, as in 0632323232, or a long card number), is written with an "
    "apostrophe before it, so that a spreadsheet keeps it as it is instead of calculating "
    "or rounding it; the import takes the apostrophe off again."
)


def xlsx_rows(columns: int) -> int:
    """The most customers an XLSX of `columns` filled columns holds that the admin's XLSX
    import takes back (the header row is a row of cells too)."""
    return settings.LOYALTY["MAX_IMPORT_CELLS"] // columns - 1


def xlsx_cells(customers: QuerySet[Customer]) -> int:
    """The cells of the XLSX export of `customers` with every column: the header row's,
    and one per value that is not empty (customers/workbook.py writes no empty cell).
    One query."""
    counts = {
        name: Count(name) if name in DATE_COLUMNS else Count(name, filter=~Q(**{name: ""}))
        for name in EXPORT_FIELDS
    }
    # The account column (its slug) is never empty: a cell per customer.
    filled = customers.aggregate(account_cells=Count("pk"), **counts)
    return len(ADMIN_EXPORT_FIELDS) + sum(filled.values())


def xlsx_rows_warning(*, customers: QuerySet[Customer]) -> str:
    """The export page's warning when an XLSX of `customers` with every column would hold
    more cells than the admin's XLSX import reads, else ''. A list of at most xlsx_rows()
    customers fits whatever it holds: one COUNT; a longer one counts its filled values."""
    limit = settings.LOYALTY["MAX_IMPORT_CELLS"]
    count = customers.count()
    if count <= xlsx_rows(len(ADMIN_EXPORT_FIELDS)):
        return ""
    cells = xlsx_cells(customers)
    if cells <= limit:
        return ""
    return say(XLSX_ROWS_WARNING, customers=count, cells=cells, limit=limit)


class CustomerExportForm(SelectableFieldsExportForm):
    """django-import-export's export form with its format chosen: the first of the
    admin's formats (CSV), and no empty choice to pick by mistake; each column ticked by
    the label that heads it in the file."""

    def _get_field_label(self, resource, field_name: str) -> str:
        return column_label(field_name)

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        field = self.fields["format"]
        field.choices = [
            (str(number), FORMAT_LABELS.get(format_class, format_class().get_title()))
            for number, format_class in enumerate(formats)
        ]
        field.initial = "0"
        field.help_text = FORMAT_HELP
