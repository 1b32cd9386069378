"""The values that flow through the import engine."""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NotRequired, TypedDict

from campaigns.credits import Credit


class OverwriteMode(StrEnum):
    IGNORE = "ignore"
    UPDATE = "update"
    YES = "yes"


@dataclass(frozen=True)
class FileRead:
    """How the admin's import read its file, kept with the undo state: its failed lines are
    given back as the file was written, and their errors said in its words."""

    kind: str  # "CSV" or "XLSX"
    encoding: str | None  # a CSV's: "UTF-8", "UTF-16" or "Windows-1252"
    date_order: str  # customers.date_orders.DateOrder: how the file wrote its dates
    header_texts: tuple[str, ...]  # the header row as the file has it
    # Whether the credit column's amounts were written with a decimal comma (12,50), which
    # the import read as a point (customers/spreadsheet.py, DECIMAL_COMMA).
    decimal_comma: bool = False

    @classmethod
    def of(cls, recorded: dict) -> FileRead:
        """The FileRead an undo state's parameters (or a job's saved body) recorded."""
        return cls(
            kind=recorded["kind"],
            encoding=recorded.get("encoding"),
            date_order=recorded["date_order"],
            header_texts=tuple(recorded.get("header_texts") or ()),
            decimal_comma=bool(recorded.get("decimal_comma")),
        )


@dataclass(frozen=True)
class BatchRequest:
    """A customers_batch request, parsed and checked at the request level."""

    api_version: str  # "1.0" or "1.5"
    delimiter: str  # one character: | , or TAB
    overwrite: OverwriteMode
    record_undo: bool
    card_number_digits: int | None
    campaign_ids: tuple[str, ...]
    # headers[k] is the field name of the k-th value of a line, None for an unread column.
    headers: tuple[str | None, ...]
    data: str
    validate_only: bool = False
    all_or_nothing: bool = False
    request_id: str | None = None
    # The imported file's name, as the admin's upload or the command line gave it (not
    # secret): recorded with the undo state so staff tell imports apart.
    file_name: str | None = None
    file_read: FileRead | None = None
    # The SHA-256 of the admin's uploaded file (customers/same_file.py): recorded so that a
    # later preview of the same bytes warns that confirming imports it again.
    file_sha256: str | None = None
    # The charset the API read the request's text in, as its Content-Type named it (None:
    # not named, or not the API's): a line error can then say that ISO-8859-1 text looks
    # like Windows-1252 (rows.py).
    charset: str | None = None

    def summary(self) -> dict:
        """The parameters as recorded in the undo state (never secrets nor row data)."""
        named: dict[str, object] = {"file_name": self.file_name} if self.file_name else {}
        if self.file_read is not None:
            named["file_read"] = dataclasses.asdict(self.file_read)
        if self.file_sha256:
            named["file_sha256"] = self.file_sha256
        return {
            **named,
            "api_version": self.api_version,
            "delimiter": self.delimiter,
            "overwrite_duplicates": self.overwrite.value,
            "card_number_generate": self.card_number_digits,
            "campaigns_to_include": list(self.campaign_ids),
            "headers": list(self.headers),
            "validate_only": self.validate_only,
            "all_or_nothing": self.all_or_nothing,
            "request_id": self.request_id,
        }


@dataclass(frozen=True)
class LineError:
    """One error of a line: a line whose values are refused has one per refused field, in
    column order, next to each other wherever errors are listed."""

    line: int
    field: str | None
    message: str


def lines_of(errors: list[LineError]) -> int:
    """How many lines these errors are of (`failed` counts lines, not errors)."""
    return len({error.line for error in errors})


def errors_of_first_lines(errors: list[LineError], lines: int) -> list[LineError]:
    """The errors of the first `lines` lines of `errors` (which holds a line's errors next
    to each other): a list cut at a number of lines never cuts a line's errors apart."""
    seen = 0
    last = None
    for index, error in enumerate(errors):
        if error.line != last:
            if seen == lines:
                return errors[:index]
            seen += 1
            last = error.line
    return list(errors)


@dataclass(frozen=True)
class CustomerRow:
    """One valid line: the values of the fields in the headers, cleaned.

    `values` maps field name to a str ('' clears the field), a date or None (custom_date
    cleared); `code`/`card_number` are None when absent or blank. `credit` is the checked
    auto_add (an amount, and the BuyxItem for buyx campaigns), or None.
    """

    line: int
    values: dict
    code: str | None
    card_number: str | None
    credit: Credit | None = None


class CustomerRecord(TypedDict):
    """A customer as the import reads, plans and writes it: its IMPORT_COLUMNS
    (customers/columns.py; a test keeps the two the same). A TypedDict, not a dataclass: a
    record is built and read in the hot loops of every line, and a dict costs nothing
    more there. `id` is there once the customer is stored."""

    id: NotRequired[int]
    code: str
    card_number: str | None
    first_name: str
    last_name: str
    email: str
    phone: str
    custom_date: datetime.date | None
    street1: str
    street2: str
    city: str
    state: str
    postal_code: str
    country: str
    custom_field: str
    customer_username: str | None
    customer_password: str
    customer_pin: str
    # API 1.5's custom_field_N, by name.
    custom_fields: dict[str, str]
    version: int


@dataclass(frozen=True)
class GeneratedIdentity:
    line: int
    code: str | None
    card_number: str | None


class BatchStatus(StrEnum):
    IMPORTED = "imported"
    VALIDATED = "validated"
    REJECTED = "rejected"


@dataclass
class ImportResult:
    status: BatchStatus = BatchStatus.IMPORTED
    new: int = 0
    updated: int = 0
    ignored: int = 0
    failed: int = 0
    undo_state_id: int | None = None
    # Of `updated`: the rows that changed nothing. The admin's preview shows them as
    # Unchanged; the API's answer (to_dict, the contract) has no such count.
    unchanged: int = 0
    # Of `updated` (update, yes) or of `ignored` (ignore): the lines that matched a customer
    # an earlier line of this import created. The admin says them apart, as Repeated; the
    # API's answer counts them as the contract does, as if the lines were sent one by one.
    repeated: int = 0
    generated: list[GeneratedIdentity] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "status": self.status.value,
            "new": self.new,
            "updated": self.updated,
            "ignored": self.ignored,
            "failed": self.failed,
            "undo_state": self.undo_state_id,
            "generated": [[g.line, g.code, g.card_number] for g in self.generated],
            "errors": [[e.line, e.field, e.message] for e in self.errors],
        }

    @classmethod
    def from_dict(cls, data: dict) -> ImportResult:
        return cls(
            status=BatchStatus(data["status"]),
            new=data["new"],
            updated=data["updated"],
            ignored=data["ignored"],
            failed=data["failed"],
            undo_state_id=data["undo_state"],
            generated=[GeneratedIdentity(*g) for g in data["generated"]],
            errors=[LineError(*e) for e in data["errors"]],
        )


# A line's number and values as read -> the values imported (ImportRun's values_read), or
# None to skip the line as a blank one.
ValuesRead = Callable[[int, list[str]], list[str] | None]
