"""The file of an import's failed lines for a person: the file staff fix and import again,
which the admin's undo state page and the API's customers_batch_failed_lines both offer.

It is written as the imported file was: in its delimiter and its encoding (a Windows-1252
CSV with semicolons gets one back, so the spreadsheet that wrote it opens it as it did;
an XLSX's, or an import not from the admin, a CSV in UTF-8 with a byte order mark, for
Excel, with commas). Its first column, `line`, is each line's number in the imported
file (the number a person sees there, customers/import_file.py; for a failed-lines file
imported again, the number its own line column gives, the line's in the file first
imported), its last, `error`, says
why the line failed (every refused value): for an admin import in the words its preview
used (customers/line_words.py), a sentence each, its column named by its header text alone
("Birthday: ...", not "Column 5, Birthday": the file's columns are not numbered as the
imported file's); for an API or command-line import as the answer's errors said them, in
the API's names, joined by "; " ("custom_date must be YYYY-MM-DD, got 31/12/2024"). The
columns between are the
import's read columns, headed as the imported file headed them (an API import's by the
API's names), each value as sent (an admin import's dates in the order chosen for it,
31/12/2024, those it had read as those it refused, and its credits with the file's decimal
comma, 12,50, where the file wrote them so)
(secrets blank: customers/failed_lines.py) and neutralised against formulas, then an
`extra value N` column for each value the widest failed line had beyond the import's
headers, so that every row lines up with the header and nothing sent is lost. The admin
import reads neither `line` nor `error` (customers/spreadsheet.py, columns_read), so the
file, once fixed, imports as it is. The API's data_only=yes gives a machine the lines'
values alone, as sent (customers/failed_lines.py, failed_lines_data).
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
from collections.abc import Iterator
from typing import NamedTuple

from .admin_import import LINE_WORDS, campaign_names
from .batch.params import FIELD_LABELS
from .batch.types import FileRead
from .date_orders import DateOrder, date_written
from .failed_lines import failed_lines
from .file_headers import FileHeaders, header_key
from .line_words import credit_as_written, in_shop_words
from .models import UndoState
from .spreadsheet import CREDIT_COLUMN, ERROR_COLUMN, LINE_COLUMN, neutralised, with_decimal_comma

# The encodings the admin import finds (customers/import_file.py, decode) as Python's
# codecs write them, and as the download's Content-Type names them. UTF-8 is written with
# a byte order mark, which Excel needs to read it as UTF-8 (and the import takes off).
ENCODINGS = {
    "UTF-8": ("utf-8-sig", "utf-8"),
    "UTF-16": ("utf-16", "utf-16"),
    "Windows-1252": ("cp1252", "windows-1252"),
}
DEFAULT_ENCODING = "UTF-8"
DEFAULT_DELIMITER = ","
# The columns for a line's values beyond the import's headers (a value split by an
# unquoted delimiter, say), before `error`: every row lines up with the header and nothing
# sent is dropped. No field has such a name, so the admin import refuses the column,
# naming it, until staff move its values where they belong (docs/decisions.md).
EXTRA_VALUE_COLUMN = "extra value {number}"
# A line's errors in its one `error` cell, each a sentence, in column order.
ERRORS_JOINED = " "
# The API's errors are clauses (docs/api.md, "Messages"): one line's several, in a list.
API_ERRORS_JOINED = "; "


class FailedLinesFile(NamedTuple):
    chunks: Iterator[bytes]
    content_type: str


def failed_lines_file(undo_state: UndoState) -> FailedLinesFile:
    """The file's bytes, a row at a time, and its Content-Type."""
    file_read = _file_read(undo_state)
    encoding = DEFAULT_ENCODING
    delimiter = DEFAULT_DELIMITER
    if file_read is not None and file_read.kind == "CSV":
        encoding = file_read.encoding or DEFAULT_ENCODING
        delimiter = undo_state.parameters.get("delimiter") or DEFAULT_DELIMITER
    codec, charset = ENCODINGS.get(encoding, ENCODINGS[DEFAULT_ENCODING])
    return FailedLinesFile(
        _encoded(staff_rows(undo_state), codec=codec, delimiter=delimiter),
        f"text/csv; charset={charset}",
    )


def staff_rows(undo_state: UndoState) -> Iterator[list[str]]:
    """The file's rows, its header first: line, the read columns, an `extra value N` column
    for each value the widest failed line had beyond the import's headers, then error.
    Every row is as long as the header, each value under its column."""
    headers: list[str | None] = undo_state.parameters.get("headers") or []
    read = [index for index, name in enumerate(headers) if name]
    width = len(headers)
    # The chunks are read twice: the header needs the widest line before any row is sent.
    extra = max((len(failed.values) - width for failed in failed_lines(undo_state)), default=0)
    extra = max(extra, 0)
    file_read = _file_read(undo_state)
    texts = list(file_read.header_texts) if file_read else []
    names = [name or "" for name in headers]
    columns = FileHeaders(texts=texts if len(texts) >= len(names) else names, names=names)
    yield [
        LINE_COLUMN,
        *(_heading(texts[i] if i < len(texts) else "", str(headers[i])) for i in read),
        *(EXTRA_VALUE_COLUMN.format(number=number) for number in range(1, extra + 1)),
        ERROR_COLUMN,
    ]
    order = DateOrder(file_read.date_order) if file_read else DateOrder.YMD
    # An admin import's errors in the preview's words, as its staff read their file; the
    # API's and the command line's as the answer's errors said them, in the contract's
    # names, which head their columns (an integrator chose no date order nor header text).
    shop_words = undo_state.source == UndoState.Source.ADMIN
    campaigns = campaign_names(
        undo_state.account, undo_state.parameters.get("campaigns_to_include") or []
    )
    # An admin import keeps a line's dates as converted to year-month-day, beside the
    # refused ones as the file wrote them: each is written back in the file's order, so
    # the file's dates read one way (and import back under the same choice).
    dates = headers.index("custom_date") if shop_words and "custom_date" in headers else None
    # An admin import read the file's decimal commas as points (12,50 as 12.50): its credits
    # are written back with the comma, and an error quotes them so, as the preview did.
    comma = shop_words and file_read is not None and file_read.decimal_comma
    credits = headers.index(CREDIT_COLUMN) if comma and CREDIT_COLUMN in headers else None
    # A failed-lines file imported again has a line column of its own: each line keeps the
    # number it had in the file first imported, so staff can still find it there.
    originals = next((n for n, text in enumerate(texts) if header_key(text) == LINE_COLUMN), None)
    for failed in failed_lines(undo_state):
        values = [*failed.values, *[""] * (width + extra - len(failed.values))]
        if dates is not None:
            values[dates] = date_written(values[dates], order)
        credit_read = credit_written = ""
        if credits is not None:
            credit_read = values[credits].strip()
            values[credits] = with_decimal_comma(values[credits])
            credit_written = values[credits].strip()
        if shop_words:
            said = ERRORS_JOINED.join(
                credit_as_written(
                    in_shop_words(
                        dataclasses.replace(
                            error, message=LINE_WORDS.get(error.message, error.message)
                        ),
                        columns,
                        order,
                        campaign_names=campaigns,
                        numbered=False,
                    ),
                    error,
                    read=credit_read,
                    written=credit_written,
                ).message
                for error in failed.errors()
            )
        else:
            said = API_ERRORS_JOINED.join(error.message for error in failed.errors())
        # A short line is padded; a long one has its values beyond the headers under the
        # extra value columns, where staff move each to its place.
        original = values[originals].strip() if originals is not None else ""
        cells = [neutralised(value) for value in values]
        if credits is not None and credit_written != credit_read:
            # Digits and a decimal comma start no formula, and neutralised() would keep
            # "3,00"'s "00" as text ("3,'00"), as it does any piece after a comma.
            cells[credits] = credit_written
        yield [
            original if original.isdigit() else str(failed.line),
            *(cells[i] for i in read),
            *cells[width:],
            neutralised(said),
        ]


def _heading(text: str, name: str) -> str:
    """A read column's header: the imported file's own text ("Surname"), which the admin
    import reads back through its synonyms; the API's name (`last_name`) for an API import,
    which records no texts, or where the text would start a formula in a spreadsheet
    (neutralised, it would no longer name the field on the way back)."""
    shown = text.strip()
    if shown and neutralised(shown) == shown:
        return shown
    return FIELD_LABELS.get(name, name)


def _file_read(undo_state: UndoState) -> FileRead | None:
    recorded = undo_state.parameters.get("file_read")
    return FileRead.of(recorded) if recorded else None


class _Echo:
    def write(self, text: str) -> str:
        return text


def _encoded(rows: Iterator[list[str]], *, codec: str, delimiter: str) -> Iterator[bytes]:
    """The rows as CSV in `codec`, a row at a time (one byte order mark, at the start). A
    character the encoding has no byte for (an error's, a U+FFFD of a value's bytes that
    were no text) becomes '?' rather than failing the download."""
    # Every value quoted: a spreadsheet may split the file on another character than its
    # delimiter (Excel opens a .csv on the list separator, a comma here, and UTF-16 text on
    # TAB), and an unquoted "x,=1+cmd|..." of a semicolon file then became a live formula
    # cell (eighth red team). Inside quotes no separator splits a value.
    writer = csv.writer(_Echo(), delimiter=delimiter, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    encoder = codecs.getincrementalencoder(codec)(errors="replace")
    for row in rows:
        yield encoder.encode(writer.writerow(row))
    yield encoder.encode("", final=True)
