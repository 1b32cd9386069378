"""A line with several refused values reports each of them, one error per field in column
order, so staff fix the line once (issue 14, M2); `failed` still counts lines, the cap on
listed errors counts lines, and the later checks (a card number another customer holds)
apply only to a line whose values were all accepted."""

import json

import pytest
from lxml import etree

from customers.batch import messages as m
from customers.batch.rows import MAX_LENGTHS
from customers.models import Customer
from tests.factories import make_customer

HEADERS = ("code", "first_name", "email", "custom_date")
NAME_LIMIT = MAX_LENGTHS["first_name"]
LONG_NAME = "A" * (NAME_LIMIT + 1)
# A too-long name, a bad email and a bad date on one line.
BAD_LINE = f"C2|{LONG_NAME}|jane|2010-02-30"
ITS_ERRORS = [
    {
        "line": 2,
        "field": "first_name",
        "message": m.TOO_LONG.format(field="first_name", limit=NAME_LIMIT),
    },
    {"line": 2, "field": "email", "message": m.BAD_EMAIL.format(value="jane")},
    {"line": 2, "field": "custom_date", "message": m.BAD_DATE.format(value="2010-02-30")},
]


def batch_of(response) -> dict:
    return json.loads(response.content)["batch"]


def test_every_refused_value_of_a_line_is_an_error_of_its_own(post_batch):
    response = post_batch(HEADERS, f"C1|Ann|ann@example.com|\n{BAD_LINE}", output="JSON")

    batch = batch_of(response)
    assert response.status_code == 200
    assert batch["customers"] == {"new": 1, "updated": 0, "ignored": 0, "failed": 1}
    assert batch["errors"] == ITS_ERRORS
    assert "errors_not_listed" not in batch
    assert list(Customer.objects.values_list("code", flat=True)) == ["C1"]


def test_the_xml_answer_lists_each_error_of_the_line_as_an_error_element(post_batch):
    response = post_batch(HEADERS, f"C1|Ann||\n{BAD_LINE}")

    errors = etree.fromstring(response.content).find("batch/errors")
    assert [(e.get("line"), e.get("field"), e.text) for e in errors] == [
        (str(error["line"]), error["field"], error["message"]) for error in ITS_ERRORS
    ]


def test_a_line_with_the_wrong_number_of_values_is_one_error_without_field_errors(post_batch):
    response = post_batch(HEADERS, f"C1|{LONG_NAME}|jane", output="JSON")

    assert batch_of(response)["errors"] == [
        {"line": 1, "message": m.WRONG_VALUE_COUNT.format(got=3, expected=4)}
    ]


def test_a_held_card_number_is_reported_only_for_a_line_whose_values_are_accepted(
    post_batch, account
):
    make_customer(account=account, code="HOLDER", card_number="1001")
    headers = ("code", "card_number", "email")

    response = post_batch(headers, "C1|1001|jane\nC2|1001|c2@example.com", output="JSON")

    assert batch_of(response)["errors"] == [
        {"line": 1, "field": "email", "message": m.BAD_EMAIL.format(value="jane")},
        {
            "line": 2,
            "field": "card_number",
            "message": m.CARD_NUMBER_TAKEN.format(card_number="1001"),
        },
    ]


@pytest.fixture
def two_listed(settings):
    settings.LOYALTY = {**settings.LOYALTY, "LINE_ERRORS_LISTED": 2, "IMPORT_CHUNK_ROWS": 2}


def test_the_cap_counts_failed_lines_and_lists_each_with_all_its_errors(post_batch, two_listed):
    data = "\n".join(f"C{n}|Ann|bad{n}|x" for n in range(1, 5))

    batch = batch_of(post_batch(HEADERS, data, output="JSON"))

    assert batch["customers"]["failed"] == 4
    assert [(e["line"], e["field"]) for e in batch["errors"]] == [
        (1, "email"),
        (1, "custom_date"),
        (2, "email"),
        (2, "custom_date"),
    ]
    # The failing lines not listed, not the errors.
    assert batch["errors_not_listed"] == 2


def test_all_or_nothing_says_how_many_lines_failed_not_how_many_errors(post_batch):
    response = post_batch(HEADERS, BAD_LINE, all_or_nothing="yes", output="JSON")

    body = json.loads(response.content)
    assert response.status_code == 400
    assert body["error"] == "Nothing was imported: 1 line(s) failed and all_or_nothing is set."
    assert len(body["batch"]["errors"]) == 3
