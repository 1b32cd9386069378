"""An import that a concurrent writer gets in the way of is run again; its last attempt
keeps other customer writers out, so heavy contention cannot make it fail every time."""

import io
import json
import threading

import pytest
from django.db import IntegrityError, OperationalError, connection

from customers import retry
from customers.batch import write
from customers.batch.stream import import_customers_in_chunks, stream_request
from customers.models import Customer, UndoState
from tests.conftest import POINTS


@pytest.fixture
def conflicting_inserts(monkeypatch):
    """insert_customers fails as a code taken concurrently would, on every attempt but the
    last; each call is recorded with what another connection could do at that moment."""
    original = write.insert_customers
    calls = []

    def insert_customers(**arguments):
        calls.append(_what_another_connection_can_do())
        if len(calls) % retry.ATTEMPTS:
            raise IntegrityError('duplicate key value violates "customer_unique_code"')
        return original(**arguments)

    monkeypatch.setattr(write, "insert_customers", insert_customers)
    return calls


def _what_another_connection_can_do() -> dict:
    """Read customers, and write them without waiting, from another thread's connection."""
    seen = {}

    def other() -> None:
        try:
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SET lock_timeout = '200ms'")
                cursor.execute("SELECT count(*) FROM customers_customer")
                seen["read"] = True
                if connection.vendor == "postgresql":
                    cursor.execute("UPDATE customers_customer SET version = version WHERE false")
                    seen["write"] = True
        except OperationalError:
            seen.setdefault("write", False)
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(10)
    return seen


@pytest.mark.django_db(transaction=True)
def test_an_import_that_conflicts_on_every_attempt_but_the_last_is_written(
    post_batch, conflicting_inserts
):
    response = post_batch(("code", "first_name"), "C1|Ann\nC2|Bob", output="JSON")

    assert response.status_code == 200
    assert json.loads(response.content)["batch"]["customers"]["new"] == 2
    assert len(conflicting_inserts) == retry.ATTEMPTS
    assert sorted(Customer.objects.values_list("code", flat=True)) == ["C1", "C2"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_only_the_last_attempt_keeps_other_customer_writers_out(post_batch, conflicting_inserts):
    response = post_batch(("code", "first_name"), "C1|Ann", output="JSON")

    assert response.status_code == 200
    earlier, last = conflicting_inserts[:-1], conflicting_inserts[-1]
    assert earlier == [{"read": True, "write": True}] * (retry.ATTEMPTS - 1)
    assert last == {"read": True, "write": False}
    # Once it has committed, others write again.
    assert _what_another_connection_can_do() == {"read": True, "write": True}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_streamed_chunk_keeps_other_writers_out_on_its_last_attempt(
    account, campaigns, conflicting_inserts
):
    form = {"delimiter": "comma", "campaigns_to_include": POINTS, "profiles_header_1": "code"}
    result = import_customers_in_chunks(
        account=account,
        user=None,
        request=stream_request(form, account=account),
        lines=io.StringIO("C1\nC2\n"),
        source=UndoState.Source.COMMAND,
    )

    assert result.new == 2
    assert [call["write"] for call in conflicting_inserts] == [True] * (retry.ATTEMPTS - 1) + [
        False
    ]
