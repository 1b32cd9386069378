"""The admin's XLSX export: a workbook whose every value is a text cell.

In a workbook a cell says its own type, so a text cell that begins with `=`, `+`, `-` or `@`
is shown as written and never run; only a value written as a formula cell is one (openpyxl
makes one of any value that begins with `=`). So the XLSX export writes each value as it is
stored, as a text cell, marked "quote prefix" where it begins like a formula (Excel's own
mark for "typed with an apostrophe": the cell stays text when staff edit it), and the admin
import reads an XLSX's cells as they are. The apostrophe of customers/spreadsheet.py is for
text files only (CSV), where nothing but the apostrophe tells a spreadsheet "this is text":
a phone number +44 ... reads as +44 ... in the workbook (a shop owner's report).
"""

import io
import logging
from collections.abc import Iterable, Sequence

from import_export.formats import base_formats
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.exceptions import IllegalCharacterError

from .spreadsheet import FORMULA_START, restored

logger = logging.getLogger(__name__)

EXPORT_FAILED = "The export failed: a value holds a character a workbook cannot hold."


def text_workbook(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """An XLSX of one sheet: the headers, then the rows, every value a text cell."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in (headers, *rows):
        sheet.append([_text_cell(sheet, value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text_cell(sheet, value: object) -> WriteOnlyCell:
    text = "" if value is None else str(value)
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # openpyxl guessed a formula for "=..."
    if text.startswith(tuple(FORMULA_START)):
        cell.quotePrefix = True
    return cell


class TextCellsXLSX(base_formats.XLSX):
    """django-import-export's XLSX, written by text_workbook(). The export resource gives
    every format the text files' values (customers/resources.py, neutralised): the
    apostrophe they carry is taken off again here, where a text cell needs none."""

    def export_data(self, dataset, **kwargs) -> bytes:
        rows = ([restored(value) for value in row] for row in dataset)
        try:
            return text_workbook([str(header) for header in dataset.headers], rows)
        except IllegalCharacterError:
            # Not the value itself: it would be shown back to whoever exported (the reason
            # django-import-export gives too).
            logger.exception("XLSX export failed")
            raise ValueError(EXPORT_FAILED) from None
