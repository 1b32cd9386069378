"""The import's bulk statements report database errors as Django's, on every backend, so
the service's retry of a conflicting import (IntegrityError) works the same everywhere."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from customers.batch import write
from customers.batch.match import BLANK_PROFILE
from tests.conftest import EVENTS, POINTS
from tests.factories import make_enrollment

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def record(code: str, card_number: str) -> dict:
    return {**BLANK_PROFILE, "code": code, "card_number": card_number, "version": 1}


def test_a_code_taken_meanwhile_fails_with_djangos_integrity_error(account):
    write.insert_customers(account_id=account.pk, records=[record("C1", "41")], now=NOW)

    with pytest.raises(IntegrityError), transaction.atomic():
        write.insert_customers(account_id=account.pk, records=[record("C1", "42")], now=NOW)


def test_new_customers_ids_come_back_by_code(account):
    from customers.models import Customer

    ids = write.insert_customers(
        account_id=account.pk, records=[record("C1", "41"), record("C2", "42")], now=NOW
    )

    assert ids == dict(Customer.objects.filter(account=account).values_list("code", "id"))


@pytest.mark.parametrize("count", [3, write.COPY_FROM_ROWS])
def test_enrollments_of_several_campaigns_keep_existing_ones(account, campaigns, count):
    """Both statement shapes (a few rows, and one array or JSON list per campaign from
    COPY_FROM_ROWS pairs up): every pair enrolled once, an existing enrollment untouched."""
    from campaigns.models import Enrollment

    records = [record(f"C{i}", f"4{i}") for i in range(count)]
    ids = list(write.insert_customers(account_id=account.pk, records=records, now=NOW).values())
    points, events = campaigns[POINTS], campaigns[EVENTS]
    earlier = NOW - datetime.timedelta(days=1)
    make_enrollment(campaign=points, customer=ids[0], created_at=earlier)

    pairs = [(campaign.pk, pk) for pk in ids for campaign in (points, events)]
    write.insert_enrollments(pairs=pairs, now=NOW, undo_state_id=None)

    enrolled = set(Enrollment.objects.values_list("campaign_id", "customer_id"))
    assert enrolled == set(pairs)
    assert Enrollment.objects.get(campaign=points, customer_id=ids[0]).created_at == earlier
    assert Enrollment.objects.filter(created_at=NOW).count() == len(pairs) - 1


@pytest.mark.parametrize("count", [1, write.COPY_FROM_ROWS])
def test_custom_fields_are_stored_as_json_objects(account, count):
    from customers.models import Customer

    records = [record(f"C{i}", f"4{i}") for i in range(count)]
    records[0]["custom_fields"] = {"custom_field_1": 'blue "navy"', "custom_field_2": "ü"}
    write.insert_customers(account_id=account.pk, records=records, now=NOW)

    stored = dict(Customer.objects.values_list("code", "custom_fields"))
    assert stored["C0"] == {"custom_field_1": 'blue "navy"', "custom_field_2": "ü"}
    assert all(value == {} for code, value in stored.items() if code != "C0")
    assert Customer.objects.filter(custom_fields__custom_field_1='blue "navy"').count() == 1


@pytest.mark.parametrize("count", [2, write.COPY_FROM_ROWS])
def test_updates_write_a_unique_column_only_some_rows_change(account, count):
    from customers.models import Customer

    records = [record(f"C{i}", f"4{i}") for i in range(count)]
    ids = write.insert_customers(account_id=account.pk, records=records, now=NOW)
    previous = {}
    for written in records:
        written["id"] = ids[written["code"]]
        previous[written["id"]] = dict(written)
        written["first_name"] = "Renamed"
    records[0]["card_number"] = "999"  # only the first row changes its card number

    write.update_customers(account_id=account.pk, records=records, previous=previous, now=NOW)

    stored = dict(Customer.objects.values_list("code", "card_number"))
    assert stored == {"C0": "999", **{f"C{i}": f"4{i}" for i in range(1, count)}}
    assert set(Customer.objects.values_list("first_name", flat=True)) == {"Renamed"}
