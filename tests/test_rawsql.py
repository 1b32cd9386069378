"""core.rawsql: rows read with plain SQL come out as the ORM gives them."""

import datetime
import threading

from django.db import connection

from campaigns.models import Campaign
from core import rawsql
from customers.models import Customer
from tests.factories import make_customer


def test_selected_instances_equal_the_orms(account, campaigns):
    orm = list(Campaign.objects.filter(account=account).order_by("id").values())

    selected = rawsql.select(Campaign, "account_id = %s ORDER BY id", [account.pk])

    assert [
        {field.attname: getattr(c, field.attname) for field in Campaign._meta.concrete_fields}
        for c in selected
    ] == orm


def test_a_converter_is_made_once_per_model_fields_and_connection(account):
    fields = Customer._meta.concrete_fields

    assert rawsql.row_converter(Customer, fields) is rawsql.row_converter(Customer, fields)
    assert rawsql.row_converter(Customer, fields[:3]) is not rawsql.row_converter(Customer, fields)


def test_another_threads_connection_gets_its_own_converter(account):
    fields = Customer._meta.concrete_fields
    here = rawsql.row_converter(Customer, fields)
    there = []

    def convert_elsewhere():
        there.append(rawsql.row_converter(Customer, fields))
        connection.close()

    thread = threading.Thread(target=convert_elsewhere)
    thread.start()
    thread.join()

    assert there and there[0] is not here


def test_converted_rows_have_python_values(account):
    customer = make_customer(
        account=account,
        code="C1",
        custom_date=datetime.date(1970, 1, 2),
        custom_fields={"custom_field_1": "blue"},
    )
    fields = Customer._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM customers_customer WHERE id = %s", [customer.pk])
        row = rawsql.row_converter(Customer, fields)(cursor.fetchone())

    values = dict(zip([field.attname for field in fields], row, strict=True))
    assert values["custom_date"] == datetime.date(1970, 1, 2)
    assert values["custom_fields"] == {"custom_field_1": "blue"}
