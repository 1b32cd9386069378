"""Values in files a person opens in a spreadsheet: formula neutralising and its reverse,
and the admin export's account column.

Excel, LibreOffice and Google Sheets run a cell that begins with `=`, `+`, `-` or `@` (and,
after a TAB or CR, whatever follows) as a formula, so a customer's name sent through the
API could be a live HYPERLINK or DDE call in the file staff open. Every export a person
opens (the admin's CSV and XLSX, the failed-lines file the admin and the API offer,
export_customers unless --raw) writes such a value with an
apostrophe in front, the usual text prefix; every import a person feeds (the admin's,
import_customers unless --raw) takes exactly one apostrophe off again. So the apostrophe is
added to a value that starts with any number of apostrophes and then one of those
characters, and taken off a value that starts with at least one apostrophe and then one of
them: `=1` -> `'=1` -> `=1`, `'=1` -> `''=1` -> `'=1`, while `'quoted` and `O'Brien` are
never touched. A whole value of digits a spreadsheet would change as a number (a leading
zero, more than 11 digits: PROTECTED_NUMBER) is kept as text the same way. The API takes
values as sent (it is a drop-in replacement of an existing API): a file for it is exported
with --raw.
"""

import re

from accounts.models import Account
from core.errors import InvalidRequest

from .batch.types import ValuesRead

# What a spreadsheet reads as the start of a formula.
FORMULA_START = "=+-@\t\r"
# A whole value of digits that a spreadsheet opening a CSV reads as a number and changes:
# a leading zero is dropped (a phone 0632323232 becomes 632323232) and past 11 digits it
# is shown, then saved, rounded (a 16-digit card number 4000123412341234 becomes
# 4000123412341230 or 4,00012E+15): a shop owner's export round trip "Updated 1". It gets
# the same apostrophe, which keeps it as text, and the import takes it off the same way.
PROTECTED_NUMBER = r"(?:0[0-9]+|[0-9]{12,})\Z"
_SPREADSHEET_CHANGES = rf"(?:[{re.escape(FORMULA_START)}]|{PROTECTED_NUMBER})"
_NEEDS_APOSTROPHE = re.compile(rf"'*{_SPREADSHEET_CHANGES}")
_HAS_APOSTROPHE = re.compile(rf"'+{_SPREADSHEET_CHANGES}")
# A piece after a comma, a semicolon, ... is a cell only where a spreadsheet splits the
# value (a security matter, below): it is guarded against formulas, not read as a number
# ("3,05" stays "3,05", not "3,'05").
_PIECE_NEEDS_APOSTROPHE = re.compile(rf"'*[{re.escape(FORMULA_START)}]")
_PIECE_HAS_APOSTROPHE = re.compile(rf"'+[{re.escape(FORMULA_START)}]")
# Each piece of a value after a comma, a semicolon, a line break or a TAB is neutralised as
# a value's start: a spreadsheet may start a cell there. Excel splits a CSV on its list
# separator, "," or ";" by the computer's region, whatever the file's own delimiter, and
# where a quote does not start a value it is plain text: so ";" splits a comma file's
# quoted value (fifth red team), "," a semicolon or TAB file's (tenth red team: "y,=2*3,z"
# in a semicolon file's failed lines), and a line break inside a quoted value ends the row,
# what follows it starting the next (ninth red team: "Anna\n=cmd|..."); a TAB starts a cell
# where a file is split on TABs.
PIECE_STARTS = ",;\r\n\t"
_HAS_PIECES = re.compile(rf"[{PIECE_STARTS}]")
# Split after each such character, so that every piece but the first starts where a cell
# may start and keeps the character that ended the one before.
_PIECES = re.compile(rf"(?<=[{PIECE_STARTS}])")
_PIECE_WITH_APOSTROPHE = re.compile(rf"[\0{PIECE_STARTS}]'")
# The first characters of a value neutralised() may change; an export asks of every value.
_MAY_NEED_APOSTROPHE = frozenset("'" + FORMULA_START + "0123456789")

# The last column of a file of failed lines (customers/failed_lines.py), and the first of
# the admin's (customers/failed_lines_file.py): each line's number in the imported file.
ERROR_COLUMN = "error"
LINE_COLUMN = "line"
# The admin export's first column: the slug of each customer's account, since the list may
# hold several accounts' customers.
ACCOUNT_COLUMN = "account"
# A long number as a spreadsheet shows it once it has rounded it to fit a cell ("General"
# format: 123456789012 -> 1,23457E+11 with a decimal comma, 1.23457E+11 with a point); saved
# as CSV so, its digits are lost. No card number, code or phone is written so on purpose.
ROUNDED_NUMBER = re.compile(r"[0-9]+(?:[.,][0-9]+)?E\+[0-9]+")
ROUNDED_BY_A_SPREADSHEET = (
    'Line {line} holds "{value}", a long number as a spreadsheet shows it once it has '
    "rounded it: its last digits are lost, so the file is not imported. In your spreadsheet, "
    "format the column as Text and type the numbers again (or open the file they came "
    "from), then save it and upload it again."
)
# An amount with a decimal comma, as a spreadsheet writes it where that is the decimal
# separator (12,50): the credit column's is read with a point. Three digits after the comma
# would be a thousands separator (1,250), and stay as they are (then refused, naming them).
DECIMAL_COMMA = re.compile(r"([0-9]+),([0-9]{1,2})")
# Such an amount as the import read it (12.50), which a failed-lines file writes back.
_DECIMAL_POINT = re.compile(r"([0-9]+)\.([0-9]{1,2})")
CREDIT_COLUMN = "auto_add"
OTHER_ACCOUNT = (
    "Row {row} is a customer of account {value}, not of {account}, the account you are "
    "importing into. Import each account's customers into their own account (filter the "
    "customer list by account before exporting), or clear the account column."
)


def with_decimal_comma(value: str) -> str:
    """`value`, an amount the import read from a decimal comma (12.50 for 12,50), as the file
    wrote it; any other value as it is."""
    decimal = _DECIMAL_POINT.fullmatch(value.strip())
    return f"{decimal.group(1)},{decimal.group(2)}" if decimal else value


def neutralised(value: str) -> str:
    """`value` as an export a person opens writes it: never the start of a formula, nor a
    piece after a comma, a semicolon, a line break or a TAB that starts one (PIECE_STARTS)."""
    if _HAS_PIECES.search(value):
        return "".join(map(_neutralised_piece, _PIECES.split(value)))
    if not value or value[0] not in _MAY_NEED_APOSTROPHE:
        return value
    return "'" + value if _NEEDS_APOSTROPHE.match(value) else value


def _neutralised_piece(value: str) -> str:
    return "'" + value if _PIECE_NEEDS_APOSTROPHE.match(value) else value


def workbook_text(value: str) -> str:
    """`value` as a workbook's text cell holds it: as stored, but for a value that starts
    with apostrophes and then a formula character, which gets one apostrophe more. A text
    cell needs no apostrophe (customers/workbook.py), yet the admin import takes one off
    every such value of an XLSX as of a CSV, since a spreadsheet that opened the CSV export
    and saved it as XLSX may keep the CSV's apostrophe in the cell (LibreOffice does: a
    shop owner's re-import stored '+44 ...). restored(workbook_text(v)) == v for every v."""
    if _HAS_PIECES.search(value):
        return "".join(map(_workbook_piece, _PIECES.split(value)))
    return "'" + value if value.startswith("'") and _HAS_APOSTROPHE.match(value) else value


def _workbook_piece(value: str) -> str:
    return "'" + value if value.startswith("'") and _PIECE_HAS_APOSTROPHE.match(value) else value


def restored(value: str) -> str:
    """A value of a file a person fed back: neutralised()'s apostrophes taken off again,
    at its start and at the start of each piece (PIECE_STARTS)."""
    if _HAS_PIECES.search(value):
        return "".join(map(_restored_piece, _PIECES.split(value)))
    return value[1:] if _HAS_APOSTROPHE.match(value) else value


def _restored_piece(value: str) -> str:
    return value[1:] if _PIECE_HAS_APOSTROPHE.match(value) else value


def restored_values(values: list[str]) -> list[str]:
    """A line's values, each restored(). It runs for every line of a command line import,
    so substring searches of the values joined by NUL tell whether any starts with an
    apostrophe, or has one at a piece's start (a NUL inside a value can only make it look
    in vain: such a value is refused later anyway)."""
    joined = "\0".join(values)
    if not joined.startswith("'") and not _PIECE_WITH_APOSTROPHE.search(joined):
        return values
    return [restored(value) for value in values]


def restored_line(line: int, values: list[str]) -> list[str]:
    """restored_values() as the import's values_read hook (customers/batch/pipeline.py)."""
    return restored_values(values)


def columns_read(headers: list[str], *, account: Account) -> tuple[list[str], ValuesRead]:
    """An admin import's column names and the hook that reads its lines' values. Three
    columns of our own files are not customer fields and are left unread: the export's
    account column (each of its non-empty values must name `account`, by slug or owner
    id, or InvalidRequest naming the row refuses the whole file) and the failed-lines
    file's line and error columns (staff fix that file's values and import it as it is).
    Every value is restored(). Three things spreadsheets do are read as a person meant them
    (shop owner, ninth run): a row whose values are all empty is skipped as a blank line
    (";;;" for a row whose cells were cleared became a customer of a generated code; the
    contract keeps such a line of the API a line of empty values); the credit column's
    amount may have a decimal comma (12,50); and a long number a spreadsheet rounded
    (ROUNDED_NUMBER, 1,23457E+11) refuses the file naming its line."""
    names = [name.strip() for name in headers]
    account_at = names.index(ACCOUNT_COLUMN) if ACCOUNT_COLUMN in names else None
    credit_at = names.index(CREDIT_COLUMN) if CREDIT_COLUMN in names else None
    # A last column the engine is not to read is cut off each line (a blank header
    # there would leave the line a value longer than its headers).
    width = len(names) - 1 if names and names[-1] == ERROR_COLUMN else None
    allowed = {"", account.slug, account.owner_id}

    def values_read(line: int, values: list[str]) -> list[str] | None:
        if not any(value.strip() for value in values):
            return None
        for value in values:
            if "E+" in value and ROUNDED_NUMBER.fullmatch(value.strip()):
                raise InvalidRequest(ROUNDED_BY_A_SPREADSHEET.format(line=line, value=value))
        if credit_at is not None and credit_at < len(values) and "," in values[credit_at]:
            decimal = DECIMAL_COMMA.fullmatch(values[credit_at].strip())
            if decimal:
                values = [*values]
                values[credit_at] = f"{decimal.group(1)}.{decimal.group(2)}"
        if account_at is not None and account_at < len(values):
            value = values[account_at].strip()
            if value not in allowed:
                raise InvalidRequest(
                    OTHER_ACCOUNT.format(row=line, value=value, account=account.slug)
                )
        return restored_values(values if width is None else values[:width])

    read = [
        "" if index == account_at or name in (ERROR_COLUMN, LINE_COLUMN) else header
        for index, (name, header) in enumerate(zip(names, headers, strict=True))
    ]
    return read if width is None else read[:width], values_read
