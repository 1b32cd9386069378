"""What an admin list takes from its query string: only its own filters' lookups (never a
secret column, never a regex), and no NUL character anywhere in them."""

import re
from html import unescape

import pytest
from django.contrib import admin
from django.urls import reverse

from customers.columns import SECRETS
from customers.models import Customer
from tests.admin import result_ids
from tests.conftest import POINTS
from tests.factories import make_campaign

CUSTOMERS = reverse("admin:customers_customer_changelist")
# Each a list filter's own parameter, given a NUL (a 500 on PostgreSQL before).
NUL_FILTERS = [
    "/admin/jobs/importjob/?status=%00",
    "/admin/customers/undostate/?status=%00",
    "/admin/accounts/membership/?role=%00",
    "/admin/campaigns/campaign/?type=%00",
    "/admin/customers/customer/?code=%00",
    "/admin/customers/customer/?enrollments__campaign__id__exact=1%00",
    "/admin/customers/customer/?co%00de=A",
]


@pytest.fixture
def lists(account, other_account, run_import):
    """Customers of two accounts, one with a PIN and a password, in a campaign each."""
    make_campaign(account=other_account, campaign_id=POINTS)
    run_import(
        ("code", "customer_pin", "customer_password"),
        "PIN-1|1234|secret",
        campaigns_to_include=POINTS,
    )
    run_import(("code",), "B-1", into=other_account, campaigns_to_include=POINTS)


@pytest.mark.parametrize("url", NUL_FILTERS)
def test_a_nul_in_a_lists_filters_shows_the_list_unfiltered_with_its_note(admin_client, lists, url):
    response = admin_client.get(url)

    assert response.status_code == 302
    assert response.url.endswith("?e=1")


def test_a_nul_in_the_search_box_is_still_the_search_forms_error(admin_client, lists):
    # Django's search form refuses it ("Null characters are not allowed.") and lists all.
    response = admin_client.get(CUSTOMERS, {"q": "PIN\x00-1"})

    assert response.status_code == 200
    assert len(result_ids(response)) == Customer.objects.count()


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("lookup", ["startswith", "exact", "gt", "isnull"])
def test_no_list_lookup_reads_a_secret_column(admin_client, lists, secret, lookup):
    hashed = Customer.objects.get(code="PIN-1").__dict__[secret]

    response = admin_client.get(CUSTOMERS, {f"{secret}__{lookup}": hashed[:1]})

    assert response.status_code == 400


@pytest.mark.parametrize(
    "query",
    [
        {"first_name__regex": "."},
        {"code__iregex": "^p"},
        {"enrollments__campaign__name__regex": "."},
        {"code__startswith": "P"},
        {"code": "PIN-1"},
        {"account__name__icontains": "a"},
        {"enrollments__customer__customer_pin__startswith": "p"},
    ],
)
def test_a_list_refuses_lookups_its_filters_do_not_make(admin_client, lists, query):
    assert admin_client.get(CUSTOMERS, query).status_code == 400


@pytest.mark.parametrize("url", ["/admin/customers/undostate/", "/admin/jobs/importjob/"])
def test_other_lists_refuse_a_lookup_through_a_customers_secret(admin_client, lists, url):
    lookup = "account__customers__customer_pin__startswith"

    assert admin_client.get(url, {lookup: "p"}).status_code == 400


def filter_links(html: str) -> list[str]:
    """The query strings of every choice the list's filter panel shows."""
    panel = re.search(r'<nav id="changelist-filter".*?</nav>', html, re.S)
    assert panel, "no filter panel"
    return [unescape(href) for href in re.findall(r'href="(\?[^"]*)"', panel.group(0))]


@pytest.mark.parametrize(
    "model_admin",
    [model_admin for model_admin in admin.site._registry.values() if model_admin.list_filter],
    ids=lambda model_admin: model_admin.opts.label,
)
def test_every_choice_of_every_lists_filters_still_lists(admin_client, lists, model_admin):
    url = reverse(f"admin:{model_admin.opts.app_label}_{model_admin.opts.model_name}_changelist")
    links = filter_links(admin_client.get(url).content.decode())
    assert any("=" in link for link in links)

    for link in links:
        response = admin_client.get(url + link)
        assert response.status_code == 200, link
        assert "cl" in response.context, link
