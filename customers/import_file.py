"""An uploaded customer file (the admin's import) -> its column names and its data rows as
the engine's delimited text, numbered as the file is.

Nothing is taken from the file's name or from a chooser: the format is read from the
content (an XLSX is a zip with xl/workbook.xml; anything else must be delimited text), the
encoding too (UTF-8 with or without a BOM, UTF-16 with a BOM as Excel's "Unicode text"
writes it, else Windows-1252, the superset of Latin-1 that Windows spreadsheets write), and
the delimiter is the one of , ; TAB | that splits the first row into the most known field
names. Where a file cannot be read, the message says how to save it so that it can.

The data is given to the engine with its row numbers kept: the header line (and anything
before it) becomes blank lines, which the engine skips but counts, so a line error names
the line a person sees in the file (a spreadsheet's row number for an XLSX, the text line
for a CSV, as the command line counts them).

Limits are those of the API, applied before anything is parsed: the upload's size
(LOYALTY_MAX_REQUEST_BYTES, checked while it is received, customers/admin_import.py), an
XLSX's unpacked size (the same limit, from the zip's declared sizes, which the zip reader
never exceeds), its cells (LOYALTY_MAX_IMPORT_CELLS) and cells per row, counted in the
unpacked sheet before openpyxl reads it, and the rows (LOYALTY_MAX_BATCH_ROWS). openpyxl is
given only the parts an import reads, each bounded in bytes and elements first
(customers/xlsx_package.py).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import html
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

import openpyxl
from django.conf import settings
from openpyxl.utils.cell import coordinate_to_tuple, get_column_letter

from core.errors import InvalidRequest

from .batch.params import HEADER_FIELDS, MAX_HEADER_NUMBER
from .batch.stream import read_header_line
from .xlsx_package import (
    BROKEN_XLSX,
    NO_SHEET,
    SAVE_AS,
    SHARED_TEXT,
    WORKSHEET,
    Part,
    check_directory,
    import_parts,
    package,
    part_chunks,
)

DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
KNOWN_NAMES = frozenset(name.lower() for name in HEADER_FIELDS)
# The first row is looked for in the file's start only; no header row is longer.
HEAD_CHARS = 1 << 20
OLD_EXCEL = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = b"PK\x03\x04"
# A row of an XLSX with more cells than this is refused before openpyxl reads it: the
# import reads MAX_HEADER_NUMBER columns, and a row is held whole while it is parsed.
MAX_CELLS_PER_ROW = 1000
# The elements the sheet's pre-count finds: a row, a cell, a shared string, a rich-text run
# (any prefix), then each attribute of a row or cell (XML's grammar: a value holds no "<",
# but may ">").
SHEET_TAG = re.compile(rb"<(/?)(?:[A-Za-z_][\w.-]*:)?(row|c|si|r)(?=[\s/>])")
# The most XML one cell or one shared string may take, from its start tag to its end tag:
# its text at the most a cell holds (MAX_TEXT_BYTES, below) with room for rich text's
# markup. Each run of text is bounded on its own (LONG_TEXT), but a cell's runs make one
# text (ninth red team: 600 runs of 100,000 characters, a 69 KB file, one 60 MB cell,
# 645 MB in its worker).
CELL_XML_PER_TEXT_BYTE = 4
# Rich-text runs (<r>, a piece of a cell's text in its own font) in the sheet and the shared
# strings together, per cell of LOYALTY_MAX_IMPORT_CELLS: openpyxl makes an object of each
# run and of its font, 9 to 65 us a run, more than a cell costs (eighth red team:
# 660,000 empty runs with an empty font, 37 KB zipped, cost 16 s). Excel writes a few runs
# in the few cells partly formatted.
CELLS_PER_RUN = 10
ATTRIBUTE = re.compile(rb"""\s+([^\s=/>]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
TAG_END = re.compile(rb"\s*/?>")
# Excel's own limit on a cell's text, in characters; its UTF-8 is at most 4 bytes each. A
# longer text anywhere in the XML (a cell's, a shared string's) is refused before openpyxl
# holds it: a 60 MB string in a 62 KB file cost 586 MB (third red team).
MAX_CELL_CHARS = 32_767
MAX_TEXT_BYTES = 4 * MAX_CELL_CHARS
LONG_TEXT = re.compile(rb">[^<]{%d}" % (MAX_TEXT_BYTES + 1))
# Line breaks as the engine counts them (customers/batch/parse.py).
LINE_BREAK = re.compile(r"\r\n|\r|\n")

NOT_A_TABLE = "The file is neither a CSV nor an Excel (.xlsx) file. " + SAVE_AS
OLD_EXCEL_FILE = "The file is an old Excel workbook (.xls), which cannot be read. " + SAVE_AS
OTHER_SPREADSHEET = "The file is a spreadsheet, but not in Excel's .xlsx format. " + SAVE_AS
NOT_TEXT = (
    "The file's characters cannot be read: it is neither UTF-8 nor Windows (Latin-1) text. "
    'Save it from your spreadsheet as "CSV UTF-8" and upload it again.'
)
BAD_UTF8_AFTER_BOM = (
    "The file says it is UTF-8 but holds characters that are not: "
    'save it from your spreadsheet as "CSV UTF-8" again and upload it again.'
)
NO_HEADER_ROW = (
    "The file has no header row: its first row must name the fields (code, card_number, "
    "first_name, ...)."
)
UNREADABLE_HEADER_ROW = (
    'The header row cannot be read: a " in it is never closed, or is followed by more text '
    "before the next delimiter. Name the fields without quotes."
)
TOO_BIG_UNPACKED = (
    "The Excel file unpacks to more than {limit} MB; an import reads at most that much. "
    'Split it, or save it as "CSV UTF-8".'
)
CELL_TOO_LONG = (
    "A cell of the Excel file holds more than {limit:,} characters, more than Excel itself "
    "allows and far more than any customer field holds, so the file is not read. Check it, "
    'or save it as "CSV UTF-8".'
)
TOO_MUCH_TEXT = (
    "The Excel sheet's cells hold more than {limit} MB of text, more than an import reads "
    "at once (as for a CSV file). Split it into smaller files and import each."
)
TOO_MANY_CELLS = (
    "The Excel sheet has more than {limit:,} cells; an import reads at most that many. "
    'Split it, or save it as "CSV UTF-8".'
)
# Said with TOO_MANY_CELLS when the sheet's rows are known: openpyxl reads about a million
# cells in 25 s, so the admin's own export of a large shop is re-imported as CSV
# (docs/decisions.md, issue 14).
ROWS_THAT_FIT = (
    "The Excel sheet has more than {limit:,} cells; an import reads at most that many, "
    "{rows:,} rows of its {columns:,} columns. Excel files are slow to read, so a larger "
    'one goes as CSV: save it as "CSV UTF-8" (or export the customers as CSV), or split it.'
)
CELL_TOO_FAR_RIGHT = (
    "Cell {cell} of the Excel sheet is beyond column {last} (the {columns}th), the last an "
    "import reads. Delete the columns after {last} and upload it again."
)
CELL_TOO_FAR_DOWN = (
    "Row {row:,} of the Excel sheet is beyond row {last:,}: an import reads at most {limit:,} "
    "rows below the header row. Delete the rows after {last:,}, or split the file."
)
ROW_TOO_WIDE = (
    "Row {row} of the Excel sheet has more than {limit:,} cells; an import reads at most "
    "{columns} columns. Delete the columns after the last one you import."
)
TOO_MUCH_RICH_TEXT = (
    "The Excel file's text holds more than {limit:,} pieces of formatted text (a word in "
    "bold, in another colour, ...), more than an import reads. Select the sheet and clear "
    'its formats (Home > Clear > Clear Formats), or save the sheet as "CSV UTF-8" and '
    "upload that instead."
)
TOO_MANY_ROWS = "The file has more than {limit:,} rows; split it into smaller files."


@dataclass(frozen=True)
class ImportFile:
    """What the file holds, as the engine is given it."""

    kind: str  # "CSV" or "XLSX", as messages name it
    encoding: str | None  # a CSV's, as found ("UTF-8", "Windows-1252", ...)
    delimiter: str  # of `data`: the file's for a CSV, "," for an XLSX
    headers: list[str]  # the names in the header row, one per column
    data: str  # the rows below the header row, the lines before them left blank
    # Lines of `data` that are not their row's number -> that number: the rows of an XLSX
    # after a cell holding a line break.
    moved: dict[int, int] = field(default_factory=dict)

    def file_line(self, line: int) -> int:
        """The file's number (line or row) of `data`'s line `line`."""
        return self.moved.get(line, line)


XLSX_READ_AS = "Excel workbook (.xlsx), first sheet"


def read_as(kind: str, encoding: str | None, delimiter: str) -> str:
    """How a file was read, as the preview and the undo state's page say it."""
    if kind == "XLSX":
        return XLSX_READ_AS
    return f"CSV, {encoding}, {DELIMITER_NAMES.get(delimiter, repr(delimiter))}-separated"


def read_import_file(content: bytes) -> ImportFile:
    """The ImportFile of an upload's bytes, or InvalidRequest saying what to do."""
    if content.startswith(ZIP):
        return _read_xlsx(content)
    if content.startswith(OLD_EXCEL):
        raise InvalidRequest(OLD_EXCEL_FILE)
    text, encoding = decode(content)
    return _read_csv(text, encoding)


def decode(content: bytes) -> tuple[str, str]:
    """The file's text and the name of the encoding it was found in."""
    if content.startswith(codecs.BOM_UTF8):
        try:
            return content[len(codecs.BOM_UTF8) :].decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            raise InvalidRequest(BAD_UTF8_AFTER_BOM) from None
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return content.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise InvalidRequest(NOT_TEXT) from None
    if b"\x00" in content[:4096]:
        # Text never holds NUL: a binary file, or UTF-16 without its BOM.
        raise InvalidRequest(NOT_A_TABLE)
    try:
        return content.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise InvalidRequest(NOT_TEXT) from None


def detect_delimiter(first_line: str, rest: str = "") -> str:
    """The delimiter of , ; TAB | that splits the header row into the most known field
    names, then into the most columns. A header of one column has none: then the first of
    them that the rows (`rest`) do not hold, so no value is split."""

    def score(delimiter: str) -> tuple[int, int]:
        names = [name.strip().strip('"').strip().lower() for name in first_line.split(delimiter)]
        return sum(name in KNOWN_NAMES for name in names), len(names)

    if not any(delimiter in first_line for delimiter in DELIMITERS):
        return next((d for d in DELIMITERS if d not in rest), DELIMITERS[0])
    return max(DELIMITERS, key=score)


def _read_csv(text: str, encoding: str) -> ImportFile:
    head = text[:HEAD_CHARS]
    first = next((line for line in io.StringIO(head, newline="") if line.strip()), None)
    if first is None:
        raise InvalidRequest(NO_HEADER_ROW)
    delimiter = detect_delimiter(first, head)
    try:
        names, taken = read_header_line(io.StringIO(head, newline=""), delimiter)
    except InvalidRequest:
        raise InvalidRequest(UNREADABLE_HEADER_ROW) from None
    lines = io.StringIO(head, newline="")
    start = sum(len(next(lines)) for _ in range(taken))
    return ImportFile(
        kind="CSV",
        encoding=encoding,
        delimiter=delimiter,
        headers=names,
        data="\n" * taken + text[start:],
    )


def _read_xlsx(content: bytes) -> ImportFile:
    check_directory(content)
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        raise InvalidRequest(NOT_A_TABLE) from None
    if "xl/workbook.xml" not in names:
        raise InvalidRequest(OTHER_SPREADSHEET if "mimetype" in names else NOT_A_TABLE)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if sum(info.file_size for info in archive.infolist()) > limit:
        raise InvalidRequest(TOO_BIG_UNPACKED.format(limit=limit // (1024 * 1024)))
    try:
        parts = import_parts(archive)
        runs = _count_member(archive, parts.sheet, WORKSHEET)
        if parts.strings is not None:
            runs += _count_member(archive, parts.strings, SHARED_TEXT)
        run_limit = settings.LOYALTY["MAX_IMPORT_CELLS"] // CELLS_PER_RUN
        if runs > run_limit:
            raise InvalidRequest(TOO_MUCH_RICH_TEXT.format(limit=run_limit))
        book = openpyxl.load_workbook(
            io.BytesIO(package(archive, parts)), read_only=True, data_only=True, keep_links=False
        )
    except InvalidRequest:
        raise
    except Exception:  # zipfile, openpyxl and its XML parser raise many kinds: "damaged"
        raise InvalidRequest(BROKEN_XLSX) from None
    try:
        if not book.worksheets:
            raise InvalidRequest(NO_SHEET)
        return _sheet_file(book.worksheets[0])
    except InvalidRequest:
        raise
    except Exception:  # openpyxl reads the rows lazily: a damaged one fails in _sheet_file
        raise InvalidRequest(BROKEN_XLSX) from None
    finally:
        book.close()


def _too_many_cells(limit: int, columns: int) -> InvalidRequest:
    """The refusal of a sheet beyond `limit` cells, with the rows of `columns` that fit
    (a shared strings part has no rows: the plain refusal)."""
    if columns == 0:
        return InvalidRequest(TOO_MANY_CELLS.format(limit=limit))
    rows = limit // columns - 1  # the header row, then the rows
    return InvalidRequest(ROWS_THAT_FIT.format(limit=limit, rows=rows, columns=columns))


def _count_member(archive: zipfile.ZipFile, name: str, part: Part) -> int:
    """The rich-text runs of the sheet (or the shared strings, each used by a cell), or
    InvalidRequest if it holds more cells than LOYALTY_MAX_IMPORT_CELLS, or a row more than
    MAX_CELLS_PER_ROW, or a cell beyond the columns (MAX_HEADER_NUMBER) or rows
    (LOYALTY_MAX_BATCH_ROWS and the header) an import reads, or more elements than `part`
    allows: counted in the unpacked XML, before openpyxl, which holds a row and every shared
    string whole, and pads each row with empty cells up to its last cell."""
    limit = settings.LOYALTY["MAX_IMPORT_CELLS"]
    last_row = settings.LOYALTY["MAX_BATCH_ROWS"] + 1  # the header row, then the rows
    cells = row_cells = row = column = width = runs = 0
    cell_xml_limit = CELL_XML_PER_TEXT_BYTE * MAX_TEXT_BYTES
    # Where the cell or shared string being read starts; None between two.
    opened: int | None = None
    for tag, place, position in _tags(part_chunks(archive, name, part)):
        if tag == b"r":
            runs += 1
            continue
        if opened is not None and position - opened > cell_xml_limit:
            raise InvalidRequest(CELL_TOO_LONG.format(limit=MAX_CELL_CHARS))
        if tag in (b"/c", b"/si"):
            opened = None
            continue
        opened = position if tag in (b"c", b"si") else None
        if tag == b"row":
            width = max(width, row_cells)
            # As openpyxl numbers rows and columns (openpyxl/worksheet/_reader.py).
            row = _row_number(place) if place is not None else row + 1
            row_cells = column = 0
            if row > last_row:
                raise InvalidRequest(
                    CELL_TOO_FAR_DOWN.format(row=row, last=last_row, limit=last_row - 1)
                )
            continue
        cells += 1
        row_cells += 1
        if cells > limit:
            raise _too_many_cells(limit, max(width, row_cells))
        if tag != b"c":
            continue
        if row_cells > MAX_CELLS_PER_ROW:
            raise InvalidRequest(
                ROW_TOO_WIDE.format(row=row, limit=MAX_CELLS_PER_ROW, columns=MAX_HEADER_NUMBER)
            )
        column = _column_number(place) if place is not None else column + 1
        if column > MAX_HEADER_NUMBER:
            cell = place or f"{get_column_letter(min(column, 18278))}{row}"
            raise InvalidRequest(
                CELL_TOO_FAR_RIGHT.format(
                    cell=cell,
                    last=get_column_letter(MAX_HEADER_NUMBER),
                    columns=MAX_HEADER_NUMBER,
                )
            )
    return runs


def _row_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            raise InvalidRequest(BROKEN_XLSX) from None
        if not number.is_integer():
            raise InvalidRequest(BROKEN_XLSX) from None
        return int(number)


def _column_number(reference: str) -> int:
    try:
        return coordinate_to_tuple(reference)[1]
    except (ValueError, IndexError):
        raise InvalidRequest(BROKEN_XLSX) from None


def _tags(chunks: Iterator[bytes]) -> Iterator[tuple[bytes, str | None, int]]:
    """The row, cell, shared-string and run start tags of a part's bytes (`chunks`), and
    the end tags of cells and shared strings ("/c", "/si"), each with its `r` attribute (a
    row's number, a cell's reference) if it has one, and where it starts in the part."""
    tail = b""
    offset = 0  # where `tail` starts in the part
    for chunk in chunks:
        text = tail + chunk
        # Every tag before the last "<" is whole (no attribute value holds a "<"); the
        # tag it starts is read in the next round.
        cut = text.rfind(b"<", len(tail))
        if LONG_TEXT.search(text) or (cut == -1 and len(text) > MAX_TEXT_BYTES):
            raise InvalidRequest(CELL_TOO_LONG.format(limit=MAX_CELL_CHARS))
        if cut == -1:
            tail = text
            continue
        yield from _tags_in(text, cut, offset)
        tail = text[cut:]
        offset += cut
    yield from _tags_in(tail, len(tail), offset)


def _tags_in(text: bytes, end: int, offset: int) -> Iterator[tuple[bytes, str | None, int]]:
    for match in SHEET_TAG.finditer(text, 0, end):
        closing, tag = match.group(1), match.group(2)
        position = offset + match.start()
        if closing:
            if tag in (b"c", b"si"):
                yield b"/" + tag, None, position
            continue
        if tag in (b"si", b"r"):
            yield tag, None, position
            continue
        place = None
        at = match.end()
        while attribute := ATTRIBUTE.match(text, at):
            if attribute.group(1) == b"r":
                value = attribute.group(2)
                value = attribute.group(3) if value is None else value
                place = html.unescape(value.decode("utf-8", "replace"))
            at = attribute.end()
        if not TAG_END.match(text, at):
            raise InvalidRequest(BROKEN_XLSX)  # not XML: openpyxl would not read it either
        yield tag, place, position


def _sheet_file(sheet) -> ImportFile:
    """The sheet's first non-empty row as headers and the rows below as comma-separated
    text, each row on the line of its row number (openpyxl's row number)."""
    sheet.reset_dimensions()  # a sheet's declared dimension is not trusted to pad rows
    limit = settings.LOYALTY["MAX_BATCH_ROWS"]
    # What the rows may add up to: as much text as a CSV upload may hold. Cells that name
    # one shared string each become a copy of it here (240 cells of one 900 KB string in a
    # 3 KB file cost 641 MB before: third red team).
    text_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    text_read = 0
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    headers: list[str] | None = None
    line = 0  # the line of `out` the next row starts on, less one
    moved: dict[int, int] = {}
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if number > limit + 1:
            raise InvalidRequest(TOO_MANY_ROWS.format(limit=limit))
        values = [_cell(value) for value in row]
        text_read += sum(len(value) for value in values)
        if text_read > text_limit:
            raise InvalidRequest(TOO_MUCH_TEXT.format(limit=text_limit // (1024 * 1024)))
        while values and not values[-1].strip():
            values.pop()
        if headers is None:
            if values:
                headers = values
            continue
        if not values:
            continue
        # Empty cells at a row's end are not in the sheet's XML: the row has the header's width.
        values += [""] * (len(headers) - len(values))
        # The cells go to the import's one reading of every file (spreadsheet.columns_read),
        # which takes a formula apostrophe off, as a spreadsheet may have kept a CSV's in a
        # cell (customers/workbook.py writes one only where that gives the value back).
        if line < number - 1:
            out.write("\n" * (number - 1 - line))
            line = number - 1
        if line + 1 != number:
            moved[line + 1] = number
        writer.writerow(values)
        # A cell holding line breaks makes its row several lines, so the rows after it
        # start on later lines than their numbers: `moved` gives their numbers back.
        line += 1 + sum(len(LINE_BREAK.findall(value)) for value in values)
    if headers is None:
        raise InvalidRequest(NO_HEADER_ROW)
    return ImportFile(
        kind="XLSX",
        encoding=None,
        delimiter=",",
        headers=headers,
        data=out.getvalue(),
        moved=moved,
    )


def _cell(value) -> str:
    """A spreadsheet cell as the text the API would have been sent."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
