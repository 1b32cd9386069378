"""import_customers_in_chunks: a customers_batch import of a stream too large for one
transaction (the command line's import of a multi-gigabyte file), and reading the
stream's request and header line.

The same engine and rules as the API: customers/batch/pipeline.py's ImportRun, committed
per chunk (see there for what the undo state holds however the import ends).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

from accounts.models import Account
from accounts.users import User
from core.errors import InvalidRequest
from customers.models import UndoState

from .params import parse_batch_request
from .parse import read_lines
from .pipeline import ImportProgress, ImportRun
from .types import BatchRequest, ImportResult, LineError

# parse_batch_request wants Profiles_Data; a streamed request's lines come from the stream.
STREAMED = "(streamed)"

NO_HEADER_LINE = "The file has no header line."
UNREADABLE_HEADER_LINE = "The header line (line {line}) cannot be read: {message}"


def stream_request(params: dict[str, str], *, account: Account) -> BatchRequest:
    """The BatchRequest that `params` (lowercased customers_batch parameters, without
    profiles_data) describe, checked by the API's own rules; its lines come from a stream."""
    request = parse_batch_request(
        {**params, "profiles_data": STREAMED}, custom_field_count=account.custom_field_count
    )
    return dataclasses.replace(request, data="")


def read_header_line(lines: Iterable[str], delimiter: str) -> tuple[list[str], int]:
    """The field names on the stream's first non-blank line, and how many lines that took.
    The stream is left at the next line, so its data can be imported with
    first_line = lines taken + 1."""
    counted = _CountedLines(lines)
    for item in read_lines(counted, delimiter):
        if isinstance(item, LineError):
            raise InvalidRequest(
                UNREADABLE_HEADER_LINE.format(line=item.line, message=item.message)
            )
        return item[1], counted.count
    raise InvalidRequest(NO_HEADER_LINE)


def import_customers_in_chunks(
    *,
    account: Account,
    user: User | None,
    request: BatchRequest,
    lines: Iterable[str],
    source: UndoState.Source,
    on_chunk: Callable[[ImportProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    first_line: int = 1,
    values_read: Callable[[list[str]], list[str]] | None = None,
) -> ImportResult:
    """Import the lines of `lines` (a text stream opened with newline="", or any iterable of
    lines; `request.data` is not read) into `account`, one transaction per chunk, all
    chunks recorded in one undo state: ImportRun.commit_per_chunk. `on_chunk` hears the
    progress after each chunk's commit; `first_line` is the number of the stream's first
    line in the file (2 after a header); `values_read` turns each line's values as read
    into those imported (import_customers: customers/spreadsheet.py's restored_values)."""
    run = ImportRun(account=account, user=user, request=request, source=source, on_chunk=on_chunk)
    return run.commit_per_chunk(
        lines, first_line=first_line, should_stop=should_stop, values_read=values_read
    )


class _CountedLines:
    """An iterator over lines that counts how many were taken."""

    def __init__(self, lines: Iterable[str]):
        self._lines = iter(lines)
        self.count = 0

    def __iter__(self) -> _CountedLines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.count += 1
        return line
