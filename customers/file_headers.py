"""A file's header row (the admin's import) -> the API's header names, and every column it
cannot name said at once.

Staff name columns as the API does (`first_name`), or by the admin's label of the column
(COLUMN_LABELS: `First name`, `Birthday / custom date`, the customer page's labels, which
head the admin's export and its dialog's ticks and are what the import page and the
preview call the columns), in any case and spacing. Both come from ONE mapping: every
header name the API accepts (customers/batch/params.py's HEADER_FIELDS, itself derived
from customers/columns.py) and the columns of our own files that are not fields (the
export's account, the failed-lines file's line and error), keyed by header_key(). No second list of
columns exists here: a column added to the model is accepted under both spellings.

Shops' own files name columns in their words (Mobile, Surname, Birthday, Points): those
are SYNONYM_WORDS, the one table of other spellings, by the field each names; the preview
says how each such column is read. A header that could name two fields (Name: first or
last?) is refused with advice (AMBIGUOUS_HEADERS), never guessed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.utils.text import capfirst

from core.errors import InvalidRequest

from .batch.params import HEADER_FIELDS, closest_names
from .columns import CONCRETE_FIELDS
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
    "number, First name, ...), or leave its header empty to skip the column."
)
SAME_FIELD = (
    "Column {other_number}, {other_value}, and column {number}, {value}, both name {field}: "
    "keep one of them, or leave the other's header empty to skip it."
)
READ_AS = "Column {number}, {value}, is read as {field}."
# How READ_AS names the credit column, as the preview's other words do ("The first campaign
# gets the points or credit to add"); the others by their label (a shop owner read "is read
# as custom_date" and "is read as auto_add").
READ_AS_WORDS = {"auto_add": "the points or credit to add"}
AMBIGUOUS = (
    "Column {number}, {value}, could hold first names, last names or both: split it into "
    "two columns, first_name and last_name (a spreadsheet's Text to Columns splits at the "
    "space), or name it first_name or last_name if it holds only one of them."
)
UNKNOWN_COLUMN = "column {number}, {text}"
UNKNOWN_COLUMN_SUGGESTION = "column {number}, {text} (did you mean {suggestion}?)"
# A header this long names nothing; it is shown cut, as the engine shows values.
SHOWN_HEADER_LIMIT = 40


def header_key(text: str) -> str:
    """A header's text compared without case, spaces, underscores, hyphens, dots or
    accents: `First Name`, `first_name` and `FIRSTNAME` are one key, and so are `E-mail`
    and `email`, `Téléphone` and `telephone`."""
    folded = text.replace("_", " ").replace("-", " ").replace(".", " ").lower()
    if not folded.isascii():
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return "".join(folded.split())


# Each column's name in the admin, by the column's field (the model's name, customer_pin)
# or the header name of a column that is no field: the customer page's label of the field
# (its verbose name), which heads the admin's export (customers/resources.py) and names the
# column on the import page, in the preview and in its warnings. The one list of labels.
COLUMN_LABELS: dict[str, str] = {
    **{
        field: capfirst(str(CONCRETE_FIELDS[field].verbose_name))
        for field in HEADER_FIELDS.values()
        if field in CONCRETE_FIELDS
    },
    "auto_add": "Points or credit to add",
    ACCOUNT_COLUMN: "Account",
    ERROR_COLUMN: "Error",
    LINE_COLUMN: "Line",
}


def column_label(name: str) -> str:
    """The admin's label of a column, by its header name (`customer_PIN`) or field name
    (`customer_pin`): `first_name` -> `First name`, `custom_date` -> `Birthday / custom
    date`; an API 1.5 custom_field_N is its own label, as on the customer's page."""
    return COLUMN_LABELS.get(HEADER_FIELDS.get(name, name), name)


# header_key -> the name the API (or spreadsheet.columns_read, for the non-fields)
# reads, under the name and under its label. The one mapping of the file's header spellings.
HEADER_NAMES: dict[str, str] = {
    header_key(spelling): name
    for name in (*HEADER_FIELDS, ACCOUNT_COLUMN, ERROR_COLUMN, LINE_COLUMN)
    for spelling in (name, column_label(name))
}
# The words shops' files use for a column besides those, by the header name (the API's)
# each is read as: the one table of other spellings, in English, then French (a French
# shop's Prénom, Nom, Téléphone; docs/decisions.md). Compared by header_key, so
# case, spaces, hyphens, dots and accents do not matter ("E-mail", "Date of birth", "Card
# No.", "Telephone" for "Téléphone"). The admin's import only: the API reads its
# contract's names.
SYNONYM_WORDS: dict[str, tuple[str, ...]] = {
    "code": (
        "customer code",
        "customer number",
        "customer no",
        "customer id",
        "member id",
        "numéro client",
        "numéro de client",
        "n° client",
        "no client",
        "code client",
    ),
    "card_number": (
        "card",
        "card no",
        "loyalty card",
        "loyalty card number",
        "numéro de carte",
        "carte de fidélité",
    ),
    "first_name": ("given name", "forename", "prénom"),
    "last_name": ("surname", "family name", "nom", "nom de famille"),
    "email": ("email address", "mail", "adresse e-mail", "adresse mail", "courriel"),
    "phone": (
        "mobile",
        "mobile phone",
        "mobile number",
        "phone number",
        "telephone",
        "tel",
        "cell",
        "cell phone",
        "portable",
        "téléphone portable",
    ),
    "custom_date": (
        "birthday",
        "birth date",
        "date of birth",
        "dob",
        "date de naissance",
        "anniversaire",
    ),
    "street1": (
        "street",
        "address",
        "address 1",
        "address line 1",
        "street address",
        "adresse",
        "adresse 1",
        "rue",
    ),
    "street2": ("address 2", "address line 2", "adresse 2", "complément d'adresse"),
    "city": ("town", "ville", "commune"),
    "state": ("county", "region", "province", "département"),
    "postal_code": ("postcode", "zip", "zip code", "code postal", "cp"),
    "country": ("pays",),
    "custom_field": ("notes", "note", "remarque", "remarques"),
    "customer_username": ("username", "login", "identifiant"),
    "customer_password": ("password",),
    "customer_PIN": ("pin", "pin code"),
    # auto_add: the amount credited on import, in the first campaign's unit.
    "auto_add": ("points", "credit", "opening points", "visits"),
}
# header_key -> the header name of every spelling a file may use: HEADER_NAMES, then the
# synonyms (which never shadow a name: a test checks none is one).
KNOWN_HEADERS: dict[str, str] = {
    **{header_key(word): name for name, words in SYNONYM_WORDS.items() for word in words},
    **HEADER_NAMES,
}
# Headers that name no one field: refused with advice rather than guessed.
AMBIGUOUS_HEADERS: frozenset[str] = frozenset(
    header_key(text) for text in ("name", "full name", "customer name", "names")
)


@dataclass(frozen=True)
class FileHeaders:
    """The header row as the file has it (`texts`, for messages) and as the API names its
    columns (`names`: '' for an empty header)."""

    texts: list[str]
    names: list[str]

    def read_as(self) -> list[str]:
        """How each column named in the shop's own words (SYNONYM_WORDS) is read, by the
        column's label: "Column 5, Mobile, is read as Phone."."""
        return [
            READ_AS.format(
                number=number,
                value=_shown(text.strip()),
                field=READ_AS_WORDS.get(name) or column_label(name),
            )
            for number, (text, name) in enumerate(zip(self.texts, self.names, strict=True), start=1)
            if name and header_key(text) not in HEADER_NAMES
        ]

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

    def column_text(self, name: str | None) -> str | None:
        """The header text of API field `name`'s column alone ("Birthday"), for a file
        whose columns are not the imported file's (the failed-lines file), or None."""
        if name is None:
            return None
        key = header_key(name)
        for known, text in zip(self.names, self.texts, strict=False):
            if known and header_key(known) == key:
                return _shown(text.strip())
        return None


def file_headers(texts: list[str]) -> FileHeaders:
    """The FileHeaders of a file's header row, or InvalidRequest naming every column whose
    header is no field (its number, its text, and the closest field where one is close)."""
    names: list[str] = []
    unknown: list[tuple[int, str, str | None]] = []
    numbers: dict[str, int] = {}
    for number, text in enumerate(texts, start=1):
        key = header_key(text)
        value = _shown(text.strip())
        if key in AMBIGUOUS_HEADERS:
            raise InvalidRequest(AMBIGUOUS.format(number=number, value=value))
        name = KNOWN_HEADERS.get(key, "") if key else ""
        if key and not name:
            unknown.append((number, value, _suggestion(key)))
        elif name in numbers:
            other = numbers[name]
            raise InvalidRequest(
                SAME_FIELD.format(
                    number=number,
                    value=value,
                    other_number=other,
                    other_value=_shown(texts[other - 1].strip()),
                    field=name,
                )
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
    return closest_names(key, KNOWN_HEADERS) or None


def _shown(text: str) -> str:
    return text if len(text) <= SHOWN_HEADER_LIMIT else text[:SHOWN_HEADER_LIMIT] + "…"
