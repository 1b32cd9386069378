"""Tenancy through the API: an import only ever reads and writes the account it
authenticated for; another account's campaigns, customers, request ids and undo states are
invisible to it."""

import json

import pytest

from accounts.credentials import INVALID_CREDENTIALS
from campaigns.models import Enrollment, Transaction
from customers.batch.messages import UNKNOWN_CAMPAIGNS
from customers.models import Customer, ImportRequest, UndoState
from tests.conftest import POINTS
from tests.factories import make_campaign, make_customer, make_membership

B_ONLY = "777000777"


def body(response) -> dict:
    return json.loads(response.content)


def customers_of(account) -> list[dict]:
    return list(Customer.objects.filter(account=account).order_by("id").values())


def database() -> dict:
    return {
        "customers": list(Customer.objects.order_by("id").values()),
        "enrollments": list(Enrollment.objects.order_by("id").values()),
        "transactions": list(Transaction.objects.order_by("id").values()),
        "undo_states": UndoState.objects.count(),
        "request_ids": ImportRequest.objects.count(),
    }


@pytest.fixture
def b_points(other_account):
    """Account B has a campaign with the same id as A's points campaign, and one of its own."""
    make_campaign(account=other_account, campaign_id=B_ONLY)
    return make_campaign(account=other_account, campaign_id=POINTS)


@pytest.fixture
def member_of_both(user, other_account, b_points):
    make_membership(account=other_account, user=user)
    return user


def test_a_member_of_account_a_cannot_import_into_account_b(post_batch, other_account, b_points):
    before = database()

    response = post_batch(data="C1|Ann", account_id="otherwidgets", output="JSON")

    assert response.status_code == 401
    assert body(response) == {"status": "error", "error": INVALID_CREDENTIALS}
    assert database() == before


def test_campaigns_of_another_account_are_unknown(post_batch, b_points):
    before = database()

    response = post_batch(data="C1|Ann", campaigns_to_include=f"{POINTS}|,|{B_ONLY}", output="JSON")

    assert response.status_code == 400
    assert body(response) == {"status": "error", "error": UNKNOWN_CAMPAIGNS.format(ids=B_ONLY)}
    assert database() == before


def test_enrollment_goes_to_the_accounts_own_campaign_of_that_id(post_batch, campaigns, b_points):
    response = post_batch(("code", "auto_add"), "C1|10", output="JSON")

    assert response.status_code == 200
    enrollment = Enrollment.objects.get()
    assert enrollment.campaign == campaigns[POINTS]
    assert Transaction.objects.get().campaign == campaigns[POINTS]
    assert not b_points.enrollments.exists()


def test_a_code_of_another_account_does_not_match(post_batch, account, other_account):
    theirs = make_customer(account=other_account, code="C1", first_name="B's")
    before = customers_of(other_account)

    response = post_batch(data="C1|Ann", overwrite_duplicates="yes", output="JSON")

    assert body(response)["batch"]["customers"] == {
        "new": 1,
        "updated": 0,
        "ignored": 0,
        "failed": 0,
    }
    assert customers_of(other_account) == before
    ours = Customer.objects.get(account=account)
    assert (ours.code, ours.first_name) == ("C1", "Ann")
    assert ours.pk != theirs.pk


def test_a_card_number_of_another_account_does_not_match_nor_collide(
    post_batch, account, other_account
):
    make_customer(account=other_account, code="B1", card_number="5001", first_name="B's")
    before = customers_of(other_account)

    response = post_batch(
        ("code", "card_number", "first_name"),
        "|5001|Ann",
        overwrite_duplicates="update",
        output="JSON",
    )

    batch = body(response)["batch"]
    assert (batch["customers"]["new"], batch["errors"]) == (1, [])
    assert customers_of(other_account) == before
    ours = Customer.objects.get(account=account)
    assert (ours.card_number, ours.first_name) == ("5001", "Ann")


def test_a_request_id_of_account_a_does_not_replay_for_account_b(
    post_batch, account, other_account, member_of_both
):
    first = post_batch(data="A1|Ann", request_id="nightly-1", output="JSON")

    second = post_batch(
        data="B1|Bob", request_id="nightly-1", account_id="otherwidgets", output="JSON"
    )

    assert body(first)["batch"]["customers"]["new"] == 1
    assert body(second)["batch"]["customers"]["new"] == 1
    assert body(second)["batch"]["undo_state"] != body(first)["batch"]["undo_state"]
    assert [c["code"] for c in customers_of(account)] == ["A1"]
    assert [c["code"] for c in customers_of(other_account)] == ["B1"]
    assert ImportRequest.objects.filter(request_id="nightly-1").count() == 2


def test_undo_state_is_recorded_on_the_importing_account_only(
    post_batch, account, other_account, member_of_both, campaigns
):
    make_customer(account=other_account, code="C1", first_name="B's")

    response = post_batch(data="C1|Ann", output="JSON")

    state = UndoState.objects.get()
    assert body(response)["batch"]["undo_state"] == state.pk
    assert state.account == account
    assert not UndoState.objects.filter(account=other_account).exists()
    assert Enrollment.objects.get().undo_state == state
    assert Enrollment.objects.get().campaign == campaigns[POINTS]
