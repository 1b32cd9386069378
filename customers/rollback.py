"""Rolling back an import, all or nothing, and pruning old undo data.

A rollback deletes the customers the import created (with their enrollments and ledger
entries), gives the customers it wrote every column back, and removes the enrollments and
auto_add credits it added. Customers changed after the import are conflicts: they are all
found before anything changes, and the rollback goes on only when the operator confirms.
The bulk statements are in customers/rollback_write.py, the words in
customers/rollback_messages.py.

A customer is unchanged since the import when its version is the one the import left, or
when the rollbacks of later imports (restored_versions) gave it back exactly the values of
that version: undoing imports newest-first finds no conflict.

A customer an earlier import's rollback gave back its values from before that import, after
this import was made, is left as it is: this import's changes went with that rollback, and
its undo data holds the earlier import's values (the shop owner's eleventh run: undoing
imports 11 then 12 gave a customer back import 11's phone).

Rolled back out of order, an import deletes the customers it created with whatever was
given to them after it (a later import's enrollments and credits, a credit by hand): those
are conflicts, the confirmation page counts them (plan_rollback), and the rollback records
them by the import that gave them (rollback_result's "taken_from"), so that import's page
can say where its enrollments and credits went (taken_by_rollbacks).
"""

import datetime
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from hashlib import sha256
from operator import itemgetter

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Count
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import Account
from accounts.users import User
from campaigns.models import Enrollment, Transaction
from core.errors import Refused
from core.gc_pause import collection_paused
from core.moments import shown_time
from core.wording import say

from . import rollback_write as write
from .columns import SECRETS, VERSION
from .hashers import not_weaker
from .models import Customer, UndoChunk, UndoState
from .retry import shut_out_customer_writers, with_retries
from .rollback_messages import (
    ALREADY_ROLLED_BACK,
    CHANGED_CREATED_REASON,
    CHANGED_REASON,
    CONFLICTS,
    CONFLICTS_CHANGED_SINCE,
    CREATED_ENROLLMENTS_REASON,
    CREATED_ENTRIES_REASON,
    DELETED_REASON,
    IDENTITY_TAKEN,
    IDENTITY_TAKEN_REASON,
    PRUNED,
    ROLLED_BACK,
    UNKNOWN_TIME,
    UNKNOWN_USER,
    WRITTEN_ENTRIES_REASON,
)

logger = logging.getLogger("loyalty.rollback")


# RollbackResult's counts, in its order, as the undo state keeps them.
RESULT_KEYS = ("deleted", "restored", "enrollments_removed", "credits_removed")

# Columns that identify a customer: unique in the account, as the constraints say.
IDENTITIES = {"code": "code", "card_number": "card number", "customer_username": "username"}
# Where _current's rows hold the version, each identity and each secret.
_VERSION_AT = 1
_AT = {name: 2 + index for index, name in enumerate((*IDENTITIES, *SECRETS))}
_CODE_AT = _AT["code"]
_IDENTITIES_END = _CODE_AT + len(IDENTITIES)


class ConflictCode(StrEnum):
    CHANGED = "changed"
    DELETED = "deleted"
    # Of a customer the import created only: its rollback deletes them (a written one keeps
    # enrollments not the import's).
    LATER_ENROLLMENTS = "later_enrollments"
    LATER_ENTRIES = "later_entries"
    # Not overridable: it would take the value from a customer the import never touched.
    IDENTITY_TAKEN = "identity_taken"


# Not frozen: a frozen dataclass is three times slower to make, and the confirmation page
# of a 100,000-row import may make 100,000.
@dataclass(slots=True)
class Conflict:
    customer_id: int
    code: ConflictCode
    reason: str
    # The customer's code, for the list staff download (the reason names it too).
    customer_code: str = field(default="", compare=False)


@dataclass(frozen=True)
class RollbackResult:
    """`credits_removed` counts every ledger entry removed: the import's credits, and the
    later entries of customers it created when those conflicts were confirmed."""

    deleted: int
    restored: int
    enrollments_removed: int
    credits_removed: int
    conflicts: tuple[Conflict, ...] = ()

    def counts(self) -> dict[str, int]:
        """The counts by RESULT_KEYS, as UndoState.rollback_result keeps them."""
        return {key: getattr(self, key) for key in RESULT_KEYS}


def rolled_back_said(pk: int | None, counts: Mapping[str, int]) -> str:
    """The message after a rollback (the admin's, a rollback job's page): `counts` by
    RESULT_KEYS (RollbackResult.counts(), UndoState.rollback_result, a job's answer)."""
    return say(
        ROLLED_BACK,
        pk=pk,
        deleted=counts.get("deleted", 0),
        restored=counts.get("restored", 0),
        enrollments=counts.get("enrollments_removed", 0),
        credits=counts.get("credits_removed", 0),
    )


class RollbackRefused(Refused):
    """The rollback did nothing; `message` says why, `conflicts` lists any conflicts."""

    def __init__(self, message: str, conflicts: tuple[Conflict, ...] = ()):
        super().__init__(message)
        self.conflicts = conflicts


@dataclass
class _UndoData:
    """What the undo chunks say. Previous values stay compressed in `chunks` and are read
    chunk by chunk when restoring, so a large import is never held unpacked at once."""

    chunks: list[UndoChunk]
    created: set[int] = field(default_factory=set)
    # Written customer id -> index in `chunks` of its earliest record: the true previous state.
    first_written: dict[int, int] = field(default_factory=dict)
    # Customer id -> the version the import left.
    left: dict[int, int] = field(default_factory=dict)
    # Written customer id -> its identities before the import, in IDENTITIES' order.
    identities: dict[int, tuple] = field(default_factory=dict)
    # Written customer id -> its version before the import (None in old undo data without).
    before_version: dict[int, int | None] = field(default_factory=dict)
    # Customer id -> {version a rollback since the import left: version whose values it
    # gave back}, of the rollbacks done since the import (_changed_since follows them).
    same_as: dict[int, dict[int, int]] = field(default_factory=dict)
    # Written customers the rollback of an earlier import, done after this one, gave back
    # their values from before that import: this import's changes to them went with it, and
    # its undo data would bring back the earlier import's values. Customer id -> the
    # earlier import's undo state id; they are out of first_written and left as they are.
    left_as_is: dict[int, int] = field(default_factory=dict)


# on_progress(customers done, customers in all): called as a rollback goes, from inside
# its transaction (a background rollback's progress bar, jobs/tasks.py).
RollbackProgress = Callable[[int, int], None]


def roll_back(
    *,
    undo_state: UndoState,
    user: User | None,
    overwrite_conflicts: bool = False,
    seen_conflicts: str | None = None,
    on_progress: RollbackProgress | None = None,
) -> RollbackResult:
    """Undo the import exactly, in one transaction, or raise RollbackRefused and change
    nothing. `seen_conflicts`: the digest of the conflicts the operator confirmed
    (conflict_overview); the rollback is refused if those it finds under its locks differ,
    which a rollback run later (a background job) needs, since they may change meanwhile."""

    def attempt(alone: bool) -> tuple[UndoState, RollbackResult]:
        with collection_paused():
            return _roll_back_once(
                undo_state.pk, user, overwrite_conflicts, alone, seen_conflicts, on_progress
            )

    # A deadlock with a concurrent import, or an identity it took meanwhile, fails the
    # transaction: the rollback is run again and checks its conflicts anew.
    state, result = with_retries(
        attempt,
        conflict=f"rollback of import {undo_state.pk} retried after a conflict",
        logger=logger,
    )
    undo_state.status = state.status
    undo_state.rolled_back_at = state.rolled_back_at
    undo_state.rolled_back_by = state.rolled_back_by
    return result


def find_conflicts(
    *, undo_state: UndoState, chunks: list[UndoChunk] | None = None
) -> list[Conflict]:
    """The customers of the import changed since, as a rollback would find them now.
    `chunks`: its undo chunks, if the caller read them already (their payloads may be
    deferred: only their summaries are read)."""
    if undo_state.status != UndoState.Status.UNDOABLE:
        return []
    data = _undo_data(undo_state, payloads=False, chunks=chunks)
    current = _current(undo_state.account_id, data, lock=False)
    return _conflicts(undo_state, data, current)


@dataclass(frozen=True)
class ConflictOverview:
    """What the confirmation page shows of the conflicts: how many customers, how many of
    each kind, the first few, and a digest of them all ("" for none)."""

    customers: int
    kinds: dict[ConflictCode, int]
    first: list[Conflict]
    digest: str


def conflict_overview(
    *, undo_state: UndoState, shown: int, chunks: list[UndoChunk] | None = None
) -> ConflictOverview:
    """find_conflicts, counted and digested, with only the first `shown` conflicts made:
    the page of a 100,000-row import need not make 100,000."""
    if undo_state.status != UndoState.Status.UNDOABLE:
        return ConflictOverview(0, {}, [], "")
    data = _undo_data(undo_state, payloads=False, chunks=chunks)
    current = _current(undo_state.account_id, data, lock=False)
    keys = _conflict_keys(undo_state, data, current)
    kinds: dict[ConflictCode, int] = {}
    for _pk, kind, _conflict_made in keys:
        kinds[kind] = kinds.get(kind, 0) + 1
    first = [conflict or _conflict(kind, pk, data, current) for pk, kind, conflict in keys[:shown]]
    return ConflictOverview(
        customers=len({pk for pk, _kind, _conflict_made in keys}),
        kinds=dict(sorted(kinds.items())),
        first=first,
        digest=_digest((pk, kind) for pk, kind, _conflict_made in keys),
    )


def conflicts_digest(conflicts: Iterable[Conflict]) -> str:
    """The digest conflict_overview gives for these conflicts."""
    return _digest((conflict.customer_id, conflict.code) for conflict in conflicts)


@dataclass(frozen=True)
class GivenLater:
    """What was given after the import to the customers it created, which its rollback
    deletes with them: counts, and of those a later import gave, (enrollments, credits) by
    that import's undo state id."""

    enrollments: int = 0
    credits: int = 0
    by_import: dict[int, tuple[int, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class RollbackPlan:
    """What a rollback now would do, as its confirmation page says it and as it then
    reports it: customers deleted (those the import added, still there), given back their
    values (those it changed, still there), deleted since (not brought back), left as they
    are by earlier import (an earlier import's rollback gave them back already), and what
    goes with the customers it deletes."""

    deleted: int
    restored: int
    gone: int
    left_as_is: dict[int, int]
    later: GivenLater


def plan_rollback(*, undo_state: UndoState, chunks: list[UndoChunk] | None = None) -> RollbackPlan:
    """The rollback's plan: RollbackPlan."""
    if undo_state.status != UndoState.Status.UNDOABLE:
        return RollbackPlan(0, 0, 0, {}, GivenLater())
    data = _undo_data(undo_state, payloads=False, chunks=chunks)
    current = _current(undo_state.account_id, data, lock=False)
    return RollbackPlan(
        deleted=len(data.created & current.keys()),
        restored=len(data.first_written.keys() & current.keys()),
        gone=len(data.first_written.keys() - current.keys()),
        left_as_is=_left_as_is_by_import(data),
        later=_given_later(undo_state, data, current),
    )


def _left_as_is_by_import(data: _UndoData) -> dict[int, int]:
    """Earlier import's undo state id -> how many of this import's customers its rollback
    gave back already."""
    return dict(sorted(Counter(data.left_as_is.values()).items()))


def taken_by_rollbacks(*, undo_state: UndoState) -> list[tuple[UndoState, int, int]]:
    """(rolled-back import, enrollments, credits) for each rollback of an earlier import
    that deleted, with the customers that import created, enrollments or credits
    `undo_state` gave: oldest rollback first."""
    key = str(undo_state.pk)
    rollbacks = UndoState.objects.filter(
        account_id=undo_state.account_id,
        status=UndoState.Status.ROLLED_BACK,
        rolled_back_at__gte=undo_state.created_at,
        rollback_result__taken_from__has_key=key,
    ).order_by("rolled_back_at", "pk")
    taken = []
    for rollback in rollbacks.only("rollback_result"):
        # The query found the key: rollback_result is the dict that holds it.
        enrollments, credits = (rollback.rollback_result or {})["taken_from"][key]
        taken.append((rollback, enrollments, credits))
    return taken


def _given_later(state: UndoState, data: _UndoData, current: dict[int, tuple]) -> GivenLater:
    """GivenLater of the created customers still there: every enrollment and ledger entry
    of theirs but the import's own (all of theirs are later than the import)."""
    created = data.created & current.keys()
    if not created:
        return GivenLater()
    enrollments = Enrollment.objects.filter(_among("customer_id", created)).exclude(
        undo_state_id=state.pk
    )
    entries = Transaction.objects.filter(_among("customer_id", created)).exclude(
        undo_state_id=state.pk, kind=Transaction.Kind.AUTO_ADD
    )
    by_import: dict[int, list[int]] = {}
    counts = [0, 0]
    for at, rows in enumerate((enrollments, entries)):
        for giver, count in rows.values_list("undo_state_id").annotate(Count("id")).order_by():
            counts[at] += count
            if giver is not None:
                by_import.setdefault(giver, [0, 0])[at] += count
    return GivenLater(
        enrollments=counts[0],
        credits=counts[1],
        by_import={pk: (given[0], given[1]) for pk, given in sorted(by_import.items())},
    )


def _digest(keys: Iterable[tuple[int, ConflictCode]]) -> str:
    """SHA-256 of "id:kind" lines, "" for none: a fixed size whatever the import's size."""
    signature = "\n".join(f"{pk}:{kind.value}" for pk, kind in keys)
    return sha256(signature.encode()).hexdigest() if signature else ""


def prune_undo_states(*, account: Account, batched: bool = False) -> int:
    """Drop the undo data of the account's undoable imports beyond the newest
    UNDO_STATES_KEPT; they stay listed, marked pruned. Returns how many were pruned.

    `batched` (after every import) prunes only once more than a tenth of UNDO_STATES_KEPT
    have piled up beyond it (at least one), so most imports pay one indexed read.
    Not durable, so it may run inside a caller's transaction; run it after the import's
    commit, since it waits for any rollback of the states it prunes."""
    kept = settings.LOYALTY["UNDO_STATES_KEPT"]
    # Read outside a transaction: most imports find too few to prune and stop here.
    if not _undoable_beyond(account, kept + kept // 10 if batched else kept):
        return 0
    undoable = UndoState.objects.filter(account=account, status=UndoState.Status.UNDOABLE)
    stale = list(undoable.order_by("-created_at", "-id").values_list("id", flat=True)[kept:])
    with transaction.atomic():
        # Lock in id order, then re-check: a rollback that got there first keeps its state.
        locked = undoable.filter(id__in=stale).order_by("id")
        if connection.features.has_select_for_update:
            locked = locked.select_for_update()
        pruned = list(locked.values_list("id", flat=True))
        UndoState.objects.filter(id__in=pruned).update(status=UndoState.Status.PRUNED)
        UndoChunk.objects.filter(undo_state_id__in=pruned).delete()
    _drop_spent_restored_versions(account)
    return len(pruned)


def _drop_spent_restored_versions(account: Account) -> None:
    """Clear the restored versions of rollbacks done before every import still undoable:
    a conflict check reads only those of rollbacks since its own import."""
    undoable = UndoState.objects.filter(account=account, status=UndoState.Status.UNDOABLE)
    oldest = undoable.order_by("created_at").values_list("created_at", flat=True).first()
    spent = UndoState.objects.filter(
        account=account, status=UndoState.Status.ROLLED_BACK, restored_versions__isnull=False
    )
    if oldest is not None:
        spent = spent.filter(rolled_back_at__lt=oldest)
    spent.update(restored_versions=None)


def _undoable_beyond(account: Account, newest: int) -> bool:
    """Whether the account has more than `newest` undoable states: plain SQL, since every
    import asks (the undo_state_undoable_newest index answers it)."""
    table = connection.ops.quote_name(UndoState._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE account_id = %s AND status = %s "
            "ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET %s",
            [account.pk, UndoState.Status.UNDOABLE.value, newest],
        )
        return cursor.fetchone() is not None


def _roll_back_once(
    undo_state_id: int,
    user: User | None,
    overwrite_conflicts: bool,
    alone: bool,
    seen_conflicts: str | None = None,
    on_progress: RollbackProgress | None = None,
) -> tuple[UndoState, RollbackResult]:
    now = timezone.now()
    with transaction.atomic(durable=True):
        if alone:
            shut_out_customer_writers()
        state = _locked_state(undo_state_id)
        data = _undo_data(state)
        current = _current(state.account_id, data, lock=True)
        conflicts = tuple(_conflicts(state, data, current))
        if seen_conflicts is not None and conflicts_digest(conflicts) != seen_conflicts:
            raise RollbackRefused(CONFLICTS_CHANGED_SINCE, conflicts)
        _refuse_conflicts(conflicts, overwrite_conflicts)
        # Before _undo deletes them: what later imports gave the customers it deletes
        # (there is some only where a conflict says so: most rollbacks skip the queries).
        taken = (
            _given_later(state, data, current).by_import
            if _given_to_created(conflicts, data)
            else {}
        )
        result = _undo(state, data, current, now, on_progress or _no_progress)
        state.status = UndoState.Status.ROLLED_BACK
        state.rolled_back_at = now
        state.rolled_back_by = user
        state.rollback_result = dict(zip(RESULT_KEYS, result, strict=True))
        if taken:
            state.rollback_result["taken_from"] = {
                str(pk): list(given) for pk, given in taken.items()
            }
        if data.left_as_is:
            state.rollback_result["left_as_is"] = {
                str(pk): count for pk, count in _left_as_is_by_import(data).items()
            }
        state.restored_versions = UndoState.pack_versions(_versions_left(data, current))
        state.save(
            update_fields=[
                "status",
                "rolled_back_at",
                "rolled_back_by",
                "rollback_result",
                "restored_versions",
            ]
        )
        # A rolled-back import cannot be rolled back again: its undo data is dead weight.
        UndoChunk.objects.filter(undo_state=state).delete()
    return state, RollbackResult(*result, conflicts=conflicts)


def _given_to_created(conflicts: Iterable[Conflict], data: _UndoData) -> bool:
    """Whether a conflict says a customer the import created got enrollments or credits
    after it."""
    later = (ConflictCode.LATER_ENROLLMENTS, ConflictCode.LATER_ENTRIES)
    return any(c.code in later and c.customer_id in data.created for c in conflicts)


def _versions_left(data: _UndoData, current: dict[int, tuple]) -> list[tuple[int, int, int]]:
    """(id, version the rollback leaves, version before the import) of each customer it
    gives its values back: restore_customers raises the locked row's version by one."""
    return [
        (pk, current[pk][_VERSION_AT] + 1, before)
        for pk, before in data.before_version.items()
        if pk in current and before is not None
    ]


def _locked_state(undo_state_id: int) -> UndoState:
    state = UndoState.objects.select_for_update().get(pk=undo_state_id)
    refused = why_not_undoable(state)
    if refused:
        raise RollbackRefused(refused)
    return state


def why_not_undoable(state: UndoState) -> str:
    """Why `state` cannot be rolled back (already rolled back, when and by whom; pruned), or
    "" if it can: the rollback's refusal, and its page's words (a shop owner read only
    "Import 3 … cannot be rolled back.")."""
    if state.status == UndoState.Status.ROLLED_BACK:
        who = state.rolled_back_by.get_username() if state.rolled_back_by else UNKNOWN_USER
        return ALREADY_ROLLED_BACK.format(when=_when(state.rolled_back_at), who=who)
    if state.status == UndoState.Status.PRUNED:
        return PRUNED.format(n=settings.LOYALTY["UNDO_STATES_KEPT"])
    return ""


def _when(moment: datetime.datetime | None) -> str:
    if moment is None:
        return UNKNOWN_TIME
    return shown_time(moment)


def _refuse_conflicts(conflicts: tuple[Conflict, ...], overwrite_conflicts: bool) -> None:
    taken = {c.customer_id for c in conflicts if c.code is ConflictCode.IDENTITY_TAKEN}
    if taken:
        raise RollbackRefused(say(IDENTITY_TAKEN, count=len(taken)), conflicts)
    if conflicts and not overwrite_conflicts:
        count = len({conflict.customer_id for conflict in conflicts})
        raise RollbackRefused(say(CONFLICTS, count=count), conflicts)


def _undo_data(
    state: UndoState, *, payloads: bool = True, chunks: list[UndoChunk] | None = None
) -> _UndoData:
    """What the chunks' summaries say; `payloads` loads the previous values too (a
    rollback restores them; a conflict check does not need them)."""
    if chunks is None:
        query = state.chunks.order_by("seq")
        chunks = list(query if payloads else query.defer("payload"))
    data = _UndoData(chunks=chunks)
    for index, chunk in enumerate(data.chunks):
        summary = chunk.unpack_summary()
        for pk in summary["created"]:
            data.created.add(pk)
            data.left[pk] = 1
        for pk, version, before_version, *identities in summary["written"]:
            data.left[pk] = version
            if pk not in data.created and pk not in data.first_written:
                data.first_written[pk] = index
                data.identities[pk] = tuple(identities)
                data.before_version[pk] = before_version
    _read_rollbacks_since(state, data)
    return data


def _read_rollbacks_since(state: UndoState, data: _UndoData) -> None:
    """Fill same_as and left_as_is from the rollbacks done since the import (one query;
    only they can have left a version newer than the one it left), and take the customers
    left as they are out of the import's written ones."""
    rollbacks = UndoState.objects.filter(
        account_id=state.account_id,
        status=UndoState.Status.ROLLED_BACK,
        rolled_back_at__gte=state.created_at,
        restored_versions__isnull=False,
    ).exclude(pk=state.pk)
    wanted = data.created | data.first_written.keys()
    for rollback in rollbacks.only("restored_versions").order_by("pk"):
        earlier = rollback.pk < state.pk
        for pk, left, values_of in rollback.unpack_versions():
            if pk not in wanted:
                continue
            data.same_as.setdefault(pk, {})[left] = values_of
            if earlier and pk in data.first_written:
                data.left_as_is.setdefault(pk, rollback.pk)
    for pk in data.left_as_is:
        del data.first_written[pk], data.identities[pk], data.before_version[pk]
        del data.left[pk]


def _current(account_id: int, data: _UndoData, *, lock: bool) -> dict[int, tuple]:
    """The import's customers as they are now, by id, as (id, version, *IDENTITIES,
    *SECRETS) rows (the secret hashes for _secrets_not_weaker); locked in id order when
    asked (and the database can), the order a concurrent import locks them in too. Plain
    SQL and tuples: the ORM's dicts cost a second per 100,000 customers, and the
    confirmation page reads them."""
    ids = data.created | data.first_written.keys()
    if not ids:
        return {}
    names = ("id", VERSION, *IDENTITIES, *SECRETS)
    among, params = write.ids_among("id", sorted(ids))
    sql = (
        f"SELECT {', '.join(names)} FROM {connection.ops.quote_name(Customer._meta.db_table)} "
        f"WHERE account_id = %s AND {among} ORDER BY id"
    )
    if lock and connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [account_id, *params])
        return {row[0]: row for row in cursor.fetchall()}


def _conflicts(state: UndoState, data: _UndoData, current: dict[int, tuple]) -> list[Conflict]:
    """Every conflict, by customer id and, for one customer, by kind (ConflictCode's
    alphabetical order)."""
    return [
        conflict or _conflict(kind, pk, data, current)
        for pk, kind, conflict in _conflict_keys(state, data, current)
    ]


def _conflict_keys(
    state: UndoState, data: _UndoData, current: dict[int, tuple]
) -> list[tuple[int, ConflictCode, Conflict | None]]:
    """(customer id, kind, the conflict if made already) of every conflict, in
    _conflicts' order: the kinds are gathered alphabetically and the sort by id is stable.
    Only identities taken are made here (they need the holder); the others are made by
    _conflict when wanted, so the page of a large import makes only those it shows."""
    keys: list[tuple[int, ConflictCode, Conflict | None]] = []
    keys.extend((pk, ConflictCode.CHANGED, None) for pk in _changed_since(state, data, current))
    deleted = data.first_written.keys() - current.keys()
    keys.extend((pk, ConflictCode.DELETED, None) for pk in deleted)
    taken = _identities_taken(state.account_id, data, current)
    keys.extend((conflict.customer_id, conflict.code, conflict) for conflict in taken)
    enrolled = _with_later_enrollments(state, data, current)
    keys.extend((pk, ConflictCode.LATER_ENROLLMENTS, None) for pk in enrolled)
    entries = _with_later_entries(state, current)
    keys.extend((pk, ConflictCode.LATER_ENTRIES, None) for pk in entries)
    keys.sort(key=itemgetter(0))
    return keys


def _conflict(kind: ConflictCode, pk: int, data: _UndoData, current: dict[int, tuple]) -> Conflict:
    created = pk in data.created
    if kind is ConflictCode.DELETED:
        code = data.identities[pk][0]
        return Conflict(pk, kind, DELETED_REASON.format(code=code), code)
    code = current[pk][_CODE_AT]
    if kind is ConflictCode.LATER_ENROLLMENTS:
        return Conflict(pk, kind, CREATED_ENROLLMENTS_REASON.format(code=code), code)
    if kind is ConflictCode.CHANGED:
        template = CHANGED_CREATED_REASON if created else CHANGED_REASON
    else:
        template = CREATED_ENTRIES_REASON if created else WRITTEN_ENTRIES_REASON
    return Conflict(pk, kind, template.format(code=code), code)


def _changed_since(state: UndoState, data: _UndoData, current: dict[int, tuple]) -> list[int]:
    """The customers whose values are not those the import left: a version other than the
    one it left, unless later rollbacks gave them back exactly the values of that version."""
    left = data.left
    moved = {pk: row[_VERSION_AT] for pk, row in current.items() if row[_VERSION_AT] != left[pk]}
    if not moved:
        return []
    changed = []
    for pk, version in moved.items():
        aliases = data.same_as.get(pk, {})
        # Each rollback's version is newer than the one it gave back: the walk ends.
        while version in aliases:
            version = aliases[version]
        if version != data.left[pk]:
            changed.append(pk)
    return changed


def _with_later_enrollments(
    state: UndoState, data: _UndoData, current: dict[int, tuple]
) -> set[int]:
    """The created customers enrolled since by someone else (a later import, the admin):
    the rollback deletes those enrollments with the customer."""
    created = data.created & current.keys()
    if not created:
        return set()
    enrolled = (
        Enrollment.objects.filter(_among("customer_id", created))
        .exclude(undo_state_id=state.pk)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    return set(enrolled)


def _with_later_entries(state: UndoState, current: dict[int, tuple]) -> set[int]:
    if not current:
        return set()
    entries = (
        Transaction.objects.filter(_among("customer_id", current), created_at__gt=state.created_at)
        .exclude(undo_state_id=state.pk)
        .values_list("customer_id", flat=True)
        .distinct()
    )
    return set(entries)


def _identities_taken(
    account_id: int, data: _UndoData, current: dict[int, tuple]
) -> Iterator[Conflict]:
    """Conflicts for restored customers whose old identity a customer outside the rollback
    holds now (one the import created is deleted first; one it wrote is released)."""
    wanted: dict[str, dict[str, int]] = {name: {} for name in IDENTITIES}
    for pk, before in data.identities.items():
        row = current.get(pk)
        # Most customers keep their identities: one comparison of the three.
        if row is None or before == row[_CODE_AT:_IDENTITIES_END]:
            continue
        for name, value in zip(IDENTITIES, before, strict=True):
            if value is not None and value != row[_AT[name]]:
                wanted[name][value] = pk
    for name, values in wanted.items():
        if not values:
            continue
        holders = Customer.objects.filter(account_id=account_id, **{f"{name}__among": values})
        for holder_id, holder, value in holders.values_list("id", "code", name):
            if holder_id in current:
                continue
            pk = values[value]
            reason = IDENTITY_TAKEN_REASON.format(
                code=current[pk][_CODE_AT], field=IDENTITIES[name], value=value, holder=holder
            )
            yield Conflict(pk, ConflictCode.IDENTITY_TAKEN, reason, current[pk][_CODE_AT])


def _no_progress(done: int, total: int) -> None:
    pass


def _undo(
    state: UndoState,
    data: _UndoData,
    current: dict[int, tuple],
    now: datetime.datetime,
    on_progress: RollbackProgress = _no_progress,
) -> tuple[int, int, int, int]:
    """(deleted, restored, enrollments removed, credits removed), RollbackResult's order.
    Progress counts the import's customers: those it created at once (one statement deletes
    them), then those it wrote, chunk by chunk."""
    account_id = state.account_id
    total = len(data.created) + len(data.first_written)
    on_progress(0, total)
    enrollments, credits = write.delete_import_additions(undo_state_id=state.pk)
    deleted, more_enrollments, more_entries = write.delete_customers(
        account_id=account_id, ids=sorted(data.created & current.keys())
    )
    write.release_identities(account_id=account_id, ids=_holders_to_release(data, current))
    done = len(data.created)
    on_progress(done, total)
    firsts = Counter(data.first_written.values())
    restored = 0
    for index, chunk in enumerate(data.chunks):
        payload = chunk.unpack_lists()
        secrets = [(payload["columns"].index(name), name) for name in SECRETS]
        previous = [
            (pk, _secrets_not_weaker(before, current[pk], secrets))
            for pk, _version, before in payload["written"]
            if data.first_written.get(pk) == index and pk in current
        ]
        restored += write.restore_customers(
            account_id=account_id, columns=payload["columns"], previous=previous, now=now
        )
        if firsts[index]:
            done += firsts[index]
            on_progress(done, total)
    return deleted, restored, enrollments + more_enrollments, credits + more_entries


def _secrets_not_weaker(before: list, current: tuple, secrets: list[tuple[int, str]]) -> list:
    """`before` with each secret hash no weaker than the customer's now: an interim hash the
    customer row holds hardened since goes back hardened (customers.hashers.not_weaker)."""
    restored = before
    for at, name in secrets:
        value = not_weaker(before[at], current[_AT[name]])
        if value != before[at]:
            restored = restored if restored is not before else list(before)
            restored[at] = value
    return restored


def _holders_to_release(data: _UndoData, current: dict[int, tuple]) -> list[int]:
    """Restored customers holding now an identity another restored customer gets back."""
    wanted = {
        (name, value): pk
        for pk, before in data.identities.items()
        for name, value in zip(IDENTITIES, before, strict=True)
        if value is not None and pk in current
    }
    return sorted(
        pk
        for pk in data.identities.keys() & current.keys()
        if any(
            wanted.get((name, current[pk][_AT[name]]), pk) != pk
            for name in IDENTITIES
            if current[pk][_AT[name]] is not None
        )
    )


def _among(column: str, ids: Iterable[int]) -> RawSQL:
    return RawSQL(*write.ids_among(column, sorted(ids)), output_field=BooleanField())


# Later imports looked at for the confirmation page's "changed later by import N": the
# nearest ones after this import, and only for its first conflicts (the page lists those).
LATER_IMPORTS_READ = 10


def later_imports(
    *, undo_state: UndoState, customer_ids: Iterable[int]
) -> list[tuple[UndoState, list[int]]]:
    """The still undoable imports of the same account after `undo_state` (the nearest
    LATER_IMPORTS_READ) that wrote, created, credited or enrolled any of `customer_ids`,
    each with those of the ids it holds, newest first: what to roll back before this one."""
    wanted = set(customer_ids)
    if not wanted:
        return []
    later = list(
        UndoState.objects.filter(
            account_id=undo_state.account_id,
            pk__gt=undo_state.pk,
            status=UndoState.Status.UNDOABLE,
        )
        .select_related("user")
        .order_by("pk")[:LATER_IMPORTS_READ]
    )
    found = []
    for state in reversed(later):
        held: set[int] = set()
        for chunk in UndoChunk.objects.filter(undo_state=state).defer("payload"):
            summary = chunk.unpack_summary()
            held.update(pk for pk in summary["created"] if pk in wanted)
            held.update(row[0] for row in summary["written"] if row[0] in wanted)
        # A customer the later import only credited or enrolled is no record of its undo
        # data, but it is a later change of that import too (thirteenth run: C004 left out).
        for given in (Transaction, Enrollment):
            held.update(
                given.objects.filter(undo_state=state, customer_id__in=wanted).values_list(
                    "customer_id", flat=True
                )
            )
        if held:
            found.append((state, sorted(held)))
    return found
