"""Reads of customers. Every one takes the account: nothing reads customers unscoped."""

import json

from django.db import connection
from django.db.models import CharField, Lookup

from accounts.models import Account

from .models import Customer

# Every column an import reads, writes and records for undo (all but account and times).
IMPORT_COLUMNS = (
    "id",
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


def customers_for_import(
    *, account: Account, codes: set[str], card_numbers: set[str], usernames: set[str]
) -> list[dict]:
    """The account's customers holding any of the codes, card numbers or usernames, as
    dicts of IMPORT_COLUMNS; on PostgreSQL locked for the transaction in id order."""
    found: dict[int, dict] = {}
    wanted = {"code": codes, "card_number": card_numbers, "customer_username": usernames}
    for field, values in wanted.items():
        # Usually the customers found by code already hold the card numbers: skip those.
        values = values - {row[field] for row in found.values()}
        if not values:
            continue
        # order_by: the model's default ordering would join the account table and walk
        # every customer of the account instead of using the (account, field) index.
        queryset = Customer.objects.filter(account=account, **{f"{field}__among": values})
        queryset = queryset.order_by("id")
        if connection.features.has_select_for_update:
            queryset = queryset.select_for_update()
        for row in queryset.values(*IMPORT_COLUMNS):
            found.setdefault(row["id"], row)
    return list(found.values())


def existing_values(*, account: Account, field: str, values: set[str]) -> set[str]:
    """Those of `values` that some customer of the account already has in `field`."""
    if not values:
        return set()
    return set(
        Customer.objects.filter(account=account, **{f"{field}__among": values})
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

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::text[])", [*lhs_params, values]
        return f"{lhs} IN (SELECT value FROM json_each(%s))", [*lhs_params, json.dumps(values)]
