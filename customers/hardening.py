"""Raising the interim hashes of customer passwords and PINs to full strength, without the
plaintext (see customers/hashers.py and docs/decisions.md)."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Q

from accounts.models import Account

from .hashers import InterimSHA256Hasher, wrap_interim_hash
from .models import Customer

INTERIM_PREFIX = f"{InterimSHA256Hasher.algorithm}$"
# PBKDF2 at full strength takes about half a second per secret: a batch is hashed outside
# any transaction, then written in a short one.
BATCH_SIZE = 100


@dataclass(frozen=True)
class HardenedBatch:
    passwords: int
    pins: int


def harden_customer_secrets(
    *, account: Account, batch_size: int = BATCH_SIZE
) -> Iterator[HardenedBatch]:
    """Wrap every interim password and PIN hash of the account's customers in PBKDF2, a
    batch at a time; yields what each batch hardened. A secret changed meanwhile (by an
    import, say) is left to that writer: the update only replaces the value it read.

    The customer's version is not raised: the secret is the same, so a rollback of the
    import that set it must not see a conflict."""
    interim = Q(customer_password__startswith=INTERIM_PREFIX) | Q(
        customer_pin__startswith=INTERIM_PREFIX
    )
    customers = Customer.objects.filter(interim, account=account).order_by("id")
    secrets = customers.values_list("id", "customer_password", "customer_pin")
    last_id = 0
    while rows := list(secrets.filter(id__gt=last_id)[:batch_size]):
        last_id = rows[-1][0]
        passwords, pins = _wrapped(rows, 1), _wrapped(rows, 2)
        with transaction.atomic():
            hardened = HardenedBatch(
                passwords=_replace("customer_password", passwords),
                pins=_replace("customer_pin", pins),
            )
        yield hardened


def _wrapped(rows: list[tuple], index: int) -> list[tuple[str, int, str]]:
    """(wrapped, id, interim) for the rows whose value at `index` is an interim hash."""
    return [
        (wrap_interim_hash(row[index]), row[0], row[index])
        for row in rows
        if row[index].startswith(INTERIM_PREFIX)
    ]


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
