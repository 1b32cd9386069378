"""Helpers of the command line tests: a snapshot of an account's customers (running
import_customers on a file written for the test is tests/conftest.py's import_file)."""

from customers.models import Customer

# Every customer column but those any write changes on purpose.
SNAPSHOT_COLUMNS = tuple(
    f.attname for f in Customer._meta.concrete_fields if f.attname not in ("version", "updated_at")
)


def snapshot(account) -> list[tuple]:
    """The account's customers, every column but version and updated_at, in code order."""
    return list(
        Customer.objects.filter(account=account).order_by("code").values_list(*SNAPSHOT_COLUMNS)
    )
