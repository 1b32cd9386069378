"""Every bulk write of the import, in one place: the hot path is this file.

Multi-row INSERT statements, a fixed number per chunk. Django's bulk_update builds
CASE/WHEN in Python (about 1,100 rows/s here) and psycopg's executemany sends one
statement per row (about 2,500 rows/s); an upsert keyed on the account's unique code, with
500 rows per statement, writes at driver speed. Values are adapted once per column kind
with the backend's own adapters, so the same SQL runs on SQLite and PostgreSQL.
"""

import datetime
import json
from collections.abc import Iterable, Iterator
from itertools import chain
from operator import itemgetter
from typing import Literal

from django.db import connection
from django.db.models import Model

from campaigns.credits import Credit
from campaigns.models import Enrollment, Transaction
from customers.columns import PROFILE_COLUMNS
from customers.models import Customer

from .types import CustomerRecord

# Written customer columns, in statement order.
CUSTOMER_COLUMNS = ("account_id", *PROFILE_COLUMNS, "created_at", "updated_at")
_profile_values = itemgetter(*PROFILE_COLUMNS)
# Columns with a unique index besides the code: an update rarely changes them, and SQLite
# rewrites an index entry for every row whose indexed column is assigned, changed or not.
UNIQUE_PROFILE_COLUMNS: tuple[Literal["card_number", "customer_username"], ...] = (
    "card_number",
    "customer_username",
)
DATE_INDEX = PROFILE_COLUMNS.index("custom_date")
JSON_INDEX = PROFILE_COLUMNS.index("custom_fields")
# 500 rows of 22 columns stay under SQLite's 32,766 bound parameters.
ROWS_PER_STATEMENT = 500
# Below this, PostgreSQL takes a plain INSERT: a staging table costs more than it saves
# for the few rows of a point-of-sale request.
COPY_FROM_ROWS = 200
# A time as the backend's adapter gives it: text on SQLite, the datetime on PostgreSQL.
Stamp = str | datetime.datetime | None


def insert_customers(
    *, account_id: int, records: list[CustomerRecord], now: datetime.datetime
) -> dict[str, int]:
    """New customers; returns their ids by code (RETURNING, so no query to find them).
    A plain INSERT: a code drawn concurrently elsewhere fails loudly (and the import is
    retried) instead of overwriting someone else's customer."""
    rows = list(_customer_rows(account_id, records, now))
    return dict(_insert(Customer, CUSTOMER_COLUMNS, rows, returning="code, id"))


def update_customers(
    *,
    account_id: int,
    records: list[CustomerRecord],
    previous: dict[int, CustomerRecord],
    now: datetime.datetime,
) -> None:
    """Existing (locked) customers, as an upsert on (account, code): every profile column
    but a unique one no record changes from its `previous` values (by customer id).
    created_at is only there for the insert branch, which cannot happen for a locked row."""
    kept = {
        column
        for column in UNIQUE_PROFILE_COLUMNS
        if all(record[column] == previous[record["id"]][column] for record in records)
    }
    assignments = ", ".join(
        f"{column} = excluded.{column}"
        for column in (*PROFILE_COLUMNS[1:], "updated_at")
        if column not in kept
    )
    _insert(
        Customer,
        CUSTOMER_COLUMNS,
        list(_customer_rows(account_id, records, now)),
        f" ON CONFLICT (account_id, code) DO UPDATE SET {assignments}",
    )


def insert_enrollments(
    *, pairs: list[tuple[int, int]], now: datetime.datetime, undo_state_id: int | None
) -> None:
    """(campaign id, customer id) pairs; an existing enrollment is kept as it is."""
    stamp = connection.ops.adapt_datetimefield_value(now)
    if len(pairs) >= COPY_FROM_ROWS:
        _insert_enrollments_per_campaign(pairs, stamp, undo_state_id)
        return
    _insert(
        Enrollment,
        ("campaign_id", "customer_id", "created_at", "undo_state_id"),
        [(campaign, customer, stamp, undo_state_id) for campaign, customer in pairs],
        " ON CONFLICT (campaign_id, customer_id) DO NOTHING",
    )


def _insert_enrollments_per_campaign(
    pairs: list[tuple[int, int]], stamp: Stamp, undo_state_id: int | None
) -> None:
    """One statement per campaign, the customer ids bound as one array (PostgreSQL) or one
    JSON list (SQLite): only the customer varies from row to row, so neither a staging
    table nor COPY (which formats every row in Python) nor a placeholder per value is
    needed (SQLite: half the time of multi-row VALUES for 100,000 enrollments)."""
    customers_by_campaign: dict[int, list[int]] = {}
    for campaign, customer in pairs:
        customers_by_campaign.setdefault(campaign, []).append(customer)
    table = connection.ops.quote_name(Enrollment._meta.db_table)
    head = f"INSERT INTO {table} (campaign_id, customer_id, created_at, undo_state_id) "
    conflict = " ON CONFLICT (campaign_id, customer_id) DO NOTHING"
    sqlite = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        # SQLite: the driver's own cursor, as _values_insert's (its errors translated too).
        target = connection.connection.cursor() if sqlite else cursor
        for campaign, customers in customers_by_campaign.items():
            if sqlite:
                # "WHERE true": SQLite's upsert after a SELECT needs a WHERE to parse.
                sql = "SELECT ?, value, ?, ? FROM json_each(?) WHERE true"
                params: list[Stamp | int | list[int]] = [
                    campaign,
                    stamp,
                    undo_state_id,
                    json.dumps(customers),
                ]
            else:
                sql = "SELECT %s, unnest(%s::bigint[]), %s, %s"
                params = [campaign, customers, stamp, undo_state_id]
            with connection.wrap_database_errors:
                target.execute(head + sql + conflict, params)


def insert_credits(
    *,
    campaign_id: int,
    credits: list[tuple[int, Credit]],
    now: datetime.datetime,
    undo_state_id: int | None,
) -> None:
    """auto_add ledger entries: (customer id, credit) in line order."""
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    kind = Transaction.Kind.AUTO_ADD.value
    rows = [
        (
            campaign_id,
            customer_id,
            kind,
            ops.adapt_decimalfield_value(credit.amount, 14, 2),
            credit.item_id,
            stamp,
            undo_state_id,
        )
        for customer_id, credit in credits
    ]
    columns = (
        "campaign_id",
        "customer_id",
        "kind",
        "amount",
        "item_id",
        "created_at",
        "undo_state_id",
    )
    _insert(Transaction, columns, rows)


NO_CUSTOM_FIELDS = "{}"


def custom_fields_json(custom: dict) -> str:
    """The custom_fields column's value as JSON text, which both backends take for it
    (PostgreSQL's own adapter wraps every value in an object that encodes it as it is
    sent, an extra step per row of a COPY)."""
    return json.dumps(custom) if custom else NO_CUSTOM_FIELDS


def _customer_rows(
    account_id: int, records: Iterable[CustomerRecord], now: datetime.datetime
) -> Iterator[tuple]:
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    for record in records:
        row = list(_profile_values(record))
        row[DATE_INDEX] = ops.adapt_datefield_value(row[DATE_INDEX])
        row[JSON_INDEX] = custom_fields_json(row[JSON_INDEX])
        yield (account_id, *row, stamp, stamp)


def _insert(
    model: type[Model],
    columns: tuple[str, ...],
    rows: list[tuple],
    tail: str = "",
    returning: str = "",
) -> list[tuple]:
    """INSERT rows into the model's table; `tail` is an ON CONFLICT clause; the rows of
    `returning` columns come back (SQLite 3.35+ and PostgreSQL)."""
    if not rows:
        return []
    table = connection.ops.quote_name(model._meta.db_table)
    if returning:
        tail = f"{tail} RETURNING {returning}"
    if connection.vendor == "postgresql" and len(rows) >= COPY_FROM_ROWS:
        return _copy_insert(table, columns, rows, tail, bool(returning))
    return _values_insert(table, columns, rows, tail, bool(returning))


def _values_insert(
    table: str, columns: tuple[str, ...], rows: list[tuple], tail: str, returns: bool
) -> list[tuple]:
    sqlite = connection.vendor == "sqlite"
    head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
    placeholder = "(" + ", ".join(["?" if sqlite else "%s"] * len(columns)) + ")"
    returned: list[tuple] = []
    with connection.cursor() as cursor:
        # SQLite: Django rewrites each %s into ? with a regular expression over the whole
        # statement, a third of the write time for 11,000 placeholders; the driver's own
        # cursor, in the same connection and transaction, takes ? as it is.
        # Its errors are translated into Django's, as the wrapper's are.
        target = connection.connection.cursor() if sqlite else cursor
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            batch = rows[start : start + ROWS_PER_STATEMENT]
            sql = head + ", ".join([placeholder] * len(batch)) + tail
            with connection.wrap_database_errors:
                target.execute(sql, list(chain.from_iterable(batch)))
                if returns:
                    returned.extend(target.fetchall())
    return returned


def _copy_insert(
    table: str, columns: tuple[str, ...], rows: list[tuple], tail: str, returns: bool
) -> list[tuple]:
    """PostgreSQL: COPY into a staging table shaped like `table`, then one INSERT ... SELECT.
    psycopg parses a 10,000-placeholder statement in Python (7,000 rows/s); COPY skips it."""
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE import_staging ON COMMIT DROP AS "
            f"SELECT {names} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(f"COPY import_staging ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM import_staging{tail}")
        returned = cursor.fetchall() if returns else []
        cursor.execute("DROP TABLE import_staging")
    return returned
