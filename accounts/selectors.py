"""Reads of accounts that other apps use."""

import re
from collections.abc import Sequence
from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection
from django.db.models import Model

from core.rawsql import column as column_of
from core.rawsql import concrete_field, row_converter

from .models import OWNER_ID_PATTERN, Account, ApiKey, Membership

OWNER_ID = re.compile(OWNER_ID_PATTERN)


def identifier_column(identifier: str) -> str:
    """The column an `account_id` names an account by: 16 digits are an owner id, anything
    else a slug (a slug is never 16 digits), so an identifier has one candidate at most."""
    return "owner_id" if OWNER_ID.fullmatch(identifier) else "slug"


def account_by_identifier(identifier: str) -> Account | None:
    """The account named by its slug or its 16-digit owner id, or None."""
    if not identifier:
        return None
    return Account.objects.filter(**{identifier_column(identifier): identifier}).first()


# A scalar subquery read in the same statement, and its parameters (see api_key_holder).
Scalar = tuple[str, list]
# The values of the `also` subqueries, in their order.
Values = tuple[object, ...]


def api_key_holder(
    *, key_hash: str, identifier: str, also: Sequence[Scalar]
) -> tuple[AbstractBaseUser | None, Membership | None, Values]:
    """The user holding the unrevoked API key with this hash, their membership of the
    account `identifier` names (account loaded), or None for either, and the values of the
    scalar subqueries `also` (whether or not there is such a user).

    One plain SQL statement: API 1.5 requests ask it every time, and three ORM queries
    (key and user, account, membership) took longer than the import of a 3-row batch;
    `also` lets the caller's own per-request read (the throttle's) ride along."""
    quote = connection.ops.quote_name
    key_user = quote(ApiKey._meta.get_field("user").column)
    return _user_and_membership(
        f"FROM {quote(ApiKey._meta.db_table)} k "
        f"JOIN {_user_table()} u ON u.{_user_pk()} = k.{key_user}",
        "k.key_hash = %s AND k.revoked_at IS NULL",
        key_hash,
        identifier,
        also,
    )


def user_named(
    *, username: str, identifier: str, also: Sequence[Scalar]
) -> tuple[AbstractBaseUser | None, Membership | None, Values]:
    """The user with this username, their membership of the account `identifier` names
    (account loaded), or None for either, and the values of `also`; one statement, as
    api_key_holder."""
    user_model = get_user_model()
    column = column_of(concrete_field(user_model, user_model.USERNAME_FIELD))
    quote = connection.ops.quote_name
    return _user_and_membership(
        f"FROM {_user_table()} u", f"u.{quote(column)} = %s", username, identifier, also
    )


def _user_table() -> str:
    return connection.ops.quote_name(get_user_model()._meta.db_table)


def _user_pk() -> str:
    """The user table's primary key column (AUTH_USER_MODEL may name it otherwise)."""
    return connection.ops.quote_name(column_of(get_user_model()._meta.pk))


def _user_and_membership(
    source: str, condition: str, value: str, identifier: str, also: Sequence[Scalar]
) -> tuple[AbstractBaseUser | None, Membership | None, Values]:
    tables: list[type[Model]] = [get_user_model(), Membership, Account]
    columns = [[column_of(field) for field in model._meta.concrete_fields] for model in tables]
    quote = connection.ops.quote_name
    # Numbered names: the three tables' columns repeat (id), and a derived table's may not.
    qualified = [
        f"{alias}.{quote(column)}"
        for alias, names in zip("uma", columns, strict=True)
        for column in names
    ]
    selected = ", ".join(f"{name} AS c{number}" for number, name in enumerate(qualified))
    found = (
        f"SELECT {selected} {source} "
        f"LEFT JOIN {quote(Membership._meta.db_table)} m ON m.user_id = u.{_user_pk()} "
        "AND m.account_id = "
        f"(SELECT id FROM {quote(Account._meta.db_table)} "
        f"WHERE {quote(identifier_column(identifier))} = %s) "
        f"LEFT JOIN {quote(Account._meta.db_table)} a ON a.id = m.account_id "
        f"WHERE {condition}"
    )
    also_sql = "".join(f"{sql}, " for sql, _ in also)
    also_params = [param for _, params in also for param in params]
    # One row whether or not the user is found, so `also` is always read.
    sql = f"SELECT {also_sql}found.* FROM (SELECT 1) one LEFT JOIN ({found}) found ON 1 = 1"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*also_params, identifier, value])
        fetched = cursor.fetchone()
    also_values, row = tuple(fetched[: len(also)]), fetched[len(also) :]
    if row[0] is None:
        return None, None, also_values
    instances = []
    start = 0
    for model, names in zip(tables, columns, strict=True):
        values = row[start : start + len(names)]
        start += len(names)
        instances.append(_from_row(model, values))
    user = cast(AbstractBaseUser | None, instances[0])
    membership = cast(Membership | None, instances[1])
    if membership is not None:
        membership.account = cast(Account, instances[2])
    return user, membership, also_values


def _from_row(model: type[Model], values: tuple) -> Model | None:
    """An instance of `model` from its concrete columns, or None for the missing side of
    an outer join."""
    if values[0] is None:
        return None
    fields = model._meta.concrete_fields
    converted = row_converter(model, fields)(values)
    return model.from_db(connection.alias, [field.attname for field in fields], converted)
