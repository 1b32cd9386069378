"""A rollback and an import of the same customers at the same time serialize: the result is
that of one order or the other, never a mix."""

import threading

import pytest
from django.db import connection

from campaigns.models import Enrollment, Transaction
from customers.models import Customer, UndoState
from customers.rollback import roll_back

EXISTING = "\n".join(f"C{n}|Base{n}|" for n in range(20))
FIRST = "\n".join([*(f"C{n}|First{n}|1" for n in range(20)), *(f"N{n}|New{n}|2" for n in range(5))])
SECOND = "\n".join(
    [*(f"C{n}|Second{n}|3" for n in range(0, 20, 2)), *(f"N{n}|Newer{n}|4" for n in range(5))]
)
HEADERS = ("code", "first_name", "auto_add")


def prepare(import_batch) -> UndoState:
    """A clean slate, customers C0..C19, and the import (the one rolled back) that writes
    them and creates N0..N4."""
    Transaction.objects.all().delete()
    Enrollment.objects.all().delete()
    UndoState.objects.all().delete()
    Customer.objects.all().delete()
    import_batch(HEADERS, EXISTING, no_undo="yes")
    result = import_batch(HEADERS, FIRST, overwrite_duplicates="update")
    return UndoState.objects.get(pk=result.undo_state_id)


def outcome(first: UndoState) -> dict:
    """The tables by customer code, undo states named by role (ids differ between runs)."""
    role = {first.pk: "first", None: None}

    def named(undo_state_id):
        return role.get(undo_state_id, "second")

    return {
        "customers": sorted(Customer.objects.values_list("code", "first_name", "version")),
        "enrollments": sorted(
            (code, campaign, named(state))
            for code, campaign, state in Enrollment.objects.values_list(
                "customer__code", "campaign__campaign_id", "undo_state_id"
            )
        ),
        "transactions": sorted(
            (code, str(amount), named(state))
            for code, amount, state in Transaction.objects.values_list(
                "customer__code", "amount", "undo_state_id"
            )
        ),
    }


def in_thread(work, barrier: threading.Barrier, errors: list) -> threading.Thread:
    def run():
        try:
            barrier.wait()
            work()
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    return threading.Thread(target=run)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_rollback_and_import_end_as_one_serial_order(import_batch, user):
    def rollback(state):
        return lambda: roll_back(undo_state=state, user=user, overwrite_conflicts=True)

    def second_import():
        import_batch(HEADERS, SECOND, overwrite_duplicates="update")

    serial = []
    for order in ("rollback first", "import first"):
        first = prepare(import_batch)
        steps = [rollback(first), second_import]
        for step in steps if order == "rollback first" else reversed(steps):
            step()
        serial.append(outcome(first))
    assert serial[0] != serial[1]

    for _ in range(5):
        first = prepare(import_batch)
        barrier, errors = threading.Barrier(2), []
        threads = [
            in_thread(rollback(first), barrier, errors),
            in_thread(second_import, barrier, errors),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert errors == []
        assert outcome(first) in serial
