"""Every bulk write of the import, in one place: the hot path is this file.

Plain executemany statements, a fixed number per chunk. Django's bulk_update builds
CASE/WHEN in Python (about 1,100 rows/s here); an upsert keyed on the account's unique
code writes the same rows at driver speed. Values are adapted once per column kind with
the backend's own adapters, so the same SQL runs on SQLite and PostgreSQL.
"""

import datetime
from collections.abc import Iterable

from django.db import connection

from campaigns.credits import Credit
from campaigns.models import Enrollment, Transaction
from customers.models import Customer
from customers.selectors import among

# Written columns, in statement order; the last two are set by the writer.
PROFILE_COLUMNS = (
    "code",
    "card_number",
    "first_name",
    "last_name",
    "email",
    "phone",
    "custom_date",
    "street1",
    "street2",
    "city",
    "state",
    "postal_code",
    "country",
    "custom_field",
    "customer_username",
    "customer_password",
    "customer_pin",
    "custom_fields",
    "version",
)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _customer_params(account_id: int, states: Iterable[dict], now: datetime.datetime):
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    for state in states:
        row = [state[column] for column in PROFILE_COLUMNS]
        row[6] = ops.adapt_datefield_value(row[6])
        row[17] = ops.adapt_json_value(row[17], None)
        yield (account_id, *row, stamp, stamp)


def _insert_sql(conflict: str) -> str:
    columns = ("account_id", *PROFILE_COLUMNS, "created_at", "updated_at")
    placeholders = ", ".join(["%s"] * len(columns))
    return (
        f"INSERT INTO {_table(Customer)} ({', '.join(columns)}) VALUES ({placeholders}){conflict}"
    )


def insert_customers(*, account_id: int, states: list[dict], now: datetime.datetime) -> None:
    """New customers. A plain INSERT: a code drawn concurrently elsewhere fails loudly
    (and the import is retried) instead of overwriting someone else's customer."""
    if states:
        with connection.cursor() as cursor:
            cursor.executemany(_insert_sql(""), list(_customer_params(account_id, states, now)))


def update_customers(*, account_id: int, states: list[dict], now: datetime.datetime) -> None:
    """Existing (locked) customers, every profile column, as an upsert on (account, code)."""
    if not states:
        return
    assignments = ", ".join(
        f"{column} = excluded.{column}" for column in (*PROFILE_COLUMNS[1:], "updated_at")
    )
    sql = _insert_sql(f" ON CONFLICT (account_id, code) DO UPDATE SET {assignments}")
    # created_at is only used for the (impossible) insert branch; the row keeps its own.
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(_customer_params(account_id, states, now)))


def customer_ids(*, account_id: int, codes: list[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = Customer.objects.filter(account_id=account_id, code__in=among(codes)).values_list(
        "code", "id"
    )
    return dict(rows)


def insert_enrollments(
    *, pairs: list[tuple[int, int]], now: datetime.datetime, undo_state_id: int | None
) -> None:
    """(campaign id, customer id) pairs; an existing enrollment is kept as it is."""
    if not pairs:
        return
    stamp = connection.ops.adapt_datetimefield_value(now)
    sql = (
        f"INSERT INTO {_table(Enrollment)} (campaign_id, customer_id, created_at, undo_state_id)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (campaign_id, customer_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(c, p, stamp, undo_state_id) for c, p in pairs])


def insert_credits(
    *,
    campaign_id: int,
    credits: list[tuple[int, Credit]],
    now: datetime.datetime,
    undo_state_id: int | None,
) -> None:
    """auto_add ledger entries: (customer id, credit) in line order."""
    if not credits:
        return
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    sql = (
        f"INSERT INTO {_table(Transaction)} (campaign_id, customer_id, kind, amount, item_id,"
        " created_at, undo_state_id) VALUES (%s, %s, %s, %s, %s, %s, %s)"
    )
    params = [
        (
            campaign_id,
            customer_id,
            Transaction.Kind.AUTO_ADD.value,
            ops.adapt_decimalfield_value(credit.amount, 14, 2),
            credit.item_id,
            stamp,
            undo_state_id,
        )
        for customer_id, credit in credits
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
