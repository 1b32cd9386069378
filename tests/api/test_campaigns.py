"""Campaigns and auto_add: enrollments, credits in the first listed campaign's unit, and the
options around them (request_id, validate_only, all_or_nothing, undo states)."""

import json
from decimal import Decimal

import pytest
from lxml import etree

from api.serializers import REJECTED_SUMMARY
from campaigns.credits import MONEY, NOT_AN_ITEM, WHOLE_NUMBER
from campaigns.models import BuyxItem, Enrollment, Transaction
from campaigns.selectors import balances_for
from customers.batch import messages as m
from customers.models import Customer, ImportRequest, UndoState
from tests.conftest import API_KEY, BUYX, EARNED, EVENTS, GIFTCARD, PASSWORD, POINTS
from tests.factories import make_campaign, make_customer, make_membership, make_transaction


def body(response) -> dict:
    return json.loads(response.content)


def batch(response) -> dict:
    assert response.status_code == 200
    return body(response)["batch"]


def counts(response) -> dict:
    return batch(response)["customers"]


def enrolled() -> set[tuple[str, str]]:
    """(campaign id, customer code) of every enrollment."""
    rows = Enrollment.objects.values_list("campaign__campaign_id", "customer__code")
    return set(rows)


def credits() -> list[tuple[str, str, str, Decimal]]:
    """(campaign id, customer code, kind, amount) of every ledger entry, in order."""
    rows = Transaction.objects.order_by("id").values_list(
        "campaign__campaign_id", "customer__code", "kind", "amount"
    )
    return list(rows)


def balances(account, code: str) -> dict[str, Decimal]:
    customer = Customer.objects.get(account=account, code=code)
    return balances_for(account=account, customer_id=customer.pk)


def customers_and_ledger() -> dict:
    """What a failing line must not change (an import of only failing lines is still
    recorded as an undo state)."""
    return {
        "customers": list(Customer.objects.order_by("id").values()),
        "enrollments": list(Enrollment.objects.order_by("id").values()),
        "transactions": list(Transaction.objects.order_by("id").values()),
    }


def database() -> dict:
    return {
        **customers_and_ledger(),
        "undo_states": list(UndoState.objects.order_by("id").values()),
    }


def campaign_list(*campaign_ids: str) -> str:
    return "|,|".join(campaign_ids)


@pytest.fixture
def post(post_batch):
    """post(headers, data, **params) -> response, in JSON."""

    def post_json(headers, data, **extra):
        return post_batch(headers=headers, data=data, output="JSON", **extra)

    return post_json


# Enrollments


def test_created_and_written_customers_are_enrolled_in_each_listed_campaign(post, account):
    make_customer(account=account, code="C1", first_name="Jane")

    response = post(
        ("code", "first_name"),
        "C1|Ann\nC2|Bob",
        overwrite_duplicates="update",
        campaigns_to_include=campaign_list(POINTS, EVENTS),
    )

    assert counts(response) == {"new": 1, "updated": 1, "ignored": 0, "failed": 0}
    assert enrolled() == {(POINTS, "C1"), (EVENTS, "C1"), (POINTS, "C2"), (EVENTS, "C2")}


def test_a_re_import_does_not_duplicate_enrollments(post):
    listed = campaign_list(POINTS, EVENTS)
    post(("code", "first_name"), "C1|Ann", campaigns_to_include=listed)
    first = list(Enrollment.objects.order_by("id").values())

    response = post(
        ("code", "first_name"), "C1|Annie", overwrite_duplicates="yes", campaigns_to_include=listed
    )

    assert counts(response)["updated"] == 1
    assert list(Enrollment.objects.order_by("id").values()) == first


def test_a_customer_enrolled_twice_in_one_batch_is_enrolled_once(post):
    response = post(("code", "first_name"), "C1|Ann\nC1|Annie", overwrite_duplicates="update")

    assert counts(response) == {"new": 1, "updated": 1, "ignored": 0, "failed": 0}
    assert Enrollment.objects.count() == 1


def test_ignored_and_failed_lines_are_not_enrolled(post, account):
    make_customer(account=account, code="C1", first_name="Jane")

    response = post(("code", "custom_date"), "C1|\nC2|2010-13-01\nC3|2010-12-01")

    assert counts(response) == {"new": 1, "updated": 0, "ignored": 1, "failed": 1}
    assert enrolled() == {(POINTS, "C3")}


# auto_add


def test_auto_add_credits_the_first_listed_campaign_only(post, account):
    response = post(
        ("code", "auto_add"), "C1|5", campaigns_to_include=campaign_list(EVENTS, POINTS)
    )

    assert counts(response)["new"] == 1
    assert credits() == [(EVENTS, "C1", Transaction.Kind.AUTO_ADD, Decimal("5"))]
    assert balances(account, "C1") == {EVENTS: Decimal("5")}
    assert enrolled() == {(EVENTS, "C1"), (POINTS, "C1")}


def test_auto_add_credits_created_and_written_lines(post, account):
    make_customer(account=account, code="C1", first_name="Jane")

    response = post(("code", "auto_add"), "C1|5\nC2|7", overwrite_duplicates="update")

    assert counts(response) == {"new": 1, "updated": 1, "ignored": 0, "failed": 0}
    assert credits() == [
        (POINTS, "C1", "auto_add", Decimal("5")),
        (POINTS, "C2", "auto_add", Decimal("7")),
    ]


def test_auto_add_does_not_credit_ignored_or_failed_lines(post, account):
    make_customer(account=account, code="C1", first_name="Jane")

    response = post(("code", "custom_date", "auto_add"), "C1||5\nC2|2010-13-01|5\nC3||5")

    assert counts(response) == {"new": 1, "updated": 0, "ignored": 1, "failed": 1}
    assert credits() == [(POINTS, "C3", "auto_add", Decimal("5"))]


def test_an_empty_auto_add_credits_nothing(post):
    response = post(("code", "auto_add"), "C1|")

    assert counts(response)["new"] == 1
    assert credits() == []


@pytest.mark.parametrize(
    ("campaign_id", "value"),
    [(POINTS, "0"), (EVENTS, "00"), (GIFTCARD, "0.00"), (EARNED, "0.0")],
)
def test_auto_add_of_0_imports_the_customer_and_credits_nothing(post, account, campaign_id, value):
    make_customer(account=account, code="C1", first_name="Jane")

    response = post(
        ("code", "first_name", "auto_add"),
        f"C1|Janet|{value}\nC2|Jim|{value}",
        overwrite_duplicates="update",
        campaigns_to_include=campaign_id,
    )

    assert counts(response) == {"new": 1, "updated": 1, "ignored": 0, "failed": 0}
    assert batch(response)["errors"] == []
    assert credits() == []


@pytest.mark.parametrize(
    ("campaign_id", "value", "balance"),
    [
        (POINTS, "25", Decimal("25")),
        (EVENTS, "3", Decimal("3")),
        (GIFTCARD, "10.25", Decimal("10.25")),
        (EARNED, "10.5", Decimal("10.50")),
        (EARNED, "7", Decimal("7")),
    ],
)
def test_auto_add_in_the_campaigns_unit_is_credited(post, account, campaign_id, value, balance):
    response = post(("code", "auto_add"), f"C1|{value}", campaigns_to_include=campaign_id)

    assert counts(response)["new"] == 1
    assert balances(account, "C1") == {campaign_id: balance}


@pytest.mark.parametrize(
    ("campaign_id", "value", "reason"),
    [
        (POINTS, "2.5", WHOLE_NUMBER),
        (EVENTS, "2.5", WHOLE_NUMBER),
        (POINTS, "-3", WHOLE_NUMBER),
        (POINTS, "1000000001", WHOLE_NUMBER),
        (GIFTCARD, "10.255", MONEY),
        (EARNED, "10.255", MONEY),
        (GIFTCARD, "ten", MONEY),
    ],
)
def test_auto_add_that_does_not_fit_the_campaigns_unit_is_a_line_error(
    post, campaign_id, value, reason
):
    response = post(("code", "auto_add"), f"C1|{value}", campaigns_to_include=campaign_id)

    assert counts(response) == {"new": 0, "updated": 0, "ignored": 0, "failed": 1}
    message = m.BAD_CREDIT.format(value=value, campaign=campaign_id, reason=reason)
    assert batch(response)["errors"] == [{"line": 1, "field": "auto_add", "message": message}]
    assert customers_and_ledger() == {"customers": [], "enrollments": [], "transactions": []}


@pytest.mark.parametrize("by", ["name", "lowercase name", "id"])
def test_buyx_auto_add_names_an_item_and_adds_one_purchase_of_it(post, account, campaigns, by):
    latte = BuyxItem.objects.get(campaign=campaigns[BUYX], name="Latte")
    value = {"name": "Latte", "lowercase name": "latte", "id": str(latte.pk)}[by]

    response = post(("code", "auto_add"), f"C1|{value}", campaigns_to_include=BUYX)

    assert counts(response)["new"] == 1
    entry = Transaction.objects.get()
    assert (entry.kind, entry.amount, entry.item_id) == ("auto_add", Decimal("1"), latte.pk)
    assert balances(account, "C1") == {BUYX: Decimal("1")}


def test_buyx_auto_add_naming_an_unknown_item_is_a_line_error_listing_the_items(post):
    response = post(("code", "auto_add"), "C1|Tea", campaigns_to_include=BUYX)

    reason = NOT_AN_ITEM.format(items="Latte, Muffin")
    message = m.BAD_CREDIT.format(value="Tea", campaign=BUYX, reason=reason)
    assert batch(response)["errors"] == [{"line": 1, "field": "auto_add", "message": message}]
    assert Customer.objects.count() == 0
    assert Transaction.objects.count() == 0


def test_two_lines_crediting_the_same_customer_both_credit(post, account):
    response = post(("code", "auto_add"), "C1|5\nC1|7", overwrite_duplicates="update")

    assert counts(response) == {"new": 1, "updated": 1, "ignored": 0, "failed": 0}
    assert Transaction.objects.count() == 2
    assert balances(account, "C1") == {POINTS: Decimal("12")}


def test_a_later_ignored_line_does_not_credit(post, account):
    response = post(("code", "auto_add"), "C1|5\nC1|7")

    assert counts(response) == {"new": 1, "updated": 0, "ignored": 1, "failed": 0}
    assert balances(account, "C1") == {POINTS: Decimal("5")}


def test_a_credit_on_a_failing_line_writes_nothing(post, account):
    make_customer(account=account, code="C1", first_name="Jane")
    before = customers_and_ledger()

    response = post(
        ("code", "email", "auto_add"),
        "C1|not-an-email|5\nC2|not-an-email|5",
        overwrite_duplicates="update",
    )

    assert counts(response) == {"new": 0, "updated": 0, "ignored": 0, "failed": 2}
    assert customers_and_ledger() == before


def test_auto_add_leaves_earlier_ledger_entries_in_the_balance(post, account, campaigns):
    customer = make_customer(account=account, code="C1", first_name="Jane")
    make_transaction(campaign=campaigns[POINTS], customer=customer, amount=100)

    post(("code", "auto_add"), "C1|5", overwrite_duplicates="update")

    assert balances(account, "C1") == {POINTS: Decimal("105")}


# request_id


def test_the_same_request_id_twice_credits_once_and_answers_the_first_response(post, account):
    first = post(("code", "auto_add"), "C1|5\n|7", request_id="retry-1")
    after_first = database()

    second = post(("code", "auto_add"), "C1|5\n|7", request_id="retry-1")

    assert second.status_code == 200
    assert body(second) == body(first)
    assert batch(second)["undo_state"] == UndoState.objects.get().pk
    assert database() == after_first
    assert balances(account, "C1") == {POINTS: Decimal("5")}


def test_a_request_id_seen_before_changes_nothing_even_with_other_data(post):
    first = post(("code", "auto_add"), "C1|5", request_id="retry-1")
    after_first = database()

    second = post(("code", "auto_add"), "C2|9", request_id="retry-1")

    assert body(second) == body(first)
    assert database() == after_first


def test_a_retry_is_answered_in_the_format_it_asks_for(post, post_batch):
    first = post_batch(headers=("code", "auto_add"), data="C1|5", request_id="retry-1")

    second = post(("code", "auto_add"), "C1|5", request_id="retry-1")

    root = etree.fromstring(first.content)
    assert batch(second)["customers"] == {"new": 1, "updated": 0, "ignored": 0, "failed": 0}
    assert str(batch(second)["undo_state"]) == root.findtext("batch/undo_state")
    assert Transaction.objects.count() == 1


def test_a_rejected_batch_does_not_use_up_its_request_id(post, account):
    post(("code", "auto_add"), "C1|5\nC2|x", request_id="retry-1", all_or_nothing="yes")

    response = post(("code", "auto_add"), "C1|5\nC2|7", request_id="retry-1", all_or_nothing="yes")

    assert batch(response)["customers"]["new"] == 2
    assert balances(account, "C2") == {POINTS: Decimal("7")}


def test_another_account_may_use_the_same_request_id(post, account, other_account, user):
    make_membership(account=other_account, user=user)
    make_campaign(account=other_account, campaign_id=POINTS)

    post(("code", "auto_add"), "C1|5", request_id="retry-1")
    response = post(("code", "auto_add"), "C1|5", request_id="retry-1", account_id="otherwidgets")

    assert counts(response)["new"] == 1
    assert balances(account, "C1") == {POINTS: Decimal("5")}
    assert balances(other_account, "C1") == {POINTS: Decimal("5")}
    assert ImportRequest.objects.count() == 2


# validate_only


def test_validate_only_writes_nothing_and_reports_what_would_happen(post, account):
    make_customer(account=account, code="C1", first_name="Jane")
    before = database()

    response = post(
        ("code", "first_name", "auto_add"),
        "C1|Ann|5\nC2|Bob|5\n|Cy|5\nC4|Dee|2.5",
        overwrite_duplicates="update",
        validate_only="yes",
    )

    result = batch(response)
    assert result["status"] == "validated"
    assert result["customers"] == {"new": 2, "updated": 1, "ignored": 0, "failed": 1}
    assert "undo_state" not in result
    assert [entry["line"] for entry in result["generated"]] == [3]
    assert database() == before


def test_validate_only_does_not_use_up_the_request_id(post, account):
    post(("code", "auto_add"), "C1|5", request_id="retry-1", validate_only="yes")

    response = post(("code", "auto_add"), "C1|5", request_id="retry-1")

    assert batch(response)["status"] == "imported"
    assert balances(account, "C1") == {POINTS: Decimal("5")}


# all_or_nothing


def test_all_or_nothing_with_a_failing_line_imports_nothing_and_lists_every_failure(
    post_batch, account
):
    make_customer(account=account, code="C1", first_name="Jane")
    before = database()

    response = post_batch(
        headers=("code", "custom_date", "auto_add"),
        data="C1|2010-01-01|5\nC2|2010-13-01|5\nC3||5\nC4|x|5",
        overwrite_duplicates="update",
        all_or_nothing="yes",
    )

    assert response.status_code == 400
    root = etree.fromstring(response.content)
    assert root.get("status") == "error"
    assert root.findtext("error") == REJECTED_SUMMARY.format(n=2)
    assert root.find("batch").get("status") == "rejected"
    errors = [(e.get("line"), e.get("field"), e.text) for e in root.findall("batch/errors/error")]
    assert errors == [
        ("2", "custom_date", m.BAD_DATE.format(value="2010-13-01")),
        ("4", "custom_date", m.BAD_DATE_FORMAT.format(value="x")),
    ]
    assert root.find("batch/undo_state") is None
    assert database() == before


def test_all_or_nothing_rejection_in_json_keeps_the_error_envelope(post):
    response = post(("code", "custom_date"), "C1|x", all_or_nothing="yes")

    assert response.status_code == 400
    answer = body(response)
    assert answer["status"] == "error"
    assert answer["error"] == REJECTED_SUMMARY.format(n=1)
    assert answer["batch"]["status"] == "rejected"
    assert answer["batch"]["errors"] == [
        {"line": 1, "field": "custom_date", "message": m.BAD_DATE_FORMAT.format(value="x")}
    ]
    assert Customer.objects.count() == 0


def test_all_or_nothing_without_failing_lines_imports_normally(post, account):
    response = post(("code", "auto_add"), "C1|5\nC2|7", all_or_nothing="yes")

    result = batch(response)
    assert result["status"] == "imported"
    assert result["customers"] == {"new": 2, "updated": 0, "ignored": 0, "failed": 0}
    assert balances(account, "C2") == {POINTS: Decimal("7")}
    assert result["undo_state"] == UndoState.objects.get().pk


# Undo states


def test_an_import_records_an_undo_state(post, account, user):
    make_customer(account=account, code="C1", first_name="Jane")

    response = post(
        ("code", "first_name"),
        "C1|Ann\nC2|Bob\nC3|Cy|extra",
        overwrite_duplicates="update",
    )

    undo_state = UndoState.objects.get()
    assert batch(response)["undo_state"] == undo_state.pk
    assert (undo_state.account, undo_state.user, undo_state.source) == (account, user, "api")
    assert (undo_state.new, undo_state.updated, undo_state.ignored, undo_state.failed) == (
        1,
        1,
        0,
        1,
    )
    assert undo_state.parameters["overwrite_duplicates"] == "update"
    assert undo_state.parameters["campaigns_to_include"] == [POINTS]
    assert undo_state.parameters["headers"] == ["code", "first_name"]


def test_the_undo_state_parameters_hold_no_password(post):
    post(("code", "customer_password"), "C1|customer-secret")

    recorded = json.dumps(UndoState.objects.get().parameters)
    assert PASSWORD not in recorded
    assert "user_password" not in recorded
    assert "customer-secret" not in recorded


def test_no_undo_records_no_undo_state(post):
    response = post(("code", "first_name"), "C1|Ann", no_undo="yes")

    result = batch(response)
    assert result["customers"]["new"] == 1
    assert "undo_state" not in result
    assert UndoState.objects.count() == 0


def test_the_undo_state_is_reported_in_xml(post_batch):
    response = post_batch(headers=("code", "first_name"), data="C1|Ann")

    root = etree.fromstring(response.content)
    assert root.findtext("batch/undo_state") == str(UndoState.objects.get().pk)


@pytest.mark.parametrize(
    ("api", "campaigns"),
    [(None, f"{POINTS},{EVENTS}"), ("1.5", f"{POINTS}|,|{EVENTS}")],
    ids=["commas under 1.0", "1.0's separator under 1.5"],
)
def test_campaign_ids_separated_as_the_other_api_version_does_say_how_to_separate_them(
    post_batch, api, campaigns
):
    # An integrator's report: the error named the ids but not the separator to use.
    extra = {"API": "1.5", "user_api_key": API_KEY, "user_password": None} if api else {}
    response = post_batch(data="C1|Ann", campaigns_to_include=campaigns, output="JSON", **extra)

    error = json.loads(response.content)["error"]
    assert response.status_code == 400
    assert "separates campaign ids with |,| under API 1.0 and with a comma under API=1.5" in error
    assert not Customer.objects.exists()


def test_an_unknown_campaign_id_alone_gets_no_separator_advice(post_batch):
    response = post_batch(data="C1|Ann", campaigns_to_include="999", output="JSON")

    assert json.loads(response.content)["error"] == m.UNKNOWN_CAMPAIGNS.format(ids="999")
