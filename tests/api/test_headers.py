"""profiles_header_N: which field each value of a line fills, the gap rule, and the errors for
unknown, repeated and absurdly numbered headers."""

import json

import pytest
from lxml import etree

from campaigns.models import Enrollment
from customers.batch import messages as m
from customers.models import Customer, UndoState
from tests.conftest import EVENTS, GIFTCARD, POINTS, batch_params


def body(response) -> dict:
    return json.loads(response.content)


def counts(response) -> dict:
    return body(response)["batch"]["customers"]


def request_error(response) -> str:
    assert response.status_code == 400
    data = body(response)
    assert data["status"] == "error"
    return data["error"]


def assert_nothing_imported() -> None:
    assert not Customer.objects.exists()
    assert not UndoState.objects.exists()


@pytest.fixture
def post_numbered(client, user, campaigns):
    """post_numbered({number: field}, data, **params): headers with explicit numbers."""

    def post(numbered: dict[int, str], data: str, **extra):
        params = batch_params((), data, output="JSON", **extra)
        params.update({f"profiles_header_{n}": name for n, name in numbered.items()})
        return client.post("/api", params)

    return post


def test_field_names_are_case_insensitive(post_batch):
    response = post_batch(
        headers=("CODE", "First_Name", "Customer_PIN", "EMAIL"),
        data="C1|Jane|1234|jane@example.com",
        output="JSON",
    )

    assert counts(response)["new"] == 1
    customer = Customer.objects.get()
    assert (customer.code, customer.first_name, customer.email) == (
        "C1",
        "Jane",
        "jane@example.com",
    )
    assert customer.customer_pin not in ("", "1234")


def test_header_k_names_the_kth_value(post_batch):
    post_batch(headers=("last_name", "first_name", "code"), data="Doe|Jane|C1")

    customer = Customer.objects.get()
    assert (customer.code, customer.first_name, customer.last_name) == ("C1", "Jane", "Doe")


def test_one_missing_number_leaves_that_column_unread(post_numbered):
    response = post_numbered({1: "code", 2: "first_name", 4: "last_name"}, "C1|Jane|Ignored|Doe")

    assert counts(response)["new"] == 1
    customer = Customer.objects.get()
    assert (customer.code, customer.first_name, customer.last_name) == ("C1", "Jane", "Doe")
    profile = Customer.objects.values().get()
    assert "Ignored" not in [value for value in profile.values() if isinstance(value, str)]


def test_unread_column_still_counts_in_the_values_of_a_line(post_numbered):
    response = post_numbered({1: "code", 2: "first_name", 4: "last_name"}, "C1|Jane|Doe")

    assert body(response)["batch"]["errors"] == [
        {"line": 1, "message": m.WRONG_VALUE_COUNT.format(got=3, expected=4)}
    ]
    assert not Customer.objects.exists()


def test_missing_first_number_leaves_the_first_column_unread(post_numbered):
    post_numbered({2: "code", 3: "first_name"}, "skipped|C1|Jane")

    customer = Customer.objects.get()
    assert (customer.code, customer.first_name) == ("C1", "Jane")


def test_empty_header_counts_as_a_missing_number(post_numbered):
    post_numbered({1: "code", 2: "", 3: "first_name"}, "C1|skipped|Jane")

    customer = Customer.objects.get()
    assert (customer.code, customer.first_name) == ("C1", "Jane")


@pytest.mark.parametrize(
    ("numbered", "first", "second"),
    [
        ({1: "code", 4: "first_name"}, 2, 3),
        ({3: "code", 4: "first_name"}, 1, 2),
        ({1: "code", 2: "first_name", 5: "last_name"}, 3, 4),
    ],
)
def test_two_missing_numbers_in_a_row_are_refused(post_numbered, numbered, first, second):
    response = post_numbered(numbered, "C1|a|b|c|d")

    assert request_error(response) == m.HEADER_GAP.format(first=first, second=second)
    assert_nothing_imported()


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("custome_date", "custom_date"),
        ("customer_pn", "customer_PIN"),
        ("firstname", "first_name"),
        ("emial", "email"),
    ],
)
def test_unknown_field_is_refused_with_the_closest_name(post_batch, name, suggestion):
    response = post_batch(headers=("code", name), data="C1|x", output="JSON")

    assert request_error(response) == m.UNKNOWN_FIELD_SUGGESTION.format(
        name="profiles_header_2", value=name, suggestion=suggestion
    )
    assert_nothing_imported()


def test_unknown_field_without_a_close_name_is_refused(post_batch):
    response = post_batch(headers=("code", "shoe_size"), data="C1|44", output="JSON")

    expected = m.UNKNOWN_FIELD.format(name="profiles_header_2", value="shoe_size")
    assert request_error(response) == expected
    assert_nothing_imported()


@pytest.mark.parametrize("second", ["email", "EMAIL"])
def test_field_named_twice_is_refused(post_batch, second):
    response = post_batch(
        headers=("code", "email", second), data="C1|a@example.com|b@example.com", output="JSON"
    )

    assert request_error(response) == m.FIELD_TWICE.format(
        name="profiles_header_3", value=second, other="profiles_header_2"
    )
    assert_nothing_imported()


def test_header_number_far_too_high_is_refused(post_numbered):
    response = post_numbered({1: "code", 99999999: "first_name"}, "C1|Jane")

    assert request_error(response) == m.HEADER_NUMBER_TOO_HIGH.format(
        name="profiles_header_99999999", limit=200
    )
    assert_nothing_imported()


EXAMPLE_DATA = """
11223344|11223344|jane|doe|1970-07-14|555-5555
22334455|22334455|jim|mcdoe|1966-07-28|555-5556
33445566|33445566|larry|smith|1980-02-05|555-5557
"""
EXAMPLE_HEADERS = ("code", "card_number", "first_name", "last_name", "custom_date", "phone")


def test_the_original_example_request_imports_three_customers(client, user, campaigns):
    params = batch_params(
        EXAMPLE_HEADERS,
        EXAMPLE_DATA,
        overwrite_duplicates="update",
        campaigns_to_include=f"{POINTS}|,|{EVENTS}|,|{GIFTCARD}",
    )

    response = client.post("/api", params)

    root = etree.fromstring(response.content)
    assert (root.get("status"), root.find("batch").get("status")) == ("success", "imported")
    assert [root.findtext(f"batch/customers/{name}") for name in ("new", "updated")] == ["3", "0"]
    customers = Customer.objects.order_by("code").values_list(
        "code", "card_number", "first_name", "last_name", "phone"
    )
    assert list(customers) == [
        ("11223344", "11223344", "jane", "doe", "555-5555"),
        ("22334455", "22334455", "jim", "mcdoe", "555-5556"),
        ("33445566", "33445566", "larry", "smith", "555-5557"),
    ]
    dates = Customer.objects.order_by("code").values_list("custom_date", flat=True)
    assert [date.isoformat() for date in dates] == ["1970-07-14", "1966-07-28", "1980-02-05"]
    assert Enrollment.objects.count() == 9


def test_the_original_example_with_its_custome_date_typo_is_refused(post_batch):
    headers = EXAMPLE_HEADERS[:4] + ("custome_date", "phone")
    response = post_batch(headers=headers, data=EXAMPLE_DATA, output="JSON")

    assert request_error(response) == m.UNKNOWN_FIELD_SUGGESTION.format(
        name="profiles_header_5", value="custome_date", suggestion="custom_date"
    )
    assert_nothing_imported()
