"""A file's header row (the admin's import) -> the API's header names, and every column it
cannot name said at once.

Staff name columns as the API does (`first_name`), or as the admin's export dialog labels
them (`First Name`: django-import-export's label, the field's name with spaces for
underscores, title-cased), in any case and spacing. Both come from ONE mapping: every
header name the API accepts (customers/batch/params.py's HEADER_FIELDS, itself derived
from customers/columns.py) and the columns of our own files that are not fields (the
export's account, the failed-lines file's line and error), keyed by header_key(). No second list of
columns exists here: a column added to the model is accepted under both spellings.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import InvalidRequest

from .batch.params import HEADER_FIELDS, closest_names
from .spreadsheet import ACCOUNT_COLUMN, ERROR_COLUMN, LINE_COLUMN

ONE_UNKNOWN = (
    "Column {number}, {value}, is not a known field: name it as one (code, card_number, "
    "first_name, ...), or leave its header empty to skip the column."
)
ONE_UNKNOWN_SUGGESTION = (
    "Column {number}, {value}, is not a known field; did you mean {suggestion}?"
)
UNKNOWN_COLUMNS = (
    "{count} columns of the header row are not known fields: {columns}. Name each as a "
    "field (code, card_number, first_name, ... or as the export names them: Code, Card "
    "Number, First Name, ...), or leave its header empty to skip the column."
)
SAME_FIELD = "Column {number}, {value}, names the same field as column {other_number}."
UNKNOWN_COLUMN = "column {number}, {text}"
UNKNOWN_COLUMN_SUGGESTION = "column {number}, {text} (did you mean {suggestion}?)"
# A header this long names nothing; it is shown cut, as the engine shows values.
SHOWN_HEADER_LIMIT = 40


def header_key(text: str) -> str:
    """A header's text compared without case, spaces or underscores: `First Name`,
    `first_name` and `FIRSTNAME` are one key."""
    return "".join(text.replace("_", " ").lower().split())


def export_label(name: str) -> str:
    """The label the admin's export dialog gives a column (django-import-export's
    ExportForm._get_field_label): `first_name` -> `First Name`."""
    return name.replace("_", " ").title()


# header_key -> the name the API (or spreadsheet.columns_read, for the non-fields)
# reads. The one mapping of the file's header spellings.
HEADER_NAMES: dict[str, str] = {
    header_key(name): name for name in (*HEADER_FIELDS, ACCOUNT_COLUMN, ERROR_COLUMN, LINE_COLUMN)
}


@dataclass(frozen=True)
class FileHeaders:
    """The header row as the file has it (`texts`, for messages) and as the API names its
    columns (`names`: '' for an empty header)."""

    texts: list[str]
    names: list[str]

    def column_words(self, name: str | None) -> str | None:
        """How staff read the column of API field `name`: "column 3, Birthday", or None
        when the file has no such column."""
        if name is None:
            return None
        key = header_key(name)
        for number, known in enumerate(self.names, start=1):
            if known and header_key(known) == key:
                return f"column {number}, {_shown(self.texts[number - 1].strip())}"
        return None


def file_headers(texts: list[str]) -> FileHeaders:
    """The FileHeaders of a file's header row, or InvalidRequest naming every column whose
    header is no field (its number, its text, and the closest field where one is close)."""
    names: list[str] = []
    unknown: list[tuple[int, str, str | None]] = []
    numbers: dict[str, int] = {}
    for number, text in enumerate(texts, start=1):
        key = header_key(text)
        name = HEADER_NAMES.get(key, "") if key else ""
        if key and not name:
            unknown.append((number, _shown(text.strip()), _suggestion(key)))
        elif name in numbers:
            value = _shown(text.strip())
            raise InvalidRequest(
                SAME_FIELD.format(number=number, value=value, other_number=numbers[name])
            )
        elif name:
            numbers[name] = number
        names.append(name)
    if len(unknown) == 1:
        ((number, value, suggestion),) = unknown
        if suggestion is None:
            raise InvalidRequest(ONE_UNKNOWN.format(number=number, value=value))
        raise InvalidRequest(
            ONE_UNKNOWN_SUGGESTION.format(number=number, value=value, suggestion=suggestion)
        )
    if unknown:
        columns = "; ".join(
            UNKNOWN_COLUMN.format(number=number, text=value)
            if suggestion is None
            else UNKNOWN_COLUMN_SUGGESTION.format(number=number, text=value, suggestion=suggestion)
            for number, value, suggestion in unknown
        )
        raise InvalidRequest(UNKNOWN_COLUMNS.format(count=len(unknown), columns=columns))
    return FileHeaders(texts=list(texts), names=names)


def _suggestion(key: str) -> str | None:
    """The field a misspelt header most likely means, if one is close."""
    return closest_names(key, HEADER_NAMES) or None


def _shown(text: str) -> str:
    return text if len(text) <= SHOWN_HEADER_LIMIT else text[:SHOWN_HEADER_LIMIT] + "…"
