"""Reads of accounts that other apps use."""

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Model, Q, QuerySet, Subquery

from loyalty.rawsql import RowConverter

from .models import Account, ApiKey, Membership


def account_by_identifier(identifier: str) -> Account | None:
    """The account named by its slug or its 16-digit owner id, or None."""
    if not identifier:
        return None
    return _named(identifier).first()


def membership_in(*, user, identifier: str) -> Membership | None:
    """The user's membership of the account account_by_identifier names, account loaded,
    or None: one query, since every authenticated API request asks it."""
    if not identifier:
        return None
    account_id = Subquery(_named(identifier).values("id")[:1])
    return (
        Membership.objects.select_related("account")
        .filter(user=user, account_id=account_id)
        .first()
    )


def _named(identifier: str) -> QuerySet[Account]:
    return Account.objects.filter(Q(slug=identifier) | Q(owner_id=identifier))


def api_key_holder(*, key_hash: str, identifier: str) -> tuple[Model | None, Membership | None]:
    """The user holding the unrevoked API key with this hash, and their membership of the
    account `identifier` names (account loaded), or None for either.

    One plain SQL statement: API 1.5 requests ask it every time, and three ORM queries
    (key and user, account, membership) took longer than the import of a 3-row batch."""
    user_model = get_user_model()
    tables = [user_model, Membership, Account]
    columns = [[field.column for field in model._meta.concrete_fields] for model in tables]
    quote = connection.ops.quote_name
    selected = ", ".join(
        f"{alias}.{quote(column)}"
        for alias, names in zip("uma", columns, strict=True)
        for column in names
    )
    sql = (
        f"SELECT {selected} FROM {quote(ApiKey._meta.db_table)} k "
        f"JOIN {quote(user_model._meta.db_table)} u ON u.id = k.user_id "
        f"LEFT JOIN {quote(Membership._meta.db_table)} m ON m.user_id = u.id AND m.account_id = "
        f"(SELECT id FROM {quote(Account._meta.db_table)} "
        "WHERE slug = %s OR owner_id = %s ORDER BY slug LIMIT 1) "
        f"LEFT JOIN {quote(Account._meta.db_table)} a ON a.id = m.account_id "
        "WHERE k.key_hash = %s AND k.revoked_at IS NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [identifier, identifier, key_hash])
        row = cursor.fetchone()
    if row is None:
        return None, None
    instances = []
    start = 0
    for model, names in zip(tables, columns, strict=True):
        values = row[start : start + len(names)]
        start += len(names)
        instances.append(_from_row(model, values))
    user, membership, account = instances
    if membership is not None:
        membership.account = account
    return user, membership


def _from_row(model: type[Model], values: tuple) -> Model | None:
    """An instance of `model` from its concrete columns, or None for the missing side of
    an outer join."""
    if values[0] is None:
        return None
    fields = model._meta.concrete_fields
    converted = RowConverter(model, fields)(values)
    return model.from_db(connection.alias, [field.attname for field in fields], converted)
