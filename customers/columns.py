"""The customer's columns, derived once from the model's _meta.

Every list of customer columns (what an import reads, writes and records for undo, what a
line may name, what `overwrite_duplicates=yes` blanks, what the admin edits, compares and
exports, the maximum lengths) is taken from here; a column added to the model reaches
them all. The names below are the exceptions, each said once with its reason.
"""

from collections.abc import Iterable

from django.db.models import CharField, DateField, Field

from .models import Customer

_META = Customer._meta
# Every stored column's field, by name: what the lists below are made of.
CONCRETE_FIELDS: dict[str, Field] = {field.name: field for field in _META.concrete_fields}
# Not the import's: the account comes with the request, the stamps with the write.
BOOKKEEPING = ("account", "created_at", "updated_at")
# Computed by the database from other columns (the search's phone digits): never written.
COMPUTED = tuple(field.name for field in _META.concrete_fields if field.generated)
# Raised by every write (import, admin, rollback), never sent by a line.
VERSION = "version"
# API 1.5's custom_field_1..N, kept by name in one JSON column.
CUSTOM_FIELDS = "custom_fields"
# Identities: an empty value never clears them (the contract), so `yes` does not blank them.
IDENTITIES = ("code", "card_number")
# Stored as hashes: never shown, never exported.
SECRETS = ("customer_password", "customer_pin")
USERNAME = "customer_username"

# Every column an import reads, writes and records for undo, in the model's order ("id"
# first, "code" next: the bulk upsert keys on it).
IMPORT_COLUMNS: tuple[str, ...] = tuple(
    field.name for field in _META.concrete_fields if field.name not in (*BOOKKEEPING, *COMPUTED)
)
# The columns an import writes: all it reads but the key.
PROFILE_COLUMNS = tuple(column for column in IMPORT_COLUMNS if column != _META.pk.name)
# The columns a line's values go into (a header names them), in the contract's order.
LINE_COLUMNS = tuple(column for column in PROFILE_COLUMNS if column not in (VERSION, CUSTOM_FIELDS))
# The profile as a written customer holds it: what a rollback restores and the undo
# state's page compares.
RESTORED_COLUMNS = tuple(column for column in PROFILE_COLUMNS if column != VERSION)
# The maximum length of each text column of a line (before hashing, for the secrets).
MAX_LENGTHS: dict[str, int] = {
    column: field.max_length
    for column in LINE_COLUMNS
    if isinstance(field := CONCRETE_FIELDS[column], CharField) and field.max_length is not None
}
# What `overwrite_duplicates=yes` leaves in every profile column outside the headers: the
# model's own empty value (NULL for nullable columns, '' for text, {} for custom fields).
BLANK_PROFILE = {
    column: CONCRETE_FIELDS[column].get_default()
    for column in RESTORED_COLUMNS
    if column not in IDENTITIES
}
# The columns the admin's customer form edits: the username and PIN are only shown, the
# password only replaced.
ADMIN_FORM_COLUMNS = (
    "account",
    *(column for column in RESTORED_COLUMNS if column not in (*SECRETS, USERNAME)),
)
# The columns of dates (the XLSX export writes them as date cells).
DATE_COLUMNS = tuple(
    column for column in LINE_COLUMNS if isinstance(CONCRETE_FIELDS[column], DateField)
)
# The columns exported (the command line's headed by these names, the admin's by their labels:
# customers/file_headers.py, COLUMN_LABELS; either imports back unchanged),
# before the account's custom_field_N.
EXPORT_COLUMNS = tuple(column for column in LINE_COLUMNS if column not in SECRETS)


def emptied_by_replace(headers: Iterable[str | None], custom_field_count: int) -> list[str]:
    """The fields `overwrite_duplicates=yes` empties in a customer it updates from a file
    with these headers: every BLANK_PROFILE column the file does not name (the account's
    custom_field_N one by one), by the name a file's header gives it."""
    named = {str(name).strip().lower() for name in headers if name}
    emptied: list[str] = []
    for column in BLANK_PROFILE:
        if column == CUSTOM_FIELDS:
            numbered = (f"custom_field_{n}" for n in range(1, custom_field_count + 1))
            emptied.extend(name for name in numbered if name not in named)
        elif column not in named:
            emptied.append(column)
    return emptied
