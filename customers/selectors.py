"""Reads of customers. Every one takes the account: nothing reads customers unscoped."""

import datetime
import json
import string
from collections.abc import Iterable, Sequence
from typing import Any, Literal, cast

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import CharField, F, Func, Lookup, Value
from django.db.models.functions import Length
from django.db.models.sql.compiler import SQLCompiler

from accounts.models import Account

from .batch.types import CustomerRecord
from .columns import CONCRETE_FIELDS, IMPORT_COLUMNS
from .models import Customer

# Up to this many codes, card numbers and usernames in all, a chunk's customers are read
# with one query; more are read per field, each by its own index.
ONE_QUERY_VALUES = 100
# The fields an import finds customers by.
Identity = Literal["code", "card_number", "customer_username"]


def customers_for_import(
    *, account: Account, codes: set[str], card_numbers: set[str], usernames: set[str]
) -> list[CustomerRecord]:
    """The account's customers holding any of the codes, card numbers or usernames, as
    records of IMPORT_COLUMNS; on PostgreSQL locked for the transaction in id order."""
    given: dict[Identity, set[str]] = {
        "code": codes,
        "card_number": card_numbers,
        "customer_username": usernames,
    }
    wanted = {field: values for field, values in given.items() if values}
    if sum(len(values) for values in wanted.values()) <= ONE_QUERY_VALUES:
        # A point-of-sale request: one query (an OR of index lookups) instead of three.
        return _locked_rows(account, wanted) if wanted else []
    found: dict[int, CustomerRecord] = {}
    for field, values in wanted.items():
        # Usually the customers found by code already hold the card numbers: skip those.
        values = values - {row[field] for row in found.values()}
        if values:
            for row in _locked_rows(account, {field: values}):
                found.setdefault(row["id"], row)
    return list(found.values())


def _locked_rows(account: Account, wanted: dict[Identity, set[str]]) -> list[CustomerRecord]:
    """IMPORT_COLUMNS of the account's customers with any of the `wanted` values, in id
    order. Plain SQL, converted as the ORM's values() would: every import asks it, and the
    ORM takes a millisecond to build the statement."""
    # A concrete field always has a column: django-stubs types Field.column for every kind.
    columns = cast(list[str], [CONCRETE_FIELDS[name].column for name in IMPORT_COLUMNS])
    quote = connection.ops.quote_name
    vendor = connection.vendor
    either = " OR ".join(_among(quote(field), vendor) for field in wanted)
    sql = (
        f"SELECT {', '.join(quote(column) for column in columns)} "
        f"FROM {quote(Customer._meta.db_table)} WHERE account_id = %s AND ({either}) ORDER BY id"
    )
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        params = [_among_param(values, vendor) for values in wanted.values()]
        cursor.execute(sql, [account.pk, *params])
        return [_import_row(row) for row in cursor.fetchall()]


_DATE = IMPORT_COLUMNS.index("custom_date")
_JSON = IMPORT_COLUMNS.index("custom_fields")


def _import_row(row: tuple) -> CustomerRecord:
    """A row of IMPORT_COLUMNS with the values the ORM would give: only custom_date (text
    on SQLite) and custom_fields (JSON text) need converting. Written out rather than
    through the fields' converters, which took a third of a 100,000-row update's reading:
    custom_fields is nearly always "{}", and date.fromisoformat is many times faster than
    Django's parse_date for the ISO dates stored."""
    values = list(row)
    date = values[_DATE]
    if isinstance(date, str):
        values[_DATE] = datetime.date.fromisoformat(date)
    custom = values[_JSON]
    if isinstance(custom, str):
        values[_JSON] = {} if custom == "{}" else json.loads(custom)
    # The row's columns are IMPORT_COLUMNS, which a test keeps equal to CustomerRecord's
    # keys: a fact about the table that mypy cannot see in a zip.
    return cast(CustomerRecord, dict(zip(IMPORT_COLUMNS, values, strict=True)))


def existing_values(*, account: Account, field: str, values: set[str]) -> set[str]:
    """Those of `values` that some customer of the account already has in `field`."""
    if not values:
        return set()
    return set(
        Customer.objects.filter(account=account, **{f"{field}__among": values})
        .order_by()
        .values_list(field, flat=True)
    )


def codes_ignoring_capitals(
    *, account: Account, codes: set[str], excluding: int | None = None
) -> set[str]:
    """The codes of the account's customers (but customer `excluding`) that are one of
    `codes` but for capitals of A to Z (each of `codes` itself among them if a customer
    has it): one query, whatever the number of codes (docs/decisions.md)."""
    if not codes:
        return set()
    found = Customer.objects.filter(account=account).annotate(folded=AsciiLower(F("code")))
    if excluding is not None:
        found = found.exclude(pk=excluding)
    wanted = {capitals_folded(code) for code in codes}
    return set(found.filter(folded__among=wanted).order_by().values_list("code", flat=True))


def capitals_folded(code: str) -> str:
    """`code` with its capitals of A to Z made small letters, and no other letter."""
    return code.translate(_ASCII_SMALL)


_ASCII_SMALL = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


class AsciiLower(Func):
    """A text with its capitals of A to Z made small letters, as capitals_folded does, on
    both databases: SQLite's lower() folds only those, PostgreSQL's LOWER every letter its
    LC_CTYPE knows, so there it is TRANSLATE."""

    function = "LOWER"
    output_field = CharField()

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Sequence[object]]:
        translated = Func(
            *self.get_source_expressions(),
            Value(string.ascii_uppercase),
            Value(string.ascii_lowercase),
            function="TRANSLATE",
            output_field=CharField(),
        )
        return translated.as_sql(compiler, connection, **extra_context)


def values_of_length(*, account: Account, field: str, length: int) -> list[str]:
    """Every value of `field` of the account's customers that is `length` characters long."""
    return list(
        Customer.objects.filter(account=account)
        .annotate(value_length=Length(field))
        .filter(value_length=length)
        .order_by()
        .values_list(field, flat=True)
    )


@CharField.register_lookup
class Among(Lookup):
    """`field__among=values`: the values bound as one array parameter. Django compiles a
    5,000-item IN list one placeholder at a time (a second per 100,000 rows here), and
    PostgreSQL only uses the index for `= ANY(array)`, not for IN over unnest()."""

    lookup_name = "among"
    prepare_rhs = False

    # Django binds any value its driver adapts (here a list, as one array); the stubs'
    # Lookup.as_sql allows only str and int parameters.
    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[object]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        vendor = connection.vendor
        return _among(lhs, vendor), [*lhs_params, _among_param(self.rhs, vendor)]


def _among(column: str, vendor: str) -> str:
    """SQL: `column` is one of the values bound as the one parameter _among_param makes."""
    if vendor == "postgresql":
        return f"{column} = ANY(%s::text[])"
    return f"{column} IN (SELECT value FROM json_each(%s))"


def _among_param(values: Iterable[str], vendor: str) -> list[str] | str:
    listed = list(values)
    return listed if vendor == "postgresql" else json.dumps(listed)
