"""Helpers of the undo tests: running an import through the service, and a snapshot of
every table a rollback touches."""

import pytest

from campaigns.models import Enrollment, Transaction
from customers.batch.params import parse_batch_request
from customers.batch.service import import_customers
from customers.models import Customer, UndoState
from tests.conftest import batch_params

# Every customer column but those a rollback changes on purpose: it raises the version and
# stamps updated_at, so later conflict checks see it as a change.
SNAPSHOT_COLUMNS = tuple(
    f.attname for f in Customer._meta.concrete_fields if f.attname not in ("version", "updated_at")
)


@pytest.fixture
def import_batch(account, user, campaigns):
    """import_batch(headers, data, custom_field_count=0, **params) -> ImportResult."""

    def run(headers=("code", "first_name"), data="", *, custom_field_count=0, **extra):
        params = {key.lower(): value for key, value in batch_params(headers, data, **extra).items()}
        request = parse_batch_request(params, custom_field_count=custom_field_count)
        return import_customers(
            account=account, user=user, request=request, source=UndoState.Source.API
        )

    return run


@pytest.fixture
def snapshot(db):
    """snapshot() -> customers (all columns but version and updated_at), enrollments and
    ledger entries, as rows in id order."""

    def take() -> dict:
        return {
            "customers": list(Customer.objects.order_by("id").values_list(*SNAPSHOT_COLUMNS)),
            "enrollments": list(Enrollment.objects.order_by("id").values_list()),
            "transactions": list(Transaction.objects.order_by("id").values_list()),
        }

    return take
