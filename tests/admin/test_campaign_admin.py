"""The campaign pages and the balances on a customer's page, in the words shop staff use:
a campaign by its name, counts with thousands separators (a shop owner's report)."""

import re
from html import unescape

import pytest
from django.urls import reverse

from campaigns.models import Campaign
from tests.factories import make_campaign, make_customer, make_item, make_transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def coffee_club(account):
    campaign = make_campaign(
        account=account, campaign_id="89898989989", type=Campaign.Type.BUYX, name="Coffee club"
    )
    make_item(campaign=campaign, name="Latte")
    return campaign


def test_a_named_campaigns_page_is_titled_by_its_name_not_its_id(admin_client, coffee_club):
    html = admin_client.get(
        reverse("admin:campaigns_campaign_change", args=[coffee_club.pk])
    ).content.decode()

    assert "<title>Coffee club (Buy X, get one free) | Change campaign" in html
    assert "89898989989 (" not in html


def test_a_buy_x_campaigns_items_are_headed_in_shop_words(admin_client, coffee_club):
    html = admin_client.get(
        reverse("admin:campaigns_campaign_change", args=[coffee_club.pk])
    ).content.decode()

    assert "Items that count towards the free one" in html
    assert "buyx item" not in html.lower()


@pytest.mark.parametrize("kind", [kind for kind in Campaign.Type if kind != Campaign.Type.BUYX])
def test_only_a_buy_x_campaigns_page_has_items(admin_client, account, kind):
    campaign = make_campaign(account=account, campaign_id="C1", type=kind, name="Club")

    change = admin_client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    add = admin_client.get(reverse("admin:campaigns_campaign_add"))

    assert change.status_code == add.status_code == 200
    for html in (change.content.decode(), add.content.decode()):
        assert "Items that count towards the free one" not in html


def test_balances_name_the_campaign_and_separate_thousands(admin_client, account):
    points = make_campaign(account=account, campaign_id="898989889", name="Points club")
    customer = make_customer(account=account, code="C1")
    customer.enrollments.create(campaign=points, created_at=customer.created_at)
    make_transaction(campaign=points, customer=customer, amount=1234567)

    html = admin_client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    ).content.decode()

    # A superuser may open the campaign's page: its name links there.
    url = reverse("admin:campaigns_campaign_change", args=[points.pk])
    assert f'<a href="{url}">Points club (Points)</a>: 1,234,567' in html


def test_a_campaigns_page_counts_its_customers_and_links_to_them(admin_client, account):
    # The shop owner's "I can't find a campaign's customers".
    points = make_campaign(account=account, campaign_id="898989889", name="Points club")
    other = make_campaign(account=account, campaign_id="777", name="Other club")
    enrolled = [make_customer(account=account, code=f"E{n}") for n in range(2)]
    for customer in enrolled:
        customer.enrollments.create(campaign=points, created_at=customer.created_at)
    elsewhere = make_customer(account=account, code="X1")
    elsewhere.enrollments.create(campaign=other, created_at=elsewhere.created_at)

    html = admin_client.get(
        reverse("admin:campaigns_campaign_change", args=[points.pk])
    ).content.decode()
    link = re.search(r'<a href="([^"]*)">2 customers enrolled</a>', html)

    assert link, html
    listed = admin_client.get(unescape(link.group(1)))
    assert listed.status_code == 200
    assert {c.pk for c in listed.context["cl"].result_list} == {c.pk for c in enrolled}
