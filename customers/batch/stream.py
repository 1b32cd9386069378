"""import_customers_in_chunks: a customers_batch import of a stream too large for one
transaction (the command line's import of a multi-gigabyte file).

The same engine and rules as the API (params, rows, match, write), but the lines are read
from a stream, one chunk of IMPORT_CHUNK_ROWS lines at a time, and each chunk is its own
transaction. The undo state is created first, in its own transaction, and every chunk
records its undo data and the running counts in the chunk's transaction: however the
import ends (finished, stopped, failed), the undo state describes exactly what was committed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db import DatabaseError, transaction
from django.db.models import Model
from django.utils import timezone

from accounts.models import Account
from core.errors import InvalidRequest
from customers.models import UndoState
from customers.retry import shut_out_customer_writers, with_retries
from customers.rollback import prune_undo_states
from customers.statistics import refresh_after_import
from customers.undo import finish_undo_state, start_undo_state

from .generate import IdentityGenerator
from .match import ChunkMatcher, ChunkPlan
from .params import parse_batch_request
from .parse import read_lines
from .rows import RowCleaner
from .service import active_campaigns, cleaned_chunks, write_chunk
from .types import (
    BatchRequest,
    BatchStatus,
    CustomerRow,
    GeneratedIdentity,
    ImportResult,
    LineError,
)

logger = logging.getLogger("loyalty.import")
# The result keeps the first this many line errors and generated identities (its counts are
# complete): a file of millions of failing lines must not fill memory. on_chunk sees them all.
KEPT_IN_RESULT = 1000
# parse_batch_request wants Profiles_Data; a streamed request's lines come from the stream.
STREAMED = "(streamed)"

NO_HEADER_LINE = "The file has no header line."
UNREADABLE_HEADER_LINE = "The header line (line {line}) cannot be read: {message}"


@dataclass(frozen=True)
class ImportProgress:
    """Where a chunked import stands after a chunk was committed (or, with validate_only,
    checked and rolled back). Counts are running totals; `chunk_errors` and
    `chunk_generated` are this chunk's line errors and generated identities."""

    chunks: int
    # Data lines read so far: new + updated + ignored + failed.
    lines: int
    # The number of the last line read, in the file's numbering.
    last_line: int
    new: int
    updated: int
    ignored: int
    failed: int
    # Customers given a generated code or card number so far.
    generated: int
    undo_state_id: int | None
    chunk_errors: tuple[LineError, ...] = ()
    chunk_generated: tuple[GeneratedIdentity, ...] = ()


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
    user: Model | None,
    request: BatchRequest,
    lines: Iterable[str],
    source: UndoState.Source,
    on_chunk: Callable[[ImportProgress], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    first_line: int = 1,
) -> ImportResult:
    """Import the lines of `lines` (a text stream opened with newline="", or any iterable of
    lines; `request.data` is not read) into `account`, one transaction per chunk, all
    chunks recorded in one undo state. `should_stop` is asked after each chunk; when it
    says yes, the import ends there and the result counts what was committed.
    `first_line` is the number of the stream's first line in the file (2 after a header).

    validate_only rolls back each chunk, so a line is checked against the database as it
    was, without the earlier chunks' lines. all_or_nothing and request_id would need the
    whole stream in one transaction and are refused."""
    if request.all_or_nothing or request.request_id:
        raise ValueError("all_or_nothing and request_id need one transaction: import_customers")
    campaigns = active_campaigns(account, request.campaign_ids)
    undo_state = None
    if request.record_undo and not request.validate_only:
        with transaction.atomic(durable=True):
            undo_state = start_undo_state(
                account=account, user=user, source=source, request=request, now=timezone.now()
            )
    run = _ChunkedImport(account, request, campaigns, undo_state)
    items = _renumbered(read_lines(lines, request.delimiter), first_line - 1)
    try:
        run.import_all(items, on_chunk, should_stop)
    except BaseException:
        # The error (or Ctrl-C) is what to report; dropping the empty state is a courtesy.
        with contextlib.suppress(DatabaseError):
            run.drop_undo_state_if_empty()
        raise
    run.drop_undo_state_if_empty()
    if run.result.undo_state_id is not None:
        prune_undo_states(account=account, batched=True)
    refresh_after_import(written=run.result.new + run.result.updated)
    return run.result


class _ChunkedImport:
    def __init__(self, account: Account, request: BatchRequest, campaigns, undo_state):
        self.account = account
        self.request = request
        self.campaigns = campaigns
        self.undo_state = undo_state
        self.cleaner = RowCleaner(request, credit_campaign=campaigns[0])
        status = BatchStatus.VALIDATED if request.validate_only else BatchStatus.IMPORTED
        self.result = ImportResult(status=status)
        self.chunks = 0
        self.generated = 0

    def import_all(self, lines, on_chunk, should_stop) -> None:
        for chunk in cleaned_chunks(lines, self.cleaner):
            plan = self._import_chunk(chunk)
            progress = self._add(plan, last_line=chunk[-1].line)
            if on_chunk is not None:
                on_chunk(progress)
            if should_stop is not None and should_stop():
                return

    def _import_chunk(self, chunk: list[CustomerRow | LineError]) -> ChunkPlan:
        return with_retries(
            lambda alone: self._import_chunk_once(chunk, alone),
            conflict=f"chunk of an import into {self.account.slug} retried",
            logger=logger,
        )

    def _import_chunk_once(self, chunk: list[CustomerRow | LineError], alone: bool) -> ChunkPlan:
        # A generator per chunk: what it issued is written (or, validating, rolled back)
        # when the chunk ends, so it keeps nothing across chunks and memory stays flat.
        matcher = ChunkMatcher(
            account=self.account,
            overwrite=self.request.overwrite,
            generator=IdentityGenerator(
                account=self.account, digits=self.request.card_number_digits
            ),
        )
        with transaction.atomic(durable=True):
            if alone:
                shut_out_customer_writers()
            plan = matcher.plan(chunk)
            write_chunk(
                self.account, plan, self.campaigns, self.undo_state, self.chunks, timezone.now()
            )
            if self.request.validate_only:
                transaction.set_rollback(True)
            elif self.undo_state is not None:
                finish_undo_state(undo_state=self.undo_state, result=self._counts_with(plan))
        return plan

    def _counts_with(self, plan: ChunkPlan) -> ImportResult:
        return ImportResult(
            new=self.result.new + plan.new,
            updated=self.result.updated + plan.updated,
            ignored=self.result.ignored + plan.ignored,
            failed=self.result.failed + len(plan.errors),
        )

    def _add(self, plan: ChunkPlan, *, last_line: int) -> ImportProgress:
        result = self.result
        self.chunks += 1
        self.generated += len(plan.generated)
        result.new += plan.new
        result.updated += plan.updated
        result.ignored += plan.ignored
        result.failed += len(plan.errors)
        result.errors.extend(plan.errors[: KEPT_IN_RESULT - len(result.errors)])
        result.generated.extend(plan.generated[: KEPT_IN_RESULT - len(result.generated)])
        if self.undo_state is not None:
            result.undo_state_id = self.undo_state.pk
        return ImportProgress(
            chunks=self.chunks,
            lines=result.new + result.updated + result.ignored + result.failed,
            last_line=last_line,
            new=result.new,
            updated=result.updated,
            ignored=result.ignored,
            failed=result.failed,
            generated=self.generated,
            undo_state_id=result.undo_state_id,
            chunk_errors=tuple(plan.errors),
            chunk_generated=tuple(plan.generated),
        )

    def drop_undo_state_if_empty(self) -> None:
        """An import that committed no chunk (an empty file, or a failure in the first
        chunk) leaves no undo state behind: there is nothing to roll back."""
        if self.undo_state is None or self.chunks:
            return
        with transaction.atomic(durable=True):
            UndoState.objects.filter(pk=self.undo_state.pk).delete()


def _renumbered(items: Iterator, offset: int) -> Iterator:
    """read_lines' items with `offset` added to their line numbers."""
    if not offset:
        yield from items
        return
    for item in items:
        if isinstance(item, LineError):
            yield dataclasses.replace(item, line=item.line + offset)
        else:
            yield item[0] + offset, item[1]


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
