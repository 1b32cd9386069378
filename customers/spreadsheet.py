"""Values in files a person opens in a spreadsheet: formula neutralising and its reverse,
and the admin export's account column.

Excel, LibreOffice and Google Sheets run a cell that begins with `=`, `+`, `-` or `@` (and,
after a TAB or CR, whatever follows) as a formula, so a customer's name sent through the
API could be a live HYPERLINK or DDE call in the file staff open. Every export a person
opens (the admin's CSV and XLSX, export_customers unless --raw) writes such a value with an
apostrophe in front, the usual text prefix; every import a person feeds (the admin's,
import_customers unless --raw) takes exactly one apostrophe off again. So the apostrophe is
added to a value that starts with any number of apostrophes and then one of those
characters, and taken off a value that starts with at least one apostrophe and then one of
them: `=1` -> `'=1` -> `=1`, `'=1` -> `''=1` -> `'=1`, while `'quoted` and `O'Brien` are
never touched. The API takes values as sent (it is a drop-in replacement of an existing
API): a file for it is exported with --raw.
"""

import re
from typing import Any

from accounts.models import Account
from core.errors import InvalidRequest

# What a spreadsheet reads as the start of a formula.
FORMULA_START = "=+-@\t\r"
_NEEDS_APOSTROPHE = re.compile(rf"'*[{re.escape(FORMULA_START)}]")
_HAS_APOSTROPHE = re.compile(rf"'+[{re.escape(FORMULA_START)}]")

# The admin export's first column: the slug of each customer's account, since the list may
# hold several accounts' customers.
ACCOUNT_COLUMN = "account"
OTHER_ACCOUNT = (
    "Row {row} is a customer of account {value}, not of {account}, the account you are "
    "importing into. Import each account's customers into their own account (filter the "
    "customer list by account before exporting), or clear the account column."
)


def neutralised(value: str) -> str:
    """`value` as an export a person opens writes it: never the start of a formula."""
    return "'" + value if _NEEDS_APOSTROPHE.match(value) else value


def restored(value: str) -> str:
    """A value of a file a person fed back: neutralised()'s apostrophe taken off again."""
    return value[1:] if _HAS_APOSTROPHE.match(value) else value


def restored_values(values: list[str]) -> list[str]:
    """A line's values, each restored(). It runs for every line of a command line import,
    so one substring search of the values joined by NUL tells whether any starts with an
    apostrophe (a NUL inside a value can only make it look in vain: such a value is
    refused later anyway)."""
    joined = "\0".join(values)
    if not joined.startswith("'") and "\0'" not in joined:
        return values
    return [restored(value) for value in values]


def restored_dataset(dataset: Any, *, account: Account) -> Any:
    """An admin import's file (a tablib Dataset, as django-import-export's formats read
    it) without the export's account column (every non-empty value must name `account`,
    by slug or owner id) and with its text cells restored()."""
    headers = [str(name or "").strip() for name in dataset.headers or []]
    account_at = headers.index(ACCOUNT_COLUMN) if ACCOUNT_COLUMN in headers else None
    names = {account.slug, account.owner_id}
    result = type(dataset)()
    result.headers = [name for index, name in enumerate(headers) if index != account_at]
    for row_number, row in enumerate(dataset, start=2):
        if account_at is not None:
            value = str(row[account_at] or "").strip()
            if value and value not in names:
                raise InvalidRequest(
                    OTHER_ACCOUNT.format(row=row_number, value=value, account=account.slug)
                )
        result.append(
            [
                restored(cell) if isinstance(cell, str) else cell
                for index, cell in enumerate(row)
                if index != account_at
            ]
        )
    return result
