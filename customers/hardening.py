"""Raising the interim hashes of customer passwords and PINs to full strength, without the
plaintext (see customers/hashers.py and docs/decisions.md): in the undo data first, then in
the customer rows.

That order keeps a rollback from ever meeting a hardened customer row whose undo data still
holds the interim hash: a row is hardened only after every undo chunk that existed before
it was. (A rollback checks anyway: customers.hashers.not_weaker.) Wrapping is deterministic,
so the value an undo chunk holds and the row it came from end up as one value again.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q

from accounts.models import Account

from .columns import SECRETS
from .hashers import INTERIM_PREFIXES, is_interim, wrap_interim_hash
from .models import Customer, UndoChunk, UndoState

# PBKDF2 at full strength takes about half a second per secret: a batch is hashed outside
# any transaction, then written in a short one.
BATCH_SIZE = 100


@dataclass(frozen=True)
class HardenedBatch:
    passwords: int
    pins: int
    # Interim hashes hardened in undo data (previous values of customers).
    undo_values: int = 0


class _Wrapper:
    """wrap_interim_hash with memory: the row and its undo records hold the same value."""

    def __init__(self) -> None:
        self.wrapped: dict[str, str] = {}

    def __call__(self, encoded: str) -> str:
        if encoded not in self.wrapped:
            self.wrapped[encoded] = wrap_interim_hash(encoded)
        return self.wrapped[encoded]


def harden_customer_secrets(
    *, account: Account, batch_size: int = BATCH_SIZE
) -> Iterator[HardenedBatch]:
    """Wrap every interim password and PIN hash of the account in PBKDF2: in its undo data
    (a chunk at a time), then in its customers (a batch at a time); yields what each step
    hardened. A secret changed meanwhile (by an import, say) is left to that writer: the
    update only replaces the value it read.

    The customer's version is not raised: the secret is the same, so a rollback of the
    import that set it must not see a conflict."""
    wrap = _Wrapper()
    for chunk_id in _undo_chunk_ids(account):
        undo_values = _harden_undo_chunk(chunk_id, wrap)
        if undo_values:
            yield HardenedBatch(passwords=0, pins=0, undo_values=undo_values)
    interim = Q()
    for column in SECRETS:
        for prefix in INTERIM_PREFIXES:
            interim |= Q(**{f"{column}__startswith": prefix})
    customers = Customer.objects.filter(interim, account=account).order_by("id")
    secrets = customers.values_list("id", *SECRETS)
    last_id = 0
    while rows := list(secrets.filter(id__gt=last_id)[:batch_size]):
        last_id = rows[-1][0]
        passwords, pins = _wrapped(rows, 1, wrap), _wrapped(rows, 2, wrap)
        with transaction.atomic():
            hardened = HardenedBatch(
                passwords=_replace("customer_password", passwords),
                pins=_replace("customer_pin", pins),
            )
        yield hardened


def _undo_chunk_ids(account: Account) -> list[int]:
    chunks = UndoChunk.objects.filter(
        undo_state__account=account, undo_state__status=UndoState.Status.UNDOABLE
    )
    return list(chunks.order_by("id").values_list("id", flat=True))


def _harden_undo_chunk(chunk_id: int, wrap: _Wrapper) -> int:
    """Wrap the interim hashes among one chunk's previous values; how many were. The chunk
    is rewritten only if it is still there (a rollback or pruning may have removed it)."""
    chunk = UndoChunk.objects.filter(pk=chunk_id).first()
    if chunk is None:
        return 0
    payload = chunk.unpack_lists()
    positions = [payload["columns"].index(name) for name in SECRETS if name in payload["columns"]]
    hardened = 0
    for _pk, _version, before in payload["written"]:
        for at in positions:
            if is_interim(before[at]):
                before[at] = wrap(before[at])
                hardened += 1
    if hardened:
        UndoChunk.objects.filter(pk=chunk_id).update(payload=UndoChunk.pack(payload))
    return hardened


def _wrapped(rows: list[tuple], index: int, wrap: _Wrapper) -> list[tuple[str, int, str]]:
    """(wrapped, id, interim) for the rows whose value at `index` is an interim hash."""
    return [(wrap(row[index]), row[0], row[index]) for row in rows if is_interim(row[index])]


def _replace(column: str, changes: list[tuple[str, int, str]]) -> int:
    """(new, id, old) triples: set `column` to new where it still holds old."""
    if not changes:
        return 0
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {column} = %s WHERE id = %s AND {column} = %s", changes
        )
        return cursor.rowcount
