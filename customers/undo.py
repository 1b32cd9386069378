"""Undo states: recording what an import did, in the import's own transaction.

Created customers and the previous values of written customers are kept per chunk in
UndoChunk rows; enrollments and credits carry the undo state's id themselves. The rows are
written with plain statements (core.rawsql): every API request writes them.
"""

import datetime
from operator import itemgetter

from accounts.models import Account
from accounts.users import User
from core import rawsql

from .batch.types import BatchRequest, CustomerRecord, ImportResult
from .columns import IMPORT_COLUMNS
from .models import SUMMARY_COLUMNS, UndoChunk, UndoState


def start_undo_state(
    *,
    account: Account,
    user: User | None,
    source: UndoState.Source,
    request: BatchRequest,
    now: datetime.datetime,
) -> UndoState:
    undo_state = UndoState(
        account=account, user=user, source=source, parameters=request.summary(), created_at=now
    )
    rawsql.insert(undo_state)
    return undo_state


def record_chunk(
    *,
    undo_state: UndoState,
    seq: int,
    created_ids: list[int],
    written: list[tuple[int, int, CustomerRecord]],
) -> None:
    """One chunk's undo data: created customer ids and, per written customer,
    (id, version the import left, every column as it was before)."""
    if not created_ids and not written:
        return
    payload = {
        "created": created_ids,
        # Values in this column order, not dicts: the names once per chunk instead of once
        # per customer, which halves the JSON to encode (UndoChunk.unpack gives dicts back).
        "columns": IMPORT_COLUMNS,
        "written": [[pk, version, _values(before)] for pk, version, before in written],
    }
    summary = {
        "created": created_ids,
        "written": [[pk, version, *_summary(before)] for pk, version, before in written],
    }
    rawsql.insert(
        UndoChunk(
            undo_state=undo_state,
            seq=seq,
            payload=UndoChunk.pack(payload),
            summary=UndoChunk.pack(summary),
        )
    )


def finish_undo_state(*, undo_state: UndoState, result: ImportResult) -> None:
    undo_state.new = result.new
    undo_state.updated = result.updated
    undo_state.unchanged = result.unchanged
    undo_state.repeated = result.repeated
    undo_state.ignored = result.ignored
    undo_state.failed = result.failed
    rawsql.update(undo_state, ["new", "updated", "unchanged", "repeated", "ignored", "failed"])
    _mark_written_or_not(undo_state, written=bool(result.new + result.updated + result.ignored))


# The statuses of an import that has not been rolled back or pruned.
OPEN_STATUSES = (UndoState.Status.UNDOABLE, UndoState.Status.NOTHING_WRITTEN)


def _mark_written_or_not(undo_state: UndoState, *, written: bool) -> None:
    """An import in which every line failed has nothing to roll back: NOTHING_WRITTEN
    until a chunk writes something (a stream's later chunk may). A state rolled back or
    pruned meanwhile keeps its status."""
    status = UndoState.Status.UNDOABLE if written else UndoState.Status.NOTHING_WRITTEN
    if undo_state.status == status or undo_state.status not in OPEN_STATUSES:
        return
    UndoState.objects.filter(pk=undo_state.pk, status__in=OPEN_STATUSES).update(status=status)
    undo_state.status = status


# A customer's values in IMPORT_COLUMNS order, as a tuple (UndoChunk.pack writes the date).
_values = itemgetter(*IMPORT_COLUMNS)
# What the chunk's summary keeps of them.
_summary = itemgetter(*SUMMARY_COLUMNS)
