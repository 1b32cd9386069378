"""Tenancy of the admin: a staff user who is not a superuser sees and changes only the
accounts they are an active member of, in every list, page, form, action and lookup."""

from types import SimpleNamespace

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from accounts.models import Account, Membership
from campaigns.models import Campaign
from customers.admin import SELECT_ONE
from customers.models import Customer, UndoState
from tests.admin import customer_form, messages_of, result_ids
from tests.conftest import EVENTS, POINTS
from tests.factories import (
    make_account,
    make_campaign,
    make_customer,
    make_enrollment,
    make_membership,
    make_user,
)

EVERY_PERMISSION = (
    "view_account",
    "change_account",
    "view_membership",
    "change_membership",
    "view_campaign",
    "change_campaign",
    "view_customer",
    "change_customer",
    "add_customer",
    "delete_customer",
    "view_undostate",
    "rollback_undostate",
)


@pytest.fixture
def tenants(account, other_account, run_import):
    """Account A (`account`) and account B, each with an import of customers and a member."""
    make_campaign(account=other_account, campaign_id=POINTS)
    state_a = UndoState.objects.get(pk=run_import(data="ALPHA-1|Ann\nALPHA-2|Bob").undo_state_id)
    state_b = UndoState.objects.get(
        pk=run_import(data="BRAVO-1|Bert", into=other_account).undo_state_id
    )
    return SimpleNamespace(
        a=account,
        b=other_account,
        state_a=state_a,
        state_b=state_b,
        customer_b=Customer.objects.get(code="BRAVO-1"),
        campaign_b=Campaign.objects.get(account=other_account),
        membership_b=make_membership(
            account=other_account,
            user=make_user(username="bravo-member"),
            role=Membership.Role.STAFF,
        ),
    )


@pytest.fixture
def staff_client(client, staff_user, tenants):
    staff = staff_user(*EVERY_PERMISSION)
    client.force_login(staff)
    client.staff = staff
    return client


def test_staff_user_lists_only_their_accounts_customers(staff_client, tenants):
    response = staff_client.get(reverse("admin:customers_customer_changelist"))

    expected = set(Customer.objects.filter(account=tenants.a).values_list("pk", flat=True))
    assert result_ids(response) == expected
    assert len(expected) == 2


def test_staff_user_lists_only_their_accounts_undo_states(staff_client, tenants):
    response = staff_client.get(reverse("admin:customers_undostate_changelist"))

    assert result_ids(response) == {tenants.state_a.pk}


def test_staff_user_lists_only_their_accounts_campaigns(staff_client, tenants):
    response = staff_client.get(reverse("admin:campaigns_campaign_changelist"))

    expected = set(Campaign.objects.filter(account=tenants.a).values_list("pk", flat=True))
    assert result_ids(response) == expected


def test_staff_user_lists_only_their_accounts_memberships_and_accounts(staff_client, tenants):
    memberships = staff_client.get(reverse("admin:accounts_membership_changelist"))
    accounts = staff_client.get(reverse("admin:accounts_account_changelist"))

    expected = set(Membership.objects.filter(account=tenants.a).values_list("pk", flat=True))
    assert result_ids(memberships) == expected
    assert result_ids(accounts) == {tenants.a.pk}


def test_list_filters_offer_only_the_users_accounts_and_campaigns(staff_client, tenants, campaigns):
    # A filter with one choice is not shown: give the staff user two of everything.
    third = make_account(slug="thirdwidgets", owner_id="3000000000000003")
    make_membership(account=third, user=staff_client.staff, role=Membership.Role.STAFF)
    make_customer(account=third, code="CHARLIE-1")
    ann = Customer.objects.get(code="ALPHA-1")
    make_enrollment(campaign=campaigns[EVENTS], customer=ann)

    response = staff_client.get(reverse("admin:customers_customer_changelist"))

    account_filter, campaign_filter = response.context["cl"].filter_specs
    assert {pk for pk, _ in account_filter.lookup_choices} == {tenants.a.pk, third.pk}
    assert {pk for pk, _ in campaign_filter.lookup_choices} == {
        campaigns[POINTS].pk,
        campaigns[EVENTS].pk,
    }
    assert tenants.b.slug not in response.content.decode()


@pytest.mark.parametrize(
    "url_name, attribute",
    [
        ("admin:customers_customer_change", "customer_b"),
        ("admin:customers_customer_delete", "customer_b"),
        ("admin:customers_customer_history", "customer_b"),
        ("admin:customers_undostate_change", "state_b"),
        ("admin:campaigns_campaign_change", "campaign_b"),
        ("admin:accounts_membership_change", "membership_b"),
        ("admin:accounts_account_change", "b"),
    ],
)
def test_staff_user_cannot_open_another_accounts_pages(staff_client, tenants, url_name, attribute):
    response = staff_client.get(reverse(url_name, args=[getattr(tenants, attribute).pk]))

    # The admin answers an object it cannot find with a redirect to its index.
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_staff_user_cannot_change_another_accounts_customer_by_post(staff_client, tenants):
    customer = tenants.customer_b
    url = reverse("admin:customers_customer_change", args=[customer.pk])

    response = staff_client.post(url, customer_form(customer, first_name="Hacked"))

    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.first_name, customer.version) == ("Bert", 1)


def test_staff_user_cannot_add_a_customer_to_another_account(staff_client, tenants):
    data = customer_form(Customer(account=tenants.b, code="INTRUDER"))

    response = staff_client.post(reverse("admin:customers_customer_add"), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["account"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert not Customer.objects.filter(code="INTRUDER").exists()


def test_staff_user_cannot_roll_back_another_accounts_undo_state_by_url(staff_client, tenants):
    url = reverse("admin:customers_undostate_rollback", args=[tenants.state_b.pk])

    assert staff_client.get(url).status_code == 404
    assert staff_client.post(url, {"overwrite_conflicts": "on"}).status_code == 404
    tenants.state_b.refresh_from_db()
    assert tenants.state_b.status == UndoState.Status.UNDOABLE
    assert Customer.objects.filter(code="BRAVO-1").exists()


def test_staff_user_cannot_roll_back_another_accounts_undo_state_by_action(staff_client, tenants):
    changelist = reverse("admin:customers_undostate_changelist")

    response = staff_client.post(
        changelist,
        {"action": "roll_back_selected", "_selected_action": [tenants.state_b.pk]},
        follow=True,
    )

    assert response.redirect_chain == [(changelist, 302)]
    assert messages_of(response) == [SELECT_ONE]
    tenants.state_b.refresh_from_db()
    assert tenants.state_b.status == UndoState.Status.UNDOABLE


@pytest.mark.parametrize(
    "app_label, model_name", [("customers", "customer"), ("campaigns", "campaign")]
)
def test_autocomplete_of_accounts_returns_only_the_users_accounts(
    staff_client, tenants, app_label, model_name
):
    response = staff_client.get(
        "/admin/autocomplete/",
        {
            "app_label": app_label,
            "model_name": model_name,
            "field_name": "account",
            "term": "widgets",
        },
    )

    assert response.status_code == 200
    assert response.json()["results"] == [{"id": str(tenants.a.pk), "text": tenants.a.display_name}]


def test_search_results_are_scoped_whatever_queryset_they_get(staff_client, tenants):
    request = RequestFactory().get("/admin/customers/customer/")
    request.user = staff_client.staff
    customer_admin = admin.site._registry[Customer]

    found, _ = customer_admin.get_search_results(request, Customer.objects.all(), "1")

    assert {customer.code for customer in found} == {"ALPHA-1"}


def test_inactive_membership_sees_nothing(staff_client, tenants):
    Membership.objects.filter(user=staff_client.staff).update(is_active=False)

    customers = staff_client.get(reverse("admin:customers_customer_changelist"))
    accounts = staff_client.get(reverse("admin:accounts_account_changelist"))

    assert result_ids(customers) == set()
    assert result_ids(accounts) == set()


def test_superuser_sees_every_account(admin_client, tenants):
    response = admin_client.get(reverse("admin:customers_undostate_changelist"))

    assert result_ids(response) == {tenants.state_a.pk, tenants.state_b.pk}
    assert Account.objects.count() == 2


@pytest.mark.parametrize(
    ("url", "params", "found"),
    [
        ("/admin/customers/customer/", {"q": "ALPHA-\x001"}, "ALPHA-1"),
        ("/admin/accounts/account/", {"q": "\x00"}, None),
        ("/admin/accounts/membership/", {"q": "\x00"}, None),
        ("/admin/campaigns/campaign/", {"q": "\x00"}, None),
        ("/admin/customers/undostate/", {"q": "\x00"}, None),
        ("/admin/jobs/importjob/", {"q": "\x00"}, None),
        (
            "/admin/autocomplete/",
            {
                "app_label": "accounts",
                "model_name": "membership",
                "field_name": "account",
                "term": "\x00",
            },
            None,
        ),
    ],
)
def test_a_nul_in_an_admin_search_is_left_out_of_it(staff_client, tenants, url, params, found):
    # PostgreSQL refuses a NUL in a query's text (a DataError, answered 500). The lists'
    # search form drops such a term already; the autocomplete sent it to the database.
    response = staff_client.get(url, params)

    assert response.status_code == 200
    if found:
        assert found in response.content.decode()
