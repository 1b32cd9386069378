"""Running a transaction that writes customers again when a concurrent writer got in its way.

Imports write optimistically: two requests creating the same code at once both try, one
fails on the unique index (or a deadlock aborts one) and runs again, and then sees the
other's customers. A rollback and an import of the same customers can deadlock the same
way. Under heavy contention a writer could lose that race every time, so its last attempt
runs alone: it waits for every transaction writing customers to end and keeps new ones
out until it commits. The import (customers/batch/pipeline.py, the whole request or each
chunk of a stream) and the rollback (customers/rollback.py) both run through here.
"""

import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, OperationalError, connection

from customers.models import Customer

ATTEMPTS = 3

T = TypeVar("T")


def with_retries(attempt: Callable[[bool], T], *, conflict: str, logger: logging.Logger) -> T:
    """`attempt(alone)` until it does not conflict, ATTEMPTS times at most; `alone` is true
    for the last one, which must call shut_out_customer_writers first in its transaction.
    `conflict` is logged to `logger` (as a warning) at each retry."""
    for number in range(1, ATTEMPTS + 1):
        alone = number == ATTEMPTS
        try:
            return attempt(alone)
        except (IntegrityError, OperationalError):
            if alone:
                raise
            logger.warning(conflict)
    raise AssertionError("unreachable")


def shut_out_customer_writers() -> None:
    """Wait for the transactions that write or lock customers to end and keep new ones out
    until this transaction ends; plain reads (the admin's lists, other imports' matching)
    go on. Only PostgreSQL needs it: SQLite's IMMEDIATE transactions write one at a time.

    EXCLUSIVE, not SHARE ROW EXCLUSIVE: a rollback locks its customers FOR UPDATE before
    it writes them, and would deadlock with us if it got that far while we held the table.
    Taken first in the transaction, so we hold nothing another writer could be waiting for.
    It stops every account's customer writes while it lasts, which is why only the last
    attempt takes it."""
    if connection.vendor != "postgresql":
        return
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
