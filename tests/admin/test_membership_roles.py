"""A member's role decides whether they may import through the API: only an owner of the
account (or a superuser) gives roles, and nobody changes their own."""

import pytest
from django.urls import reverse

from accounts.models import Membership
from accounts.roles import ROLE_CHANGE_REFUSED
from tests.factories import make_member

PERMISSIONS = ("change_membership", "view_membership", "change_account", "view_account")


def membership_form(membership: Membership, **changes) -> dict:
    data = {
        "account": membership.account_id,
        "user": membership.user_id,
        "role": membership.role,
        "is_active": "on" if membership.is_active else "",
    }
    return {**data, **changes}


def post_membership(client, membership, **changes):
    url = reverse("admin:accounts_membership_change", args=[membership.pk])
    return client.post(url, membership_form(membership, **changes))


@pytest.fixture
def colleague(account):
    user = make_member(account=account, username="colleague", role=Membership.Role.STAFF)
    return Membership.objects.get(user=user)


def test_a_member_cannot_promote_themselves(client, staff_user):
    staff = staff_user(*PERMISSIONS)
    client.force_login(staff)
    own = Membership.objects.get(user=staff)

    response = post_membership(client, own, role=Membership.Role.OWNER)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["role"] == [ROLE_CHANGE_REFUSED]
    own.refresh_from_db()
    assert own.role == Membership.Role.STAFF


def test_a_member_who_is_not_an_owner_cannot_give_a_colleague_a_role(client, staff_user, colleague):
    client.force_login(staff_user(*PERMISSIONS))

    response = post_membership(client, colleague, role=Membership.Role.IMPORTER)

    assert response.context["adminform"].form.errors["role"] == [ROLE_CHANGE_REFUSED]
    colleague.refresh_from_db()
    assert colleague.role == Membership.Role.STAFF


def test_an_owner_gives_a_colleague_a_role(client, staff_user, colleague):
    owner = staff_user(*PERMISSIONS)
    Membership.objects.filter(user=owner).update(role=Membership.Role.OWNER)
    client.force_login(owner)

    response = post_membership(client, colleague, role=Membership.Role.IMPORTER)

    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.role == Membership.Role.IMPORTER


def test_an_owner_cannot_change_their_own_role(client, staff_user):
    owner = staff_user(*PERMISSIONS)
    Membership.objects.filter(user=owner).update(role=Membership.Role.OWNER)
    client.force_login(owner)
    own = Membership.objects.get(user=owner)

    response = post_membership(client, own, role=Membership.Role.STAFF)

    assert response.context["adminform"].form.errors["role"] == [ROLE_CHANGE_REFUSED]


def test_a_member_cannot_promote_themselves_on_the_account_page(client, staff_user, account):
    staff = staff_user(*PERMISSIONS)
    client.force_login(staff)
    own = Membership.objects.get(user=staff)
    data = {
        "name": account.name,
        "custom_field_count": 0,
        "memberships-TOTAL_FORMS": 1,
        "memberships-INITIAL_FORMS": 1,
        "memberships-0-id": own.pk,
        "memberships-0-account": account.pk,
        "memberships-0-user": staff.pk,
        "memberships-0-role": Membership.Role.OWNER,
        "memberships-0-is_active": "on",
    }

    response = client.post(reverse("admin:accounts_account_change", args=[account.pk]), data)

    assert response.status_code == 200
    own.refresh_from_db()
    assert own.role == Membership.Role.STAFF
    assert ROLE_CHANGE_REFUSED in response.content.decode().replace("&#x27;", "'")


def test_a_superuser_gives_any_role(admin_client, colleague):
    response = post_membership(admin_client, colleague, role=Membership.Role.OWNER)

    assert response.status_code == 302
    colleague.refresh_from_db()
    assert colleague.role == Membership.Role.OWNER
