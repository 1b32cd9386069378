"""import_customers: the customers_batch operation, one database transaction per request."""

import itertools
import logging
from collections.abc import Iterable, Iterator

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from campaigns.models import Campaign
from campaigns.selectors import campaigns_by_id
from core.errors import InvalidRequest
from core.gc_pause import collection_paused
from customers.models import UndoState
from customers.retry import shut_out_customer_writers, with_retries
from customers.rollback import prune_undo_states
from customers.statistics import refresh_after_import
from customers.undo import finish_undo_state, record_chunk, start_undo_state

from . import messages as m
from . import write
from .generate import IdentityGenerator
from .match import ChunkMatcher, ChunkPlan
from .parse import read_lines
from .replay import claim_request_id, remember_response
from .rows import RowCleaner
from .types import BatchRequest, BatchStatus, CustomerRow, ImportResult, LineError

logger = logging.getLogger("loyalty.import")


def import_customers(
    *, account: Account, user, request: BatchRequest, source: UndoState.Source
) -> ImportResult:
    """Import the batch into `account`: all of it that is valid, in one transaction (or
    nothing, for validate_only and for all_or_nothing with a failing line)."""
    campaigns = active_campaigns(account, request.campaign_ids)

    def attempt(alone: bool) -> ImportResult:
        with collection_paused():
            return _import_once(account, user, request, source, campaigns, alone)

    # A concurrent import that drew the same new code, or a deadlock, fails the
    # transaction; the whole import is run again and then sees the other's customers.
    result = with_retries(
        attempt, conflict=f"import into {account.slug} retried after a conflict", logger=logger
    )
    if result.undo_state_id is not None:
        # After the commit: pruning must not hold the import's locks any longer.
        prune_undo_states(account=account, batched=True)
    if result.status is BatchStatus.IMPORTED:
        refresh_after_import(written=result.new + result.updated)
    return result


def active_campaigns(account: Account, campaign_ids: tuple[str, ...]) -> list[Campaign]:
    """The account's active campaigns of these ids, in their order, or InvalidRequest naming the
    unknown or inactive ones."""
    found = campaigns_by_id(account=account, campaign_ids=list(campaign_ids))
    missing = [cid for cid in campaign_ids if cid not in found or not found[cid].is_active]
    if missing:
        raise InvalidRequest(m.UNKNOWN_CAMPAIGNS.format(ids=", ".join(m.shown(c) for c in missing)))
    return [found[campaign_id] for campaign_id in campaign_ids]


def _import_once(account, user, request, source, campaigns, alone) -> ImportResult:
    now = timezone.now()
    with transaction.atomic(durable=True):
        if alone:
            shut_out_customer_writers()
        claim = None
        if request.request_id and not request.validate_only:
            claim, replayed = claim_request_id(
                account=account, request_id=request.request_id, now=now
            )
            if replayed is not None:
                return replayed
        undo_state = None
        if request.record_undo and not request.validate_only:
            undo_state = start_undo_state(
                account=account, user=user, source=source, request=request, now=now
            )
        result = _run_chunks(account, request, campaigns, undo_state, now)
        _conclude(request, result, undo_state, claim)
    return result


def _conclude(request, result: ImportResult, undo_state, claim) -> None:
    """Decide, inside the transaction, whether the import stands."""
    if request.validate_only:
        result.status = BatchStatus.VALIDATED
        transaction.set_rollback(True)
    elif request.all_or_nothing and result.errors:
        result.status = BatchStatus.REJECTED
        transaction.set_rollback(True)
    else:
        if undo_state is not None:
            result.undo_state_id = undo_state.pk
            finish_undo_state(undo_state=undo_state, result=result)
        if claim is not None:
            remember_response(record=claim, result=result)


def _run_chunks(account, request, campaigns, undo_state, now) -> ImportResult:
    result = ImportResult()
    cleaner = RowCleaner(request, credit_campaign=campaigns[0])
    matcher = ChunkMatcher(
        account=account,
        overwrite=request.overwrite,
        generator=IdentityGenerator(account=account, digits=request.card_number_digits),
    )
    lines = read_lines(request.data, request.delimiter)
    for seq, chunk in enumerate(cleaned_chunks(lines, cleaner)):
        plan = matcher.plan(chunk)
        write_chunk(account, plan, campaigns, undo_state, seq, now)
        result.new += plan.new
        result.updated += plan.updated
        result.ignored += plan.ignored
        result.failed += len(plan.errors)
        result.generated.extend(plan.generated)
        result.errors.extend(plan.errors)
    return result


def cleaned_chunks(
    lines: Iterable[tuple[int, list[str]] | LineError], cleaner: RowCleaner
) -> Iterator[list[CustomerRow | LineError]]:
    """read_lines' items, cleaned, in lists of IMPORT_CHUNK_ROWS (one chunk held at a time)."""
    size = settings.LOYALTY["IMPORT_CHUNK_ROWS"]
    rows = (item if isinstance(item, LineError) else cleaner.clean(*item) for item in lines)
    while chunk := list(itertools.islice(rows, size)):
        yield chunk


def write_chunk(account, plan: ChunkPlan, campaigns, undo_state, seq, now) -> None:
    """Write one planned chunk (customers, enrollments, credits, undo data) in the
    caller's transaction, with a fixed number of statements."""
    undo_id = undo_state.pk if undo_state else None
    states = list(plan.inserts.values())
    ids = write.insert_customers(account_id=account.pk, states=states, now=now)
    write.update_customers(
        account_id=account.pk, states=list(plan.updates.values()), previous=plan.previous, now=now
    )
    ids.update((code, state["id"]) for code, state in plan.updates.items())
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
                (state["id"], state["version"], plan.previous[state["id"]])
                for state in plan.updates.values()
            ],
        )
