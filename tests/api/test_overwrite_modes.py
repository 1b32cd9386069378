"""overwrite_duplicates against an existing customer: `ignore` leaves it alone, `update`
writes the header columns only, `yes` blanks every other profile field; code, card number,
balances and enrollments survive every mode; later lines of a batch win; secrets are hashed."""

import datetime
import json
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import timezone
from lxml import etree

from campaigns.models import Enrollment, Transaction
from campaigns.selectors import balances_for
from customers.batch import messages as m
from customers.models import Customer
from tests.conftest import API_KEY, EVENTS, POINTS
from tests.factories import full_profile, make_customer, make_enrollment, make_transaction

# Written by every write, whatever the headers.
BOOKKEEPING = ("version", "updated_at")


def batch(response) -> dict:
    assert response.status_code == 200
    return json.loads(response.content)["batch"]


def counts(response) -> dict:
    return batch(response)["customers"]


def row_of(customer: Customer) -> dict:
    return Customer.objects.filter(pk=customer.pk).values().get()


def without(row: dict, *names: str) -> dict:
    return {key: value for key, value in row.items() if key not in (*names, *BOOKKEEPING)}


@pytest.fixture
def post(post_batch):
    """post(headers, data, **params) -> response, in JSON."""

    def post_json(headers, data, **extra):
        return post_batch(headers=headers, data=data, output="JSON", **extra)

    return post_json


# ignore


@pytest.mark.parametrize("mode", [None, "ignore", "IGNORE"])
def test_ignore_mode_leaves_a_matched_customer_untouched_and_counts_it_ignored(post, account, mode):
    customer = make_customer(account=account, **full_profile())
    before = row_of(customer)

    response = post(("code", "first_name", "custom_date"), "C1|Ann|", overwrite_duplicates=mode)

    assert counts(response) == {"new": 0, "updated": 0, "ignored": 1, "failed": 0}
    assert row_of(customer) == before


def test_ignore_mode_reports_the_ignored_customer_in_xml(post_batch, account):
    make_customer(account=account, **full_profile())

    response = post_batch(headers=("code", "first_name"), data="C1|Ann\nC2|Bob")

    root = etree.fromstring(response.content)
    assert root.get("status") == "success"
    customers = root.find("batch/customers")
    assert [(child.tag, child.text) for child in customers] == [
        ("new", "1"),
        ("updated", "0"),
        ("ignored", "1"),
        ("failed", "0"),
    ]


# update


def test_update_mode_writes_the_header_columns(post, account):
    customer = make_customer(account=account, **full_profile())

    response = post(
        ("code", "first_name", "email", "custom_date"),
        "C1|Ann|ann@example.com|2001-02-03",
        overwrite_duplicates="update",
    )

    assert counts(response) == {"new": 0, "updated": 1, "ignored": 0, "failed": 0}
    customer.refresh_from_db()
    assert customer.first_name == "Ann"
    assert customer.email == "ann@example.com"
    assert customer.custom_date == datetime.date(2001, 2, 3)


def test_update_mode_keeps_fields_outside_the_headers(post, account):
    customer = make_customer(account=account, **full_profile())
    before = row_of(customer)

    post(("code", "first_name", "email"), "C1|Ann|ann@example.com", overwrite_duplicates="update")

    after = row_of(customer)
    assert without(after, "first_name", "email") == without(before, "first_name", "email")


def test_update_mode_clears_a_field_given_an_empty_value(post, account):
    customer = make_customer(account=account, **full_profile())
    before = row_of(customer)
    headers = ("code", "first_name", "custom_date", "customer_username", "customer_password")

    response = post(headers, "C1||||", overwrite_duplicates="update")

    assert counts(response)["updated"] == 1
    after = row_of(customer)
    assert after["first_name"] == ""
    assert after["custom_date"] is None
    assert after["customer_username"] is None
    assert after["customer_password"] == ""
    cleared = ("first_name", "custom_date", "customer_username", "customer_password")
    assert without(after, *cleared) == without(before, *cleared)


def test_update_mode_line_error_leaves_the_matched_customer_untouched(post, account):
    customer = make_customer(account=account, **full_profile())
    before = row_of(customer)

    response = post(
        ("code", "first_name", "custom_date"), "C1|Ann|31-12-2000", overwrite_duplicates="update"
    )

    assert counts(response) == {"new": 0, "updated": 0, "ignored": 0, "failed": 1}
    assert batch(response)["errors"] == [
        {
            "line": 1,
            "field": "custom_date",
            "message": m.BAD_DATE_FORMAT.format(value="31-12-2000"),
        }
    ]
    assert row_of(customer) == before


# yes


def test_yes_mode_blanks_every_profile_field_outside_the_headers(post, account):
    customer = make_customer(account=account, **full_profile())
    before = row_of(customer)

    response = post(("code", "first_name"), "C1|Ann", overwrite_duplicates="yes")

    assert counts(response) == {"new": 0, "updated": 1, "ignored": 0, "failed": 0}
    after = row_of(customer)
    assert without(after) == {
        **without(before),
        "first_name": "Ann",
        "last_name": "",
        "email": "",
        "phone": "",
        "phone_digits": "",  # the database derives it from phone (customers 0013)
        "custom_date": None,
        "street1": "",
        "street2": "",
        "city": "",
        "state": "",
        "postal_code": "",
        "country": "",
        "custom_field": "",
        "customer_username": None,
        "customer_password": "",
        "customer_pin": "",
        "custom_fields": {},
    }


def test_yes_mode_keeps_code_and_card_number(post, account):
    customer = make_customer(account=account, **full_profile())

    post(("code", "first_name"), "C1|Ann", overwrite_duplicates="yes")

    customer.refresh_from_db()
    assert (customer.code, customer.card_number) == ("C1", "1001")


@pytest.mark.parametrize("mode", ["update", "yes"])
def test_an_empty_card_number_never_clears_it(post, account, mode):
    customer = make_customer(account=account, **full_profile())

    response = post(("code", "card_number", "first_name"), "C1||Ann", overwrite_duplicates=mode)

    assert counts(response)["updated"] == 1
    customer.refresh_from_db()
    assert (customer.card_number, customer.first_name) == ("1001", "Ann")


@pytest.mark.parametrize("mode", ["update", "yes"])
def test_no_overwrite_mode_touches_balances_or_enrollments(post, account, campaigns, mode):
    customer = make_customer(account=account, **full_profile())
    now = timezone.now()
    make_enrollment(campaign=campaigns[EVENTS], customer=customer, created_at=now)
    make_enrollment(campaign=campaigns[POINTS], customer=customer, created_at=now)
    make_transaction(campaign=campaigns[POINTS], customer=customer, amount=50, created_at=now)
    enrollments = list(Enrollment.objects.values())
    transactions = list(Transaction.objects.values())

    response = post(("code", "first_name"), "C1|Ann", overwrite_duplicates=mode)

    assert counts(response)["updated"] == 1
    assert list(Enrollment.objects.values()) == enrollments
    assert list(Transaction.objects.values()) == transactions
    assert balances_for(account=account, customer_id=customer.pk) == {POINTS: Decimal("50")}


@pytest.mark.parametrize(
    ("mode", "custom_fields"),
    [
        ("update", {"custom_field_1": "red", "custom_field_2": "kept"}),
        ("yes", {"custom_field_1": "red"}),
    ],
)
def test_api_1_5_custom_fields_follow_the_overwrite_mode(post, account, mode, custom_fields):
    account.custom_field_count = 2
    account.save()
    customer = make_customer(
        account=account,
        **full_profile(custom_fields={"custom_field_1": "blue", "custom_field_2": "kept"}),
    )

    response = post(
        ("code", "custom_field_1"),
        "C1|red",
        API="1.5",
        user_api_key=API_KEY,
        user_password=None,
        overwrite_duplicates=mode,
    )

    assert counts(response)["updated"] == 1
    customer.refresh_from_db()
    assert customer.custom_fields == custom_fields


def test_api_1_5_update_mode_clears_a_custom_field_given_an_empty_value(post, account):
    account.custom_field_count = 2
    account.save()
    customer = make_customer(
        account=account,
        **full_profile(custom_fields={"custom_field_1": "blue", "custom_field_2": "kept"}),
    )

    post(
        ("code", "custom_field_1"),
        "C1|",
        API="1.5",
        user_api_key=API_KEY,
        user_password=None,
        overwrite_duplicates="update",
    )

    customer.refresh_from_db()
    assert customer.custom_fields == {"custom_field_2": "kept"}


# version


def test_version_rises_by_one_on_each_write(post, account):
    customer = make_customer(account=account, **full_profile())

    post(("code", "first_name"), "C1|Ann", overwrite_duplicates="update")
    customer.refresh_from_db()
    assert customer.version == 2

    post(("code", "first_name"), "C1|Annie", overwrite_duplicates="yes")
    customer.refresh_from_db()
    assert customer.version == 3


def test_version_does_not_rise_on_ignore(post, account):
    customer = make_customer(account=account, **full_profile())

    post(("code", "first_name"), "C1|Ann", overwrite_duplicates="ignore")

    customer.refresh_from_db()
    assert customer.version == 1


# Rows that change nothing


@pytest.mark.parametrize("mode", ["update", "yes"])
def test_a_row_that_changes_nothing_counts_updated_but_is_not_written_again(post, account, mode):
    customer = make_customer(account=account, **full_profile(first_name="Ann"))
    headers = ("code", "card_number", "first_name", "last_name", "email", "phone")
    data = "C1|1001|Ann|Doe|jane@example.com|555-0100"
    if mode == "yes":  # every other profile field blank already, as `yes` leaves it
        blank = {name: "" for name in ("street1", "street2", "city", "state", "postal_code")}
        Customer.objects.filter(pk=customer.pk).update(
            custom_date=None,
            country="",
            custom_field="",
            customer_username=None,
            customer_password="",
            customer_pin="",
            custom_fields={},
            **blank,
        )
    before = row_of(customer)

    response = post(headers, data, overwrite_duplicates=mode)

    assert counts(response) == {"new": 0, "updated": 1, "ignored": 0, "failed": 0}
    assert row_of(customer) == before  # version and updated_at too


def test_a_row_that_changes_nothing_is_still_enrolled_and_credited(post, account):
    customer = make_customer(account=account, **full_profile(first_name="Ann"))
    before = row_of(customer)

    response = post(
        ("code", "first_name", "auto_add"),
        "C1|Ann|5",
        overwrite_duplicates="update",
        campaigns_to_include=f"{POINTS}|,|{EVENTS}",
    )

    assert counts(response)["updated"] == 1
    assert row_of(customer) == before
    assert set(Enrollment.objects.values_list("campaign__campaign_id", flat=True)) == {
        POINTS,
        EVENTS,
    }
    assert balances_for(account=account, customer_id=customer.pk) == {POINTS: Decimal("5")}


def test_a_row_that_changes_nothing_then_one_that_does_write_the_customer_once(post, account):
    customer = make_customer(account=account, **full_profile(first_name="Ann"))

    post(("code", "first_name"), "C1|Ann\nC1|Annie", overwrite_duplicates="update")

    customer.refresh_from_db()
    assert (customer.first_name, customer.version) == ("Annie", 2)


def test_a_row_that_puts_back_what_an_earlier_row_changed_is_written(post, account):
    customer = make_customer(account=account, **full_profile(first_name="Ann"))

    post(("code", "first_name"), "C1|Annie\nC1|Ann", overwrite_duplicates="update")

    customer.refresh_from_db()
    assert (customer.first_name, customer.version) == ("Ann", 3)


# Two lines of one batch matching the same customer


def test_later_lines_of_a_batch_win_and_update_combines_their_fields(post, account):
    customer = make_customer(account=account, **full_profile())
    before = row_of(customer)
    data = "C1|5555|Ann\nC1||Annie"

    response = post(("code", "card_number", "first_name"), data, overwrite_duplicates="update")

    assert counts(response) == {"new": 0, "updated": 2, "ignored": 0, "failed": 0}
    after = row_of(customer)
    assert (after["card_number"], after["first_name"]) == ("5555", "Annie")
    changed = ("card_number", "first_name")
    assert without(after, *changed) == without(before, *changed)
    assert after["version"] == 3


def test_a_line_creating_a_customer_and_a_later_line_writing_it_count_new_and_updated(post):
    data = "C9|5555|Ann\nC9||Annie"

    response = post(("code", "card_number", "first_name"), data, overwrite_duplicates="update")

    assert counts(response) == {"new": 1, "updated": 1, "ignored": 0, "failed": 0}
    customer = Customer.objects.get()
    assert (customer.code, customer.card_number, customer.first_name) == ("C9", "5555", "Annie")


def test_ignore_mode_ignores_a_later_line_matching_a_customer_an_earlier_line_created(post):
    response = post(("code", "first_name"), "C9|Ann\nC9|Annie")

    assert counts(response) == {"new": 1, "updated": 0, "ignored": 1, "failed": 0}
    assert Customer.objects.get().first_name == "Ann"


def test_a_later_line_matches_by_card_number_a_customer_an_earlier_line_created(post):
    data = "|5555|Ann\n|5555|Annie"

    response = post(("code", "card_number", "first_name"), data, overwrite_duplicates="update")

    assert counts(response) == {"new": 1, "updated": 1, "ignored": 0, "failed": 0}
    customer = Customer.objects.get()
    assert (customer.card_number, customer.first_name) == ("5555", "Annie")
    [entry] = batch(response)["generated"]
    assert (entry["line"], entry["code"]) == (1, customer.code)


def test_yes_mode_later_line_blanks_what_an_earlier_line_wrote(post, account):
    make_customer(account=account, **full_profile())
    data = "C1|Ann|\nC1||Smith"

    response = post(("code", "first_name", "last_name"), data, overwrite_duplicates="yes")

    assert counts(response)["updated"] == 2
    customer = Customer.objects.get()
    assert (customer.first_name, customer.last_name, customer.email) == ("", "Smith", "")


# Secrets


def test_customer_password_and_pin_are_stored_hashed(post):
    headers = ("code", "customer_password", "customer_PIN")

    response = post(headers, "C1|s3cret-pass|4321")

    assert counts(response)["new"] == 1
    customer = Customer.objects.get()
    assert customer.customer_password != "s3cret-pass"
    assert customer.customer_pin != "4321"
    assert "s3cret-pass" not in customer.customer_password
    assert check_password("s3cret-pass", customer.customer_password)
    assert check_password("4321", customer.customer_pin)
    assert not check_password("4322", customer.customer_pin)


def test_update_mode_replaces_the_stored_hashes(post, account):
    customer = make_customer(account=account, **full_profile())

    post(
        ("code", "customer_password", "customer_PIN"),
        "C1|new-pass|9999",
        overwrite_duplicates="update",
    )

    customer.refresh_from_db()
    assert check_password("new-pass", customer.customer_password)
    assert not check_password("old-password", customer.customer_password)
    assert check_password("9999", customer.customer_pin)
