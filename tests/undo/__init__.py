"""Helpers of the undo tests that are not fixtures."""

from campaigns.models import Enrollment, Transaction
from customers.models import Customer, UndoState


def clean_up() -> None:
    """Empty every table an import writes: a Hypothesis example runs imports, which open
    durable transactions, so it cannot run inside a savepoint of its own and cleans up."""
    Transaction.objects.all().delete()
    Enrollment.objects.all().delete()
    UndoState.objects.all().delete()
    Customer.objects.all().delete()
