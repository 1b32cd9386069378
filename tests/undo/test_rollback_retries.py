"""A rollback that a concurrent writer gets in the way of (a deadlock) is run again through
the import's retry helper (customers/retry.py): the same number of attempts, the last one
keeping other customer writers out."""

import threading

import pytest
from django.db import OperationalError, connection

from customers import retry, rollback_write
from customers.models import Customer, UndoState
from customers.rollback import roll_back


def _another_connection_can_write() -> bool:
    """Whether another thread's connection writes customers without waiting (PostgreSQL)."""
    seen = {}

    def other() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '200ms'")
                cursor.execute("UPDATE customers_customer SET version = version WHERE false")
                seen["write"] = True
        except OperationalError:
            seen["write"] = False
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(10)
    return seen["write"]


@pytest.fixture
def deadlocking_rollback(monkeypatch):
    """delete_import_additions, a rollback's first write, fails as a deadlock would on the
    first `fails` attempts (every one by default); each attempt is recorded."""
    original = rollback_write.delete_import_additions
    attempts = []

    def deadlock(fails: int = retry.ATTEMPTS) -> list:
        def delete_import_additions(**arguments):
            attempts.append(
                _another_connection_can_write() if connection.vendor == "postgresql" else None
            )
            if len(attempts) <= fails:
                raise OperationalError("deadlock detected")
            return original(**arguments)

        monkeypatch.setattr(rollback_write, "delete_import_additions", delete_import_additions)
        return attempts

    return deadlock


def test_a_rollback_that_deadlocks_on_every_attempt_but_the_last_is_done(
    import_batch, user, deadlocking_rollback
):
    import_batch(data="C1|Ann", no_undo="yes")
    state = UndoState.objects.get(
        pk=import_batch(data="C1|Bob\nC2|Cat", overwrite_duplicates="update").undo_state_id
    )
    attempts = deadlocking_rollback(fails=retry.ATTEMPTS - 1)

    result = roll_back(undo_state=state, user=user)

    assert len(attempts) == retry.ATTEMPTS
    assert (result.deleted, result.restored) == (1, 1)
    assert list(Customer.objects.values_list("code", "first_name")) == [("C1", "Ann")]
    assert UndoState.objects.get(pk=state.pk).status == UndoState.Status.ROLLED_BACK


def test_a_rollback_that_deadlocks_on_every_attempt_fails_and_changes_nothing(
    import_batch, user, deadlocking_rollback, snapshot
):
    state = UndoState.objects.get(pk=import_batch(data="C1|Ann").undo_state_id)
    before = snapshot()
    attempts = deadlocking_rollback()

    with pytest.raises(OperationalError):
        roll_back(undo_state=state, user=user)

    assert len(attempts) == retry.ATTEMPTS
    assert snapshot() == before
    assert UndoState.objects.get(pk=state.pk).status == UndoState.Status.UNDOABLE


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_only_the_rollbacks_last_attempt_keeps_other_customer_writers_out(
    import_batch, user, deadlocking_rollback
):
    state = UndoState.objects.get(pk=import_batch(data="C1|Ann").undo_state_id)
    attempts = deadlocking_rollback(fails=retry.ATTEMPTS - 1)

    roll_back(undo_state=state, user=user)

    assert attempts == [True] * (retry.ATTEMPTS - 1) + [False]
    # Once it has committed, others write again.
    assert _another_connection_can_write()
