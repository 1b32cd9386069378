"""A member's role decides whether they may import through the API: only an owner of the
account (or a superuser) gives roles, and nobody changes their own."""

import pytest
from django.urls import reverse

from accounts.models import Membership
from accounts.roles import ROLE_CHANGE_REFUSED
from tests.factories import make_member, make_membership

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


# Every way a membership's power changes is the same decision: adding one, changing any of
# its fields (is_active included), deleting it on its page, in the changelist's bulk action
# or on its account's page.

ALL_PERMISSIONS = (*PERMISSIONS, "add_membership", "delete_membership")


@pytest.fixture
def owner(account):
    user = make_member(account=account, username="owner", role=Membership.Role.OWNER)
    return Membership.objects.get(user=user)


def test_a_member_who_is_not_an_owner_cannot_reactivate_a_colleague(client, staff_user, account):
    client.force_login(staff_user(*ALL_PERMISSIONS))
    importer = make_member(account=account, username="importer")
    membership = Membership.objects.get(user=importer)
    Membership.objects.filter(pk=membership.pk).update(is_active=False)
    membership.refresh_from_db()

    response = post_membership(client, membership, is_active="on")

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["is_active"] == [ROLE_CHANGE_REFUSED]
    membership.refresh_from_db()
    assert membership.is_active is False


def test_a_member_who_is_not_an_owner_cannot_deactivate_an_owner(client, staff_user, owner):
    client.force_login(staff_user(*ALL_PERMISSIONS))

    response = post_membership(client, owner, is_active="")

    assert response.status_code == 200
    owner.refresh_from_db()
    assert owner.is_active is True


def test_a_member_cannot_deactivate_themselves(client, staff_user):
    staff = staff_user(*ALL_PERMISSIONS)
    client.force_login(staff)
    own = Membership.objects.get(user=staff)

    response = post_membership(client, own, is_active="")

    assert response.status_code == 200
    own.refresh_from_db()
    assert own.is_active is True


def test_a_member_who_is_not_an_owner_cannot_move_a_membership_to_another_user(
    client, staff_user, colleague, other_account
):
    staff = staff_user(*ALL_PERMISSIONS)
    make_membership(account=other_account, user=staff, role=Membership.Role.STAFF)
    client.force_login(staff)
    other = make_member(account=other_account, username="other", role=Membership.Role.STAFF)

    response = post_membership(client, colleague, user=other.pk)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["user"] == [ROLE_CHANGE_REFUSED]
    colleague.refresh_from_db()
    assert colleague.user.username == "colleague"


def add_membership(client, account, user, role):
    data = {"account": account.pk, "user": user.pk, "role": role, "is_active": "on"}
    return client.post(reverse("admin:accounts_membership_add"), data)


def test_a_member_who_is_not_an_owner_cannot_add_a_membership(
    client, staff_user, account, other_account
):
    staff = staff_user(*ALL_PERMISSIONS)
    make_membership(account=other_account, user=staff, role=Membership.Role.STAFF)
    client.force_login(staff)
    newcomer = make_member(account=other_account, username="newcomer")

    response = add_membership(client, account, newcomer, Membership.Role.STAFF)

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors() == [ROLE_CHANGE_REFUSED]
    assert not Membership.objects.filter(account=account, user=newcomer).exists()


def test_an_owner_adds_a_membership(client, staff_user, account, other_account):
    owner_user = staff_user(*ALL_PERMISSIONS)
    Membership.objects.filter(user=owner_user).update(role=Membership.Role.OWNER)
    make_membership(account=other_account, user=owner_user, role=Membership.Role.STAFF)
    client.force_login(owner_user)
    newcomer = make_member(account=other_account, username="newcomer")

    response = add_membership(client, account, newcomer, Membership.Role.IMPORTER)

    assert response.status_code == 302
    added = Membership.objects.get(account=account, user=newcomer)
    assert added.role == Membership.Role.IMPORTER


def test_a_member_who_is_not_an_owner_cannot_delete_a_membership(client, staff_user, owner):
    client.force_login(staff_user(*ALL_PERMISSIONS))
    url = reverse("admin:accounts_membership_delete", args=[owner.pk])

    response = client.post(url, {"post": "yes"})

    assert response.status_code == 403
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_a_member_who_is_not_an_owner_cannot_bulk_delete_memberships(client, staff_user, owner):
    client.force_login(staff_user(*ALL_PERMISSIONS))
    data = {"action": "delete_selected", "_selected_action": [owner.pk], "post": "yes"}

    response = client.post(reverse("admin:accounts_membership_changelist"), data)

    assert response.status_code == 403
    assert Membership.objects.filter(pk=owner.pk).exists()


def test_a_member_who_is_not_an_owner_cannot_delete_a_membership_on_the_account_page(
    client, staff_user, account, owner
):
    staff = staff_user(*ALL_PERMISSIONS)
    client.force_login(staff)
    own = Membership.objects.get(user=staff)
    data = {
        "name": account.name,
        "custom_field_count": 0,
        "memberships-TOTAL_FORMS": 2,
        "memberships-INITIAL_FORMS": 2,
    }
    for index, membership in enumerate([own, owner]):
        data |= {
            f"memberships-{index}-id": membership.pk,
            f"memberships-{index}-account": account.pk,
            f"memberships-{index}-user": membership.user_id,
            f"memberships-{index}-role": membership.role,
            f"memberships-{index}-is_active": "on",
        }
    data["memberships-1-DELETE"] = "on"

    response = client.post(reverse("admin:accounts_account_change", args=[account.pk]), data)

    assert response.status_code == 200
    assert Membership.objects.filter(pk=owner.pk).exists()
    assert ROLE_CHANGE_REFUSED in response.content.decode().replace("&#x27;", "'")


def test_an_owner_deletes_a_colleagues_membership(client, staff_user, colleague):
    owner_user = staff_user(*ALL_PERMISSIONS)
    Membership.objects.filter(user=owner_user).update(role=Membership.Role.OWNER)
    client.force_login(owner_user)
    url = reverse("admin:accounts_membership_delete", args=[colleague.pk])

    response = client.post(url, {"post": "yes"})

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=colleague.pk).exists()


def test_an_owner_cannot_delete_their_own_membership(client, staff_user):
    owner_user = staff_user(*ALL_PERMISSIONS)
    Membership.objects.filter(user=owner_user).update(role=Membership.Role.OWNER)
    client.force_login(owner_user)
    own = Membership.objects.get(user=owner_user)

    response = client.post(
        reverse("admin:accounts_membership_delete", args=[own.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Membership.objects.filter(pk=own.pk).exists()


def test_a_member_who_is_not_an_owner_cannot_delete_an_owners_user_and_so_her_membership(
    client, staff_user, owner
):
    client.force_login(staff_user(*ALL_PERMISSIONS, "delete_user", "view_user"))
    url = reverse("admin:auth_user_delete", args=[owner.user_id])

    response = client.post(url, {"post": "yes"})

    assert response.status_code == 403
    assert Membership.objects.filter(pk=owner.pk).exists()
