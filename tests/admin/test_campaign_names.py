"""A campaign as shop staff read it in the admin: by its name, with the id integrations send
only where two campaigns of the account share the name, or on the page of an import whose
request named its campaigns by id (docs/decisions.md, "A campaign by its name")."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from campaigns.models import Campaign
from campaigns.selectors import shop_names
from customers.models import UndoState
from tests.conftest import EVENTS, POINTS
from tests.factories import make_campaign


@pytest.fixture
def named(campaigns):
    """The demo's names: Points (898989889) and Visits (13234545)."""
    Campaign.objects.filter(campaign_id=POINTS).update(name="Points")
    Campaign.objects.filter(campaign_id=EVENTS).update(name="Visits")
    return campaigns


def admin_import(run_import, data="A1|Ann") -> UndoState:
    """An import recorded as the admin's, of spring.csv into Points and Visits."""
    result = run_import(data=data, campaigns_to_include=f"{POINTS}|,|{EVENTS}")
    state = UndoState.objects.get(pk=result.undo_state_id)
    state.source = UndoState.Source.ADMIN
    state.parameters = {**state.parameters, "file_name": "spring.csv"}
    state.save()
    return state


def test_the_import_history_names_campaigns_without_their_ids(boss, named, run_import):
    # Shop owner: "spring.csv · Points (898989889), Visits (13234545)".
    state = admin_import(run_import)

    listing = boss.get(reverse("admin:customers_undostate_changelist")).content.decode()
    page = boss.get(reverse("admin:customers_undostate_change", args=[state.pk]))
    html = page.content.decode()

    assert "(Admin)<br>Points, Visits</td>" in listing
    assert '<div class="readonly">spring.csv · Points, Visits</div>' in html
    assert "Campaigns: Points, Visits" in html
    assert POINTS not in listing
    assert POINTS not in html


def test_a_name_two_campaigns_share_is_told_apart_by_its_id(boss, named, account, run_import):
    make_campaign(account=account, campaign_id="777", name="points ", is_active=False)
    state = admin_import(run_import)

    listing = boss.get(reverse("admin:customers_undostate_changelist")).content.decode()
    customers = boss.get(reverse("admin:customers_customer_changelist"))

    assert escape(f"Points (id {POINTS}), Visits") + "</td>" in listing
    campaign_filter = next(
        spec for spec in customers.context["cl"].filter_specs if spec.title == "campaign"
    )
    assert [label for _, label in campaign_filter.lookup_choices] == [
        f"Points (id {POINTS})",
        "Visits",
    ]
    assert state.account.campaigns.count() == 6


def test_an_api_imports_parameters_name_campaigns_with_the_ids_it_sent(boss, named, run_import):
    # For the integrator who sent campaigns_to_include: the page lists its API version
    # and request id too.
    result = run_import(data="A1|Ann", campaigns_to_include=f"{POINTS}|,|{EVENTS}")

    html = boss.get(
        reverse("admin:customers_undostate_change", args=[result.undo_state_id])
    ).content.decode()

    assert escape(f"Campaigns: Points (id {POINTS}), Visits (id {EVENTS})") in html
    assert '<div class="readonly">API · Points, Visits</div>' in html


def test_a_campaign_without_a_name_is_its_id_once(campaigns):
    points = campaigns[POINTS]

    assert shop_names([points]) == {points.pk: POINTS}
    assert points.name_with_id == POINTS
