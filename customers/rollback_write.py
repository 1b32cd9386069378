"""Every bulk write of a rollback, in one place: deleting what an import created or added,
and putting back what it overwrote.

A fixed number of statements per chunk of undo data. Customer ids are bound as one
parameter (an array on PostgreSQL, JSON on SQLite) rather than one placeholder each, the
way customers.selectors.Among binds codes. Previous values go back with one executemany
UPDATE keyed by id on SQLite (sqlite3 runs it in C), and on PostgreSQL with COPY into a
staging table and one upsert on the primary key (psycopg's executemany is one round trip
per row).
Values are adapted with the backend's own adapters, as customers/batch/write.py does.
"""

import datetime
import json
from collections.abc import Iterable

from django.db import connection
from django.db.models import Model

from campaigns.models import Enrollment, Transaction
from customers.batch.write import Stamp, custom_fields_json
from customers.columns import RESTORED_COLUMNS
from customers.models import Customer

# A rollback puts back RESTORED_COLUMNS: all the import wrote but the version, which it
# raises instead, so later conflict checks see the rollback as a change.


def ids_among(column: str, ids: Iterable[int]) -> tuple[str, list]:
    """SQL saying `column` is one of `ids`, and its one parameter."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::bigint[])", [ids]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(ids)]


def delete_import_additions(*, undo_state_id: int) -> tuple[int, int]:
    """Delete the enrollments and auto_add credits the import added: (enrollments, credits)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {_table(Transaction)} WHERE undo_state_id = %s AND kind = %s",
            [undo_state_id, Transaction.Kind.AUTO_ADD.value],
        )
        credits = cursor.rowcount
        cursor.execute(
            f"DELETE FROM {_table(Enrollment)} WHERE undo_state_id = %s", [undo_state_id]
        )
        return cursor.rowcount, credits


def delete_customers(*, account_id: int, ids: list[int]) -> tuple[int, int, int]:
    """Delete customers, their ledger entries and enrollments first (the database's foreign
    keys do not cascade): (customers, enrollments, ledger entries)."""
    if not ids:
        return 0, 0, 0
    with connection.cursor() as cursor:
        among, params = ids_among("customer_id", ids)
        cursor.execute(f"DELETE FROM {_table(Transaction)} WHERE {among}", params)
        entries = cursor.rowcount
        cursor.execute(f"DELETE FROM {_table(Enrollment)} WHERE {among}", params)
        enrollments = cursor.rowcount
        among, params = ids_among("id", ids)
        cursor.execute(
            f"DELETE FROM {_table(Customer)} WHERE account_id = %s AND {among}",
            [account_id, *params],
        )
        return cursor.rowcount, enrollments, entries


def release_identities(*, account_id: int, ids: list[int]) -> None:
    """Clear the card number and username and park the code (a value no import can send)
    of customers about to be restored whose current identities another restored customer
    gets back: unique constraints are checked row by row, so the values must be free first."""
    if not ids:
        return
    among, params = ids_among("id", ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(Customer)} SET card_number = NULL, customer_username = NULL, "
            f"code = %s || CAST(id AS TEXT) WHERE account_id = %s AND {among}",
            ["\x01rollback ", account_id, *params],
        )


def restore_customers(
    *,
    account_id: int,
    columns: list[str],
    previous: list[tuple[int, list]],
    now: datetime.datetime,
) -> int:
    """Give each customer of `previous` ((id, its values before in `columns` order), as
    undo data holds them) every RESTORED_COLUMNS value back, raise its version and stamp
    updated_at. Returns how many rows were written."""
    if not previous:
        return 0
    positions = [columns.index(column) for column in RESTORED_COLUMNS]
    rows = [(pk, *_restored_values(before, positions)) for pk, before in previous]
    stamp = connection.ops.adapt_datetimefield_value(now)
    if connection.vendor == "postgresql":
        return _restore_by_upsert(account_id, rows, stamp)
    assignments = ", ".join(f"{column} = %s" for column in RESTORED_COLUMNS)
    sql = (
        f"UPDATE {_table(Customer)} SET {assignments}, version = version + 1, "
        f"updated_at = %s WHERE id = %s AND account_id = %s"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*values, stamp, pk, account_id) for pk, *values in rows])
        return cursor.rowcount


def _restore_by_upsert(account_id: int, rows: list[tuple], stamp: Stamp) -> int:
    """PostgreSQL: COPY into a staging table, then an upsert on the primary key. Every row
    is an existing customer, so only the update branch runs (the insert branch's account,
    version and created_at are there for the NOT NULL checks that come first). Unlike
    UPDATE ... FROM the staging table, it has no join for the planner to get wrong: with
    statistics from before the import (an import under 10,000 rows does not refresh them,
    autovacuum takes a minute) that join was a scan of the staging table for every
    customer, 1.7 s for 2,000 rows and quadratic."""
    table = _table(Customer)
    names = ", ".join(("id", *RESTORED_COLUMNS))
    staged = ", ".join(f"s.{column}" for column in ("id", *RESTORED_COLUMNS))
    assignments = ", ".join(f"{column} = excluded.{column}" for column in RESTORED_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE rollback_staging ON COMMIT DROP AS "
            f"SELECT {names} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY rollback_staging ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO {table} AS c ({names}, account_id, version, created_at, updated_at) "
            f"SELECT {staged}, %s, 1, %s, %s FROM rollback_staging AS s "
            f"ON CONFLICT (id) DO UPDATE SET {assignments}, version = c.version + 1, "
            f"updated_at = excluded.updated_at WHERE c.account_id = excluded.account_id",
            [account_id, stamp, stamp],
        )
        written = cursor.rowcount
        cursor.execute("DROP TABLE rollback_staging")
        return written


_DATE = RESTORED_COLUMNS.index("custom_date")
_JSON = RESTORED_COLUMNS.index("custom_fields")


def _restored_values(before: list, positions: list[int]) -> list:
    """An undo record's RESTORED_COLUMNS values (at `positions` in it), ready for either
    database (no lookup of the connection's thread-local attributes: this runs once per
    customer)."""
    values = [before[at] for at in positions]
    # The ISO text the undo data holds: what SQLite stores for a date, and what
    # PostgreSQL reads into one.
    values[_DATE] = values[_DATE] or None
    values[_JSON] = custom_fields_json(values[_JSON])
    return values


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)
