"""Users and groups are the operator's: only a superuser sees their admin pages, whatever
permissions a shop's staff user holds (fourth red team: with auth.change_user a shop's
staff member made herself superuser and set another shop's owner's password)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import Membership
from tests.factories import make_member

pytestmark = pytest.mark.django_db

USER_PERMISSIONS = ("view_user", "change_user", "add_user", "delete_user")
GROUP_PERMISSIONS = ("view_group", "change_group", "add_group", "delete_group")


@pytest.fixture
def user_admin(client, staff_user):
    """A shop's staff member who was granted every user and group permission."""
    staff = staff_user(*USER_PERMISSIONS, *GROUP_PERMISSIONS, username="useradmin")
    client.force_login(staff)
    return staff


@pytest.fixture
def other_owner(other_account):
    return make_member(
        account=other_account,
        username="otherowner",
        password="old-pass-1",
        role=Membership.Role.OWNER,
    )


def test_a_shops_staff_cannot_list_or_open_users_or_groups(client, user_admin, other_owner):
    group = Group.objects.create(name="g")

    for url in (
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[other_owner.pk]),
        reverse("admin:auth_user_add"),
        reverse("admin:auth_group_changelist"),
        reverse("admin:auth_group_change", args=[group.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert "/admin/auth/" not in client.get(reverse("admin:index")).content.decode()


def test_a_shops_staff_cannot_make_themselves_superuser(client, user_admin):
    response = client.post(
        reverse("admin:auth_user_change", args=[user_admin.pk]),
        {
            "username": user_admin.username,
            "is_staff": "on",
            "is_superuser": "on",
            "is_active": "on",
        },
    )

    assert response.status_code == 403
    assert not get_user_model().objects.get(pk=user_admin.pk).is_superuser


def test_a_shops_staff_cannot_set_another_shops_owners_password(client, user_admin, other_owner):
    response = client.post(
        reverse("admin:auth_user_password_change", args=[other_owner.pk]),
        {
            "password1": "Hijacked-pass-123",
            "password2": "Hijacked-pass-123",
            "usable_password": "true",
        },
    )

    assert response.status_code == 403
    assert get_user_model().objects.get(pk=other_owner.pk).check_password("old-pass-1")


def test_a_superuser_still_manages_users(admin_client, other_owner):
    assert admin_client.get(reverse("admin:auth_user_changelist")).status_code == 200
    assert (
        admin_client.get(reverse("admin:auth_user_change", args=[other_owner.pk])).status_code
        == 200
    )
