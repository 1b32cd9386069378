"""The bulk writes (customers/batch/write.py), called directly: what each stores, read back
through the ORM. Each test runs with a few rows (SQLite and PostgreSQL multi-row INSERT) and
with enough for the other statement shapes (SQLite: more than one 500-row statement;
PostgreSQL: COPY into a staging table). tests/api/test_bulk_writes.py pins the errors, the
custom_fields JSON and the enrollment statements' shapes."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.credits import Credit
from campaigns.models import Enrollment, Transaction
from customers.batch import write
from customers.batch.types import CustomerRecord
from customers.columns import BLANK_PROFILE, IMPORT_COLUMNS
from customers.models import Customer
from tests.conftest import BUYX, EVENTS, GIFTCARD, POINTS
from tests.factories import make_customer, make_enrollment, make_undo_state

NOW = datetime.datetime(2026, 1, 1, 12, 30, tzinfo=datetime.UTC)
EARLIER = NOW - datetime.timedelta(days=3)
# A few rows, and more than one statement's worth (two statements on SQLite, COPY on
# PostgreSQL).
SIZES = [2, write.ROWS_PER_STATEMENT + 1]


def record(code: str, **values) -> CustomerRecord:
    return {**BLANK_PROFILE, "code": code, "card_number": None, "version": 1, **values}


def full_record(code: str, **values) -> CustomerRecord:
    """Every column set, the kinds the adapters convert (date, JSON) included."""
    return record(
        code,
        card_number=f"9{code}",
        first_name="Ann",
        last_name="Lee",
        email="ann@example.com",
        phone="555-0100",
        custom_date=datetime.date(1970, 7, 14),
        street1="1 Main St",
        street2="Apt 2",
        city="Springfield",
        state="IL",
        postal_code="62701",
        country="US",
        custom_field="gold",
        customer_username=f"user-{code}",
        customer_password="interim_sha256$salt$hash",
        customer_pin="interim_sha256$salt$pin",
        custom_fields={"custom_field_1": "blue"},
        **values,
    )


def stored(**filters) -> dict[str, dict]:
    """Import columns (and the stamps) of the matching customers, by code, as the ORM
    reads them."""
    rows = Customer.objects.filter(**filters).values(
        *IMPORT_COLUMNS, "account_id", "created_at", "updated_at"
    )
    return {row["code"]: row for row in rows}


# insert_customers


@pytest.mark.parametrize("count", SIZES)
def test_insert_customers_returns_the_id_of_every_new_customer_by_code(account, count):
    records = [record(f"C{i}") for i in range(count)]

    ids = write.insert_customers(account_id=account.pk, records=records, now=NOW)

    assert ids == dict(Customer.objects.values_list("code", "id"))
    assert len(ids) == count


def test_insert_customers_with_no_records_writes_nothing(account):
    assert write.insert_customers(account_id=account.pk, records=[], now=NOW) == {}
    assert not Customer.objects.exists()


@pytest.mark.parametrize("count", SIZES)
def test_new_customers_are_stored_as_the_orm_reads_them(account, count):
    records = [full_record(f"C{i}") for i in range(count)]

    ids = write.insert_customers(account_id=account.pk, records=records, now=NOW)

    rows = stored(account=account)
    assert rows == {
        r["code"]: {
            **r,
            "id": ids[r["code"]],
            "account_id": account.pk,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for r in records
    }


@pytest.mark.parametrize("count", SIZES)
def test_missing_card_numbers_and_usernames_are_stored_as_null_never_blank(account, count):
    records = [record(f"C{i}") for i in range(count)]

    write.insert_customers(account_id=account.pk, records=records, now=NOW)

    assert Customer.objects.filter(card_number__isnull=True).count() == count
    assert Customer.objects.filter(customer_username__isnull=True).count() == count
    assert Customer.objects.filter(custom_date__isnull=True).count() == count


# update_customers


def written(customers: list[Customer], **changes) -> tuple[list[CustomerRecord], dict]:
    """Records of `customers` as read for the import, with `changes` applied and the version
    raised as match.py does, and their previous values by id."""
    before = {row["id"]: row for row in Customer.objects.values(*IMPORT_COLUMNS)}
    records = [
        {**before[c.pk], **changes, "version": before[c.pk]["version"] + 1} for c in customers
    ]
    return records, {c.pk: before[c.pk] for c in customers}


@pytest.mark.parametrize("count", SIZES)
def test_update_customers_writes_every_column_of_the_records_and_stamps_updated_at(account, count):
    now = timezone.now()
    Customer.objects.bulk_create(
        Customer(account=account, **full_record(f"C{i}"), created_at=EARLIER, updated_at=EARLIER)
        for i in range(count)
    )
    customers = list(Customer.objects.order_by("id"))
    changes = {
        "first_name": "Renamed",
        "email": "",
        "custom_date": None,
        "customer_username": None,  # a unique column cleared: NULL
        "customer_pin": "",
        "custom_fields": {"custom_field_2": "tall"},
    }
    records, previous = written(customers, **changes)

    write.update_customers(account_id=account.pk, records=records, previous=previous, now=now)

    assert stored() == {
        r["code"]: {**r, "account_id": account.pk, "created_at": EARLIER, "updated_at": now}
        for r in records
    }
    assert {r["version"] for r in records} == {2}


def test_update_customers_leaves_customers_outside_the_records_untouched(account):
    first = make_customer(account=account, code="C1", first_name="Ann", created_at=EARLIER)
    other = make_customer(account=account, code="C2", first_name="Bob", created_at=EARLIER)
    untouched = stored(pk=other.pk)
    records, previous = written([first], first_name="Annie")

    write.update_customers(account_id=account.pk, records=records, previous=previous, now=NOW)

    assert stored(pk=other.pk) == untouched
    assert Customer.objects.get(pk=first.pk).first_name == "Annie"


def test_update_customers_keeps_the_customers_id(account):
    customer = make_customer(account=account, code="C1", created_at=EARLIER)
    records, previous = written([customer], last_name="Lee")

    write.update_customers(account_id=account.pk, records=records, previous=previous, now=NOW)

    assert list(Customer.objects.values_list("id", "code", "last_name")) == [
        (customer.pk, "C1", "Lee")
    ]


def test_update_customers_stores_the_records_version_it_does_not_raise_it_again(account):
    customer = make_customer(account=account, code="C1", version=4, created_at=EARLIER)
    records, previous = written([customer], first_name="Ann")

    write.update_customers(account_id=account.pk, records=records, previous=previous, now=NOW)

    customer.refresh_from_db()
    assert (customer.version, customer.updated_at, customer.created_at) == (5, NOW, EARLIER)


# insert_enrollments


@pytest.mark.parametrize("count", [3, write.COPY_FROM_ROWS])
def test_new_enrollments_carry_the_undo_state_and_existing_ones_keep_theirs(
    account, campaigns, count
):
    """A rollback removes the enrollments of its undo state: one that an earlier import (or
    none) made must keep pointing there."""
    earlier_import = make_undo_state(account=account, created_at=EARLIER)
    this_import = make_undo_state(account=account)
    ids = list(
        write.insert_customers(
            account_id=account.pk, records=[record(f"C{i}") for i in range(count)], now=NOW
        ).values()
    )
    points, events = campaigns[POINTS], campaigns[EVENTS]
    make_enrollment(campaign=points, customer=ids[0], created_at=EARLIER, undo_state=earlier_import)
    make_enrollment(campaign=events, customer=ids[1], created_at=EARLIER)
    pairs = [(campaign.pk, pk) for pk in ids for campaign in (points, events)]

    write.insert_enrollments(pairs=pairs, now=NOW, undo_state_id=this_import.pk)

    enrolled = {
        (campaign, customer): undo
        for campaign, customer, undo in Enrollment.objects.values_list(
            "campaign_id", "customer_id", "undo_state_id"
        )
    }
    assert enrolled == {
        **{pair: this_import.pk for pair in pairs},
        (points.pk, ids[0]): earlier_import.pk,
        (events.pk, ids[1]): None,
    }


@pytest.mark.parametrize("count", [3, write.COPY_FROM_ROWS])
def test_enrollments_without_an_undo_state_store_null(account, campaigns, count):
    ids = write.insert_customers(
        account_id=account.pk, records=[record(f"C{i}") for i in range(count)], now=NOW
    ).values()

    write.insert_enrollments(
        pairs=[(campaigns[POINTS].pk, pk) for pk in ids], now=NOW, undo_state_id=None
    )

    assert Enrollment.objects.filter(undo_state__isnull=True, created_at=NOW).count() == count


def test_insert_enrollments_with_no_pairs_writes_nothing(account, campaigns):
    write.insert_enrollments(pairs=[], now=NOW, undo_state_id=None)

    assert not Enrollment.objects.exists()


# insert_credits


@pytest.mark.parametrize("count", SIZES)
def test_credits_are_auto_add_ledger_entries_in_line_order_with_the_undo_state(
    account, campaigns, count
):
    undo_state = make_undo_state(account=account)
    ids = list(
        write.insert_customers(
            account_id=account.pk, records=[record(f"C{i}") for i in range(count)], now=NOW
        ).values()
    )
    # The first customer is credited twice (two lines): two entries.
    amounts = [Decimal("2.50"), *(Decimal(i) for i in range(1, count + 1))]
    credits = [(pk, Credit(amount)) for pk, amount in zip([ids[0], *ids], amounts, strict=True)]
    giftcard = campaigns[GIFTCARD]

    write.insert_credits(
        campaign_id=giftcard.pk, credits=credits, now=NOW, undo_state_id=undo_state.pk
    )

    entries = Transaction.objects.order_by("id").values_list(
        "campaign_id", "customer_id", "kind", "amount", "item_id", "created_at", "undo_state_id"
    )
    assert list(entries) == [
        (giftcard.pk, pk, Transaction.Kind.AUTO_ADD, credit.amount, None, NOW, undo_state.pk)
        for pk, credit in credits
    ]


def test_a_buyx_credit_stores_its_item(account, campaigns):
    buyx = campaigns[BUYX]
    latte = buyx.items.get(name="Latte")
    customer = make_customer(account=account)

    write.insert_credits(
        campaign_id=buyx.pk,
        credits=[(customer.pk, Credit(Decimal(1), latte.pk))],
        now=NOW,
        undo_state_id=None,
    )

    entry = Transaction.objects.get()
    assert (entry.item, entry.amount, entry.undo_state_id) == (latte, Decimal("1.00"), None)


def test_insert_credits_with_no_credits_writes_nothing(account, campaigns):
    write.insert_credits(campaign_id=campaigns[POINTS].pk, credits=[], now=NOW, undo_state_id=None)

    assert not Transaction.objects.exists()
