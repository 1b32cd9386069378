"""The admin's XLSX export: a workbook whose every value is a text cell, but its dates.

In a workbook a cell says its own type, so a text cell that begins with `=`, `+`, `-` or `@`
is shown as written and never run; only a value written as a formula cell is one. So the
XLSX export writes each value as it is stored, as a text cell, marked "quote prefix" where
it begins like a formula (Excel's own mark for "typed with an apostrophe": the cell stays
text when staff edit it): a phone number +44 ... reads as +44 ... in the workbook (a shop
owner's report). The apostrophe of customers/spreadsheet.py is for text files (CSV), where
nothing else tells a spreadsheet "this is text"; the admin import takes it off an XLSX's
cells too (a CSV export saved again as XLSX may keep it), so the one value that gets an
apostrophe here is one that already starts with apostrophes and a formula character
(spreadsheet.workbook_text). A date column's dates are date cells (a serial number shown
yyyy-mm-dd), which a spreadsheet sorts and filters as dates and the admin import reads back
as the same dates; a date before 1900-03-01, which Excel's serial numbers do not count
right (1900 is no leap year there), stays a text cell, read back the same.

The file is written here, not by a library: a workbook of one sheet of inline text cells
and two cell styles is six small XML parts in a zip. openpyxl's write-only workbook took
59 s for 100,000 rows of 16 values, XlsxWriter's constant_memory mode 25 s, and this
writer 2.5 s (tablib's CSV: 1.5 s), on the same loaded machine: an export of an account of
270,000 customers through openpyxl ran past gunicorn's 300 s (docs/decisions.md). The
sheet's XML goes into the zip a block of rows at a time, so memory does not grow with the
rows; the zip goes to a file (`out`), which the admin streams from a temporary file.
"""

import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from typing import IO

from import_export.formats import base_formats
from openpyxl.utils.cell import get_column_letter

from .spreadsheet import FORMULA_START, restored, workbook_text

EXPORT_FAILED = "The export failed: a value holds a character a workbook cannot hold."
# A sheet holds 1,048,576 rows: the header's and this many customers.
MAX_ROWS = 1_048_575
TOO_MANY_ROWS = (
    "The export failed: a workbook holds at most {limit:,} customers. Filter the customer "
    "list to fewer, or export CSV."
)
# Without ZIP64 (which Excel reads only in a form of its own), a zip member holds up to
# zipfile.ZIP64_LIMIT bytes.
TOO_LARGE = (
    "The export failed: the list is too large for a workbook. Filter the customer list to "
    "fewer customers, or export CSV."
)
# Rows of the sheet's XML written to the zip at a time.
BLOCK_ROWS = 1000
# XML 1.0 holds no other control characters, no U+FFFE or U+FFFF, and no lone surrogate
# (which UTF-8 cannot encode either).
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# A CR is written as a reference: an XML parser reads a CR in text as a line feed.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_FORMULA_START = tuple(FORMULA_START)
# A text starting with the OOXML escape of one of those characters (_x003D_ is "="):
# Excel shows the text decoded, so it gets the quote prefix too, or editing the cell in
# Excel would make it a formula (eleventh red team, not seen in Excel: the text is kept
# as it is stored, which the import reads back unchanged).
_ESCAPES_OF_FORMULA_START = "|".join(f"{ord(c):04X}" for c in FORMULA_START)
_ESCAPED_FORMULA_START = re.compile(f"_x(?:{_ESCAPES_OF_FORMULA_START})_", re.IGNORECASE)
# Style 1 of styles.xml: the quote prefix; style 2: a date, shown year-month-day.
QUOTED = ' s="1"'
DATED = ' s="2"'
# Excel's day 0 (its serial numbers count days from it), and its first day counted right.
_EPOCH = datetime.date(1899, 12, 30)
_FIRST_SERIAL_DATE = datetime.date(1900, 3, 1)
_TEXT = ' t="inlineStr"><is><t xml:space="preserve">'

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELATIONSHIPS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_OFFICE}.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{_OFFICE}.worksheet+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{_OFFICE}.styles+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/officeDocument" '
        'Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        f'<workbook xmlns="{_MAIN}" xmlns:r="{_RELATIONSHIPS}">'
        '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    ),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_PACKAGE_RELATIONSHIPS}">'
        f'<Relationship Id="rId1" Type="{_RELATIONSHIPS}/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_RELATIONSHIPS}/styles" Target="styles.xml"/>'
        "</Relationships>"
    ),
    # The least a spreadsheet needs of a stylesheet; cell style 1 is the quote prefix,
    # style 2 a date.
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_MAIN}">'
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
        "</borders>"
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        "</cellStyleXfs>"
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" '
        'applyNumberFormat="1"/>'
        "</cellXfs>"
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}
SHEET = "xl/worksheets/sheet1.xml"
_SHEET_START = f'{_DECLARATION}<worksheet xmlns="{_MAIN}"><sheetData>'
_SHEET_END = "</sheetData></worksheet>"


def text_workbook(
    headers: Sequence[str], rows: Iterable[Sequence[object]], *, dates: Sequence[int] = ()
) -> bytes:
    """An XLSX of one sheet: the headers, then the rows, every value a text cell but the
    YYYY-MM-DD dates of the columns `dates` (from 0), which are date cells."""
    out = io.BytesIO()
    write_text_workbook(out, headers, rows, dates=dates)
    return out.getvalue()


def write_text_workbook(
    out: IO[bytes],
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    dates: Sequence[int] = (),
) -> None:
    """Write text_workbook()'s XLSX to `out` (a seekable binary file). ValueError with
    EXPORT_FAILED if a value holds a character XML cannot hold, TOO_MANY_ROWS or TOO_LARGE
    if the rows do not fit a sheet or a zip member."""
    starts = [f'<c r="{get_column_letter(n)}' for n in range(1, len(headers) + 1)]
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, _DECLARATION + text)
        with archive.open(SHEET, "w") as sheet:
            sheet.write(_SHEET_START.encode())
            written = 0
            block = [_row_xml(1, starts, headers)]
            for number, row in enumerate(rows, start=2):
                if number > MAX_ROWS + 1:
                    raise ValueError(TOO_MANY_ROWS.format(limit=MAX_ROWS))
                block.append(_row_xml(number, starts, row, dates))
                if len(block) >= BLOCK_ROWS:
                    written = _write_block(sheet, block, written)
                    block = []
            written = _write_block(sheet, block, written)
            sheet.write(_SHEET_END.encode())


def _write_block(sheet: IO[bytes], block: list[str], written: int) -> int:
    """Write the rows' XML; returns the sheet's bytes written so far."""
    text = "".join(block)
    if _ILLEGAL.search(text):
        # Not the value itself: it would be shown back to whoever exported.
        raise ValueError(EXPORT_FAILED)
    data = text.encode()
    written += len(data)
    if written > zipfile.ZIP64_LIMIT - len(_SHEET_END):
        raise ValueError(TOO_LARGE)
    sheet.write(data)
    return written


def _row_xml(
    number: int, starts: list[str], row: Sequence[object], dates: Sequence[int] = ()
) -> str:
    """A row's XML: a text cell for each non-empty value (an empty cell is no cell), a
    date cell for a date of the columns `dates`. `starts`: each column's cell tag up to its
    row number. It runs for every row of an export, so a row is checked for characters to
    escape once, not value by value."""
    texts = ["" if value is None else workbook_text(str(value)) for value in row]
    joined = "".join(texts)
    if "&" in joined or "<" in joined or ">" in joined or "\r" in joined:
        texts = [text.translate(_ESCAPES) for text in texts]
    place = f'{number}"'
    cells = [
        f"{start}{place}{QUOTED if _starts_a_formula(text) else ''}{_TEXT}{text}</t></is></c>"
        if text
        else ""
        for start, text in zip(starts, texts, strict=True)
    ]
    for index in dates:
        serial = _date_serial(texts[index])
        if serial is not None:
            cells[index] = f"{starts[index]}{place}{DATED}><v>{serial}</v></c>"
    return f'<row r="{number}">{"".join(cells)}</row>'


def _date_serial(text: str) -> int | None:
    """Excel's serial number of a YYYY-MM-DD date from 1900-03-01 on, else None."""
    if len(text) != 10:
        return None
    try:
        date = datetime.date.fromisoformat(text)
    except ValueError:
        return None
    if date < _FIRST_SERIAL_DATE:
        return None
    return (date - _EPOCH).days


def _starts_a_formula(text: str) -> bool:
    return text.startswith(_FORMULA_START) or (
        text.startswith("_x") and _ESCAPED_FORMULA_START.match(text) is not None
    )


class TextCellsXLSX(base_formats.XLSX):
    """django-import-export's XLSX, written by text_workbook(). The admin's export writes
    it itself (customers/admin_export.py); a dataset of the export resource holds the text
    files' values (customers/resources.py, neutralised), whose apostrophe is taken off
    again here, where a text cell needs none."""

    def export_data(self, dataset, **kwargs) -> bytes:
        rows = ([restored(value) for value in row] for row in dataset)
        return text_workbook([str(header) for header in dataset.headers], rows)
