"""A page links another object's page (a campaign, the account, a user) only for a user who
may open it; anyone else reads its name as plain text, not a link that answers 403 (a shop
owner's report, issue 14)."""

from django.urls import reverse

from customers.models import Customer
from tests.conftest import POINTS

CUSTOMER_PERMISSIONS = ("view_customer", "change_customer", "view_undostate")


def hrefs(html: str, url: str) -> int:
    return html.count(f'href="{url}"')


def test_a_campaign_on_the_customer_page_is_a_link_only_for_those_who_may_view_campaigns(
    client, staff_user, run_import, campaigns
):
    run_import(("code", "auto_add"), "C1|5")
    customer = Customer.objects.get(code="C1")
    page = reverse("admin:customers_customer_change", args=[customer.pk])
    campaign = reverse("admin:campaigns_campaign_change", args=[campaigns[POINTS].pk])

    client.force_login(staff_user(*CUSTOMER_PERMISSIONS))
    without = client.get(page).content.decode()
    client.force_login(staff_user(*CUSTOMER_PERMISSIONS, "view_campaign", username="manager"))
    with_permission = client.get(page).content.decode()

    assert hrefs(without, campaign) == 0
    assert f"{POINTS} (Points): 5" in without
    assert hrefs(with_permission, campaign) == 1
    assert f'<a href="{campaign}">{POINTS} (Points)</a>: 5' in with_permission


def test_the_import_page_links_its_account_and_user_only_for_those_who_may_view_them(
    client, staff_user, run_import, account, user
):
    result = run_import(("code",), "C1")
    page = reverse("admin:customers_undostate_change", args=[result.undo_state_id])
    account_page = reverse("admin:accounts_account_change", args=[account.pk])
    user_page = reverse("admin:auth_user_change", args=[user.pk])

    client.force_login(staff_user(*CUSTOMER_PERMISSIONS))
    without = client.get(page).content.decode()
    client.force_login(
        staff_user(*CUSTOMER_PERMISSIONS, "view_account", "view_user", username="manager")
    )
    with_permission = client.get(page).content.decode()

    assert (hrefs(without, account_page), hrefs(without, user_page)) == (0, 0)
    assert "GW" in without and user.username in without
    assert f'<a href="{account_page}">GW</a>' in with_permission
    assert f'<a href="{user_page}">{user.username}</a>' in with_permission
