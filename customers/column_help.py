"""What each column an admin import reads holds, in shop words: the import page's
"Columns this import reads". The columns are file_headers.HEADER_NAMES's (every header the
API accepts, derived from customers/columns.py, and the columns of our own files),
each under its two spellings; a column without a description here fails a test
(tests/admin/test_shop_owner_reports.py), so one added to the model is described."""

from __future__ import annotations

from dataclasses import dataclass

from .file_headers import HEADER_NAMES, SYNONYM_WORDS, column_label

DESCRIPTIONS = {
    "code": "the shop's own id for the customer; a customer already here is found by it "
    "(or, on a row without one, by card_number). Left empty, a new customer gets a "
    "16-digit code.",
    "card_number": "the customer's loyalty card number, unique in the account.",
    "first_name": "the customer's first name.",
    "last_name": "the customer's last name.",
    "email": "the customer's email address.",
    "phone": "the customer's phone number.",
    "custom_date": "one date of your choosing kept with each customer, such as a birthday "
    "or the day they joined (choose below how the file writes dates).",
    "street1": "the first line of the customer's street address.",
    "street2": "the second line of the customer's street address.",
    "city": "the customer's town or city.",
    "state": "the customer's state, county or region.",
    "postal_code": "the customer's postal or ZIP code.",
    "country": "the customer's country.",
    "custom_field": "one text of your choosing kept with each customer (up to 255 "
    "characters), such as a home store or a segment.",
    "customer_username": "the name the customer signs in with, unique in the account.",
    "customer_password": "the customer's sign-in password; kept only as a hash, never shown "
    "or exported.",
    "customer_PIN": "the customer's PIN; kept only as a hash, never shown or exported.",
    "auto_add": "points, money or visits credited to each customer in the chosen campaign on "
    "import (in that campaign's unit; for a buy-X campaign, the item bought, by id or name); "
    "empty or 0 credits nothing.",
    "account": "the export's account column: every row's must be the chosen account; it is "
    "checked, not imported.",
    "error": "the failed-lines file's error column: not read, so that file can be imported "
    "again as it is.",
    "line": "the failed-lines file's line column (each line's number in the file first "
    'imported): not imported either; the preview names a failing row by it too ("row 3 '
    '(line 54,323 of the original file)"), and the file of the lines that fail again '
    "keeps it.",
}


@dataclass(frozen=True)
class ImportColumn:
    name: str  # as the API and the field lists name it
    label: str  # as the admin names it: its pages, its export's header
    description: str
    # The shops' own words also read as this column (file_headers.SYNONYM_WORDS).
    also: tuple[str, ...] = ()


def import_columns() -> list[ImportColumn]:
    """Every column an import reads, in the contract's order, then our files' own."""
    return [
        ImportColumn(name, column_label(name), DESCRIPTIONS[name], SYNONYM_WORDS.get(name, ()))
        # Each name once: HEADER_NAMES holds it under its label too.
        for name in dict.fromkeys(HEADER_NAMES.values())
    ]
