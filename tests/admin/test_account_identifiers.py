"""An account's identifiers (slug, owner id) name it in every integration: they can never
name two accounts, and only the platform's superusers change them."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import SLUG_LIKE_OWNER_ID, Account, Membership
from customers.models import Customer
from tests.conftest import batch_params


def account_form(account: Account, **changes) -> dict:
    data = {
        "slug": account.slug,
        "owner_id": account.owner_id,
        "name": account.name,
        "custom_field_count": account.custom_field_count,
        "memberships-TOTAL_FORMS": 0,
        "memberships-INITIAL_FORMS": 0,
    }
    return {**data, **changes}


@pytest.fixture
def shop_b(db):
    return Account.objects.create(slug="shop-b", owner_id="3000000000000003", name="B")


def test_staff_with_the_change_permission_cannot_change_an_identifier(
    client, staff_user, account, other_account
):
    staff = staff_user("change_account", "view_account")
    client.force_login(staff)
    url = reverse("admin:accounts_account_change", args=[account.pk])

    response = client.post(url, account_form(account, slug=other_account.owner_id, name="New"))

    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.slug, account.owner_id, account.name) == (
        "greatwidgets",
        "1000000000000001",
        "New",
    )


def test_a_superuser_is_told_a_slug_cannot_take_the_form_of_an_owner_id(
    admin_client, account, shop_b
):
    url = reverse("admin:accounts_account_change", args=[shop_b.pk])

    response = admin_client.post(url, account_form(shop_b, slug=account.owner_id))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["slug"] == [SLUG_LIKE_OWNER_ID]
    shop_b.refresh_from_db()
    assert shop_b.slug == "shop-b"


def test_the_database_refuses_a_slug_that_reads_as_an_owner_id(account, shop_b):
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=shop_b.pk).update(slug=account.owner_id)


def test_an_owner_id_in_account_id_names_only_the_account_that_holds_it(
    client, user, campaigns, account, shop_b
):
    # The user belongs to both accounts: a lookup with two candidates would pick either.
    Membership.objects.create(account=shop_b, user=user, role=Membership.Role.IMPORTER)

    response = client.post(
        "/api", batch_params(data="C1|Ann", account_id=account.owner_id, output="JSON")
    )

    assert response.status_code == 200, response.content
    assert list(Customer.objects.values_list("account__slug", "code")) == [("greatwidgets", "C1")]


def test_staff_cannot_change_the_custom_field_count(client, staff_user, account):
    # Fifth red team: a staff member set it to 32,767, and every customer page then took
    # 70 s and 30 MB to render.
    client.force_login(staff_user("change_account", "view_account"))
    url = reverse("admin:accounts_account_change", args=[account.pk])

    response = client.post(url, account_form(account, custom_field_count=32767))

    assert response.status_code == 302
    account.refresh_from_db()
    assert account.custom_field_count == 0


def test_a_superuser_sets_at_most_the_custom_fields_an_account_may_have(admin_client, account):
    from accounts.admin import MAX_CUSTOM_FIELDS

    url = reverse("admin:accounts_account_change", args=[account.pk])

    refused = admin_client.post(
        url, account_form(account, custom_field_count=MAX_CUSTOM_FIELDS + 1)
    )
    admin_client.post(url, account_form(account, custom_field_count=MAX_CUSTOM_FIELDS))

    assert refused.status_code == 200
    assert "custom_field_count" in refused.context["adminform"].form.errors
    account.refresh_from_db()
    assert account.custom_field_count == MAX_CUSTOM_FIELDS
