"""The import's bulk statements report database errors as Django's, on every backend, so
the service's retry of a conflicting import (IntegrityError) works the same everywhere."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from customers.batch import write
from customers.batch.match import BLANK_PROFILE

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def state(code: str, card_number: str) -> dict:
    return {**BLANK_PROFILE, "code": code, "card_number": card_number, "version": 1}


def test_a_code_taken_meanwhile_fails_with_djangos_integrity_error(account):
    write.insert_customers(account_id=account.pk, states=[state("C1", "41")], now=NOW)

    with pytest.raises(IntegrityError), transaction.atomic():
        write.insert_customers(account_id=account.pk, states=[state("C1", "42")], now=NOW)


def test_new_customers_ids_come_back_by_code(account):
    from customers.models import Customer

    ids = write.insert_customers(
        account_id=account.pk, states=[state("C1", "41"), state("C2", "42")], now=NOW
    )

    assert ids == dict(Customer.objects.filter(account=account).values_list("code", "id"))
