"""One customers_batch import, its steps written once: an ImportRun.

A run reads lines (parse.py), cleans them into rows (rows.py), takes them a chunk of
IMPORT_CHUNK_ROWS at a time, matches each chunk (match.py), writes it (write.py) with its
undo data (customers/undo.py), counts it and reports an ImportProgress (`on_chunk`), and
the chunk's plan with it (`on_plan`: the admin's preview lists what will change from the
dry run's own plans, customers/preview_sample.py). It commits in one of two ways:

- `commit_once`, a request (the API, the admin): Profiles_Data in one transaction, run
  again whole on a conflict; validate_only and all_or_nothing roll it back, request_id
  replays the first answer.
- `commit_per_chunk`, a stream (the command line's multi-gigabyte file): each chunk its own
  transaction, run again on its own on a conflict. The undo state is created first, in its
  own transaction, and every chunk records its undo data and the running counts in the
  chunk's transaction: however the import ends (finished, stopped, failed), the undo state
  describes exactly what was committed.

Either way, conflicts are retried by customers/retry.py, and after the commit old undo
data is pruned and PostgreSQL's statistics refreshed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts.models import Account
from accounts.users import User
from campaigns.models import Campaign
from campaigns.selectors import campaigns_by_id
from core.errors import InvalidRequest
from core.gc_pause import collection_paused
from customers.failed_lines import prune_failed_lines, record_failed_lines, secret_positions
from customers.models import ImportRequest, UndoState
from customers.retry import shut_out_customer_writers, with_retries
from customers.rollback import prune_undo_states
from customers.statistics import refresh_after_import
from customers.undo import finish_undo_state, record_chunk, start_undo_state

from . import messages as m
from . import write
from .generate import IdentityGenerator
from .match import ChunkMatcher, ChunkPlan
from .parse import read_lines
from .replay import claim_request_id, delete_expired_replies, remember_response
from .rows import RowCleaner
from .types import (
    BatchRequest,
    BatchStatus,
    CustomerRow,
    GeneratedIdentity,
    ImportResult,
    LineError,
    ValuesRead,
    errors_of_first_lines,
    lines_of,
)

logger = logging.getLogger("loyalty.import")

# A streamed import's result keeps the first this many generated identities (its counts
# are complete): a file of millions of lines must not fill memory. on_chunk sees them all.
# A request keeps them all (it is bounded by MAX_BATCH_ROWS). Line errors: every result
# keeps those of the first LOYALTY["LINE_ERRORS_LISTED"] failed lines, counts the lines all,
# and the undo state keeps every failed line (customers/failed_lines.py).
KEPT_IN_RESULT = 1000

Lines = Iterable[tuple[int, list[str]] | LineError]
Chunk = list[CustomerRow | LineError]


@dataclass(frozen=True)
class ImportProgress:
    """Where an import stands after a chunk was written: committed (per chunk), checked
    and rolled back (validate_only per chunk), or inside the request's one transaction.
    Counts are running totals; `chunk_errors` and `chunk_generated` are this chunk's line
    errors and generated identities."""

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


# Hears a chunk's plan and the progress after it (ImportRun's on_plan).
PlanHook = Callable[[ChunkPlan, ImportProgress], None]


class ImportRun:
    """One import of `request` into `account` by `user` from `source`: the campaigns are
    checked when the run is made (InvalidRequest naming unknown or inactive ones), then
    commit_once or commit_per_chunk runs it, once."""

    def __init__(
        self,
        *,
        account: Account,
        user: User | None,
        request: BatchRequest,
        source: UndoState.Source,
        on_chunk: Callable[[ImportProgress], None] | None = None,
        values_read: ValuesRead | None = None,
        on_plan: PlanHook | None = None,
    ):
        """`values_read`, if given, turns each line's values as read (with the line's
        number) into those imported: a file a person fed has its formula apostrophes taken
        off and its empty rows skipped (customers/spreadsheet.py); it may raise
        InvalidRequest to refuse the file.
        `on_plan` hears each chunk's plan once it is written (or, validating, checked),
        with the progress after it; a run started again after a conflict starts again at
        chunk 1."""
        self.account = account
        self.user = user
        self.request = request
        self.source = source
        self.on_chunk = on_chunk
        self.on_plan = on_plan
        self.values_read = values_read
        self.campaigns = active_campaigns(account, request.campaign_ids)
        self.cleaner = RowCleaner(request, credit_campaign=self.campaigns[0])
        self.secrets = secret_positions(request.headers)

    def commit_once(self) -> ImportResult:
        """Import request.data, all of it that is valid, in one transaction (or nothing,
        for validate_only and for all_or_nothing with a failing line). A conflict runs the
        whole import again; on_chunk then starts counting again."""

        def attempt(alone: bool) -> ImportResult:
            with collection_paused():
                return self._once(alone)

        # A concurrent import that drew the same new code, or a deadlock, fails the
        # transaction; the whole import is run again and then sees the other's customers.
        result = with_retries(
            attempt,
            conflict=f"import into {self.account.slug} retried after a conflict",
            logger=logger,
        )
        self._after_commit(result)
        return result

    def commit_per_chunk(
        self,
        lines: Iterable[str],
        *,
        first_line: int = 1,
        should_stop: Callable[[], bool] | None = None,
    ) -> ImportResult:
        """Import the lines of `lines` (request.data is not read), one transaction per
        chunk, all chunks recorded in one undo state; `first_line` is the number of the
        stream's first line in the file. `should_stop` is asked after each chunk; when it
        says yes, the import ends there and the result counts what was committed.

        validate_only rolls back each chunk, so a line is checked against the database as
        it was, without the earlier chunks' lines. all_or_nothing and request_id would need
        the whole stream in one transaction and are refused."""
        if self.request.all_or_nothing or self.request.request_id:
            raise ValueError("all_or_nothing and request_id need one transaction: commit_once")
        # The cyclic collector stays on: paused, a long stream's memory grew with its length.
        undo_state = None
        if self._records_undo():
            with transaction.atomic(durable=True):
                undo_state = self._start_undo_state()
        tally = _Tally(self.request, undo_state, generated_kept=KEPT_IN_RESULT)
        items = self._read(lines, first_line=first_line)
        try:
            for chunk, values in cleaned_chunks(items, self.cleaner):
                plan = self._commit_chunk(chunk, values, tally)
                self._report(plan, tally.add(plan, last_line=chunk[-1].line))
                if should_stop is not None and should_stop():
                    break
        except BaseException:
            # The error (or Ctrl-C) is what to report; dropping the empty state is a courtesy.
            with contextlib.suppress(DatabaseError):
                _drop_if_empty(tally)
            raise
        _drop_if_empty(tally)
        if undo_state is not None and tally.chunks:
            tally.result.undo_state_id = undo_state.pk
        self._after_commit(tally.result)
        return tally.result

    def _read(self, lines: Iterable[str] | str, *, first_line: int = 1) -> Lines:
        """The lines' values, numbered from `first_line`, as values_read makes them."""
        items = read_lines(lines, self.request.delimiter)
        if first_line != 1:
            items = _renumbered(items, first_line - 1)
        return items if self.values_read is None else _values_read(items, self.values_read)

    def _once(self, alone: bool) -> ImportResult:
        request = self.request
        now = timezone.now()
        with transaction.atomic(durable=True):
            if alone:
                shut_out_customer_writers()
            claim = None
            if request.request_id and not request.validate_only:
                claim, replayed = claim_request_id(
                    account=self.account, request_id=request.request_id, now=now
                )
                if replayed is not None:
                    return replayed
            undo_state = self._start_undo_state(now) if self._records_undo() else None
            tally = _Tally(request, undo_state)
            matcher = self._matcher()
            for chunk, values in cleaned_chunks(self._read(request.data), self.cleaner):
                plan = self._write(matcher, chunk, values, tally, now)
                self._report(plan, tally.add(plan, last_line=chunk[-1].line))
            _conclude(request, tally, claim)
        return tally.result

    def _commit_chunk(self, chunk: Chunk, values: dict[int, list[str]], tally: _Tally) -> ChunkPlan:
        return with_retries(
            lambda alone: self._chunk_once(chunk, values, tally, alone),
            conflict=f"chunk of an import into {self.account.slug} retried",
            logger=logger,
        )

    def _chunk_once(
        self, chunk: Chunk, values: dict[int, list[str]], tally: _Tally, alone: bool
    ) -> ChunkPlan:
        # A matcher per chunk: what its generator issued is written (or, validating, rolled
        # back) when the chunk ends, so it keeps nothing across chunks and memory stays flat.
        matcher = self._matcher()
        with transaction.atomic(durable=True):
            if alone:
                shut_out_customer_writers()
            plan = self._write(matcher, chunk, values, tally, timezone.now())
            if self.request.validate_only:
                transaction.set_rollback(True)
            elif tally.undo_state is not None:
                finish_undo_state(undo_state=tally.undo_state, result=tally.counts_with(plan))
        return plan

    def _write(
        self,
        matcher: ChunkMatcher,
        chunk: Chunk,
        values: dict[int, list[str]],
        tally: _Tally,
        now: datetime.datetime,
    ) -> ChunkPlan:
        plan = matcher.plan(chunk)
        write_chunk(self.account, plan, self.campaigns, tally.undo_state, tally.chunks, now)
        if tally.undo_state is not None:
            # In the chunk's transaction: the undo state keeps exactly the failed lines of
            # what was committed.
            record_failed_lines(
                undo_state=tally.undo_state,
                seq=tally.chunks,
                errors=plan.errors,
                values=values,
                secrets=self.secrets,
                width=len(self.request.headers),
            )
        return plan

    def _matcher(self) -> ChunkMatcher:
        return ChunkMatcher(
            account=self.account,
            overwrite=self.request.overwrite,
            generator=IdentityGenerator(
                account=self.account, digits=self.request.card_number_digits
            ),
        )

    def _records_undo(self) -> bool:
        return self.request.record_undo and not self.request.validate_only

    def _start_undo_state(self, now: datetime.datetime | None = None) -> UndoState:
        return start_undo_state(
            account=self.account,
            user=self.user,
            source=self.source,
            request=self.request,
            now=now or timezone.now(),
        )

    def _report(self, plan: ChunkPlan, progress: ImportProgress) -> None:
        if self.on_plan is not None:
            self.on_plan(plan, progress)
        if self.on_chunk is not None:
            self.on_chunk(progress)

    def _after_commit(self, result: ImportResult) -> None:
        """Housekeeping once the import committed: best effort, since what the import did
        stands whatever happens here, and an error would report a committed import as
        failed (on SQLite a prune behind another import's write lock timed out: the API
        answered "nothing was changed" for an import that was written). What is left is
        done by the next import."""
        try:
            if result.undo_state_id is not None:
                # After the commit: pruning must not hold the import's locks any longer.
                prune_undo_states(account=self.account, batched=True)
                prune_failed_lines(account=self.account)
            if self.request.request_id:
                delete_expired_replies(now=timezone.now())
            if result.status is BatchStatus.IMPORTED:
                refresh_after_import(written=result.new + result.updated)
        except DatabaseError:
            logger.warning("housekeeping after an import failed; the next import does it")


def active_campaigns(account: Account, campaign_ids: tuple[str, ...]) -> list[Campaign]:
    """The account's active campaigns of these ids, in their order, or InvalidRequest naming the
    unknown or inactive ones."""
    found = campaigns_by_id(account=account, campaign_ids=list(campaign_ids))
    missing = [cid for cid in campaign_ids if cid not in found or not found[cid].is_active]
    if missing:
        separated = any("," in cid or "|" in cid for cid in missing)
        raise InvalidRequest.worded(
            m.UNKNOWN_SEPARATED_CAMPAIGNS if separated else m.UNKNOWN_CAMPAIGNS,
            ids=", ".join(m.shown(c) for c in missing),
            missing=missing,
        )
    return [found[campaign_id] for campaign_id in campaign_ids]


def cleaned_chunks(
    lines: Lines, cleaner: RowCleaner
) -> Iterator[tuple[Chunk, dict[int, list[str]]]]:
    """read_lines' items, cleaned, IMPORT_CHUNK_ROWS lines at a time (one chunk held at a
    time; a failed line is its LineErrors, one or more), each with the values its lines
    were sent with, by line number (a failed line is kept with them)."""
    size = settings.LOYALTY["IMPORT_CHUNK_ROWS"]
    for items in _batched(lines, size):
        values = {item[0]: item[1] for item in items if not isinstance(item, LineError)}
        chunk: Chunk = []
        for item in items:
            cleaned = item if isinstance(item, LineError) else cleaner.clean(*item)
            if isinstance(cleaned, list):
                chunk.extend(cleaned)  # a failing line's errors, one per field
            else:
                chunk.append(cleaned)
        yield chunk, values


def _batched(lines: Lines, size: int) -> Iterator[list[tuple[int, list[str]] | LineError]]:
    iterator = iter(lines)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def write_chunk(
    account: Account,
    plan: ChunkPlan,
    campaigns: list[Campaign],
    undo_state: UndoState | None,
    seq: int,
    now: datetime.datetime,
) -> None:
    """Write one planned chunk (customers, enrollments, credits, undo data) in the
    caller's transaction, with a fixed number of statements."""
    undo_id = undo_state.pk if undo_state else None
    ids = write.insert_customers(
        account_id=account.pk, records=list(plan.inserts.values()), now=now
    )
    write.update_customers(
        account_id=account.pk,
        records=list(plan.updates.values()),
        previous=plan.previous,
        now=now,
    )
    ids.update((code, record["id"]) for code, record in plan.updates.items())
    ids.update(plan.unchanged)
    campaign_ids = [campaign.pk for campaign in campaigns]  # .pk is a property: once each
    write.insert_enrollments(
        pairs=[(campaign_id, pk) for pk in ids.values() for campaign_id in campaign_ids],
        now=now,
        undo_state_id=undo_id,
    )
    write.insert_credits(
        campaign_id=campaign_ids[0],
        credits=[(ids[code], credit) for code, credit in plan.credits],
        now=now,
        undo_state_id=undo_id,
    )
    if undo_state is not None:
        record_chunk(
            undo_state=undo_state,
            seq=seq,
            created_ids=[ids[code] for code in plan.inserts],
            written=[
                (record["id"], record["version"], plan.previous[record["id"]])
                for record in plan.updates.values()
            ],
        )


class _Tally:
    """One pass over the lines: its undo state, its running counts, as the result and as
    the progress after each chunk."""

    def __init__(
        self, request: BatchRequest, undo_state: UndoState | None, generated_kept: int = 0
    ):
        status = BatchStatus.VALIDATED if request.validate_only else BatchStatus.IMPORTED
        self.result = ImportResult(status=status)
        self.undo_state = undo_state
        # Failed lines whose errors the result lists (the rest are counted in `failed`).
        self.errors_kept = settings.LOYALTY["LINE_ERRORS_LISTED"]
        self.lines_listed = 0
        # Generated identities the result keeps; 0: all of them.
        self.generated_kept = generated_kept
        self.chunks = 0
        self.generated = 0

    def counts_with(self, plan: ChunkPlan) -> ImportResult:
        """The counts once `plan` is added, as the undo state records them."""
        result = self.result
        return ImportResult(
            new=result.new + plan.new,
            updated=result.updated + plan.updated,
            unchanged=result.unchanged + plan.unchanged_rows,
            repeated=result.repeated + plan.repeated,
            ignored=result.ignored + plan.ignored,
            failed=result.failed + plan.failed,
        )

    def add(self, plan: ChunkPlan, *, last_line: int) -> ImportProgress:
        result = self.result
        self.chunks += 1
        self.generated += len(plan.generated)
        result.new += plan.new
        result.updated += plan.updated
        result.unchanged += plan.unchanged_rows
        result.repeated += plan.repeated
        result.ignored += plan.ignored
        result.failed += plan.failed
        # The cap counts lines: a listed line is listed with all of its errors.
        room = self.errors_kept - self.lines_listed
        if room > 0:
            listed = errors_of_first_lines(plan.errors, room)
            result.errors.extend(listed)
            self.lines_listed += lines_of(listed)
        if self.generated_kept:
            kept = max(0, self.generated_kept - len(result.generated))
            result.generated.extend(plan.generated[:kept])
        else:
            result.generated.extend(plan.generated)
        return ImportProgress(
            chunks=self.chunks,
            lines=result.new + result.updated + result.ignored + result.failed,
            last_line=last_line,
            new=result.new,
            updated=result.updated,
            ignored=result.ignored,
            failed=result.failed,
            generated=self.generated,
            undo_state_id=self.undo_state.pk if self.undo_state is not None else None,
            chunk_errors=tuple(plan.errors),
            chunk_generated=tuple(plan.generated),
        )


def _conclude(request: BatchRequest, tally: _Tally, claim: ImportRequest | None) -> None:
    """Decide, inside the request's transaction, whether the import stands."""
    result, undo_state = tally.result, tally.undo_state
    if request.validate_only:
        transaction.set_rollback(True)
    elif request.all_or_nothing and result.failed:
        result.status = BatchStatus.REJECTED
        transaction.set_rollback(True)
    else:
        if undo_state is not None:
            result.undo_state_id = undo_state.pk
            finish_undo_state(undo_state=undo_state, result=result)
        if claim is not None:
            remember_response(record=claim, result=result)


def _drop_if_empty(tally: _Tally) -> None:
    """A streamed import that committed no chunk (an empty file, or a failure in the first
    chunk) leaves no undo state behind: there is nothing to roll back."""
    if tally.undo_state is None or tally.chunks:
        return
    with transaction.atomic(durable=True):
        UndoState.objects.filter(pk=tally.undo_state.pk).delete()


def _renumbered(items: Lines, offset: int) -> Iterator[tuple[int, list[str]] | LineError]:
    """read_lines' items with `offset` added to their line numbers."""
    if not offset:
        yield from items
        return
    for item in items:
        if isinstance(item, LineError):
            yield dataclasses.replace(item, line=item.line + offset)
        else:
            yield item[0] + offset, item[1]


def _values_read(items: Lines, values_read: ValuesRead) -> Lines:
    """read_lines' items with `values_read` applied to every line's values; a line it
    makes None is skipped, as a blank line is."""
    for item in items:
        if isinstance(item, LineError):
            yield item
            continue
        values = values_read(item[0], item[1])
        if values is not None:
            yield item[0], values
