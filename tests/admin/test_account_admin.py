"""Accounts, members and API keys in the admin: a new key's secret is shown once and only
its hash is stored; revoking a key stops it authenticating."""

import re

import pytest
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.models import Session
from django.http import HttpRequest
from django.urls import reverse

from accounts.admin import KEYS_REVOKED, NEW_KEY_SHOWN_ONCE
from accounts.credentials import INVALID_CREDENTIALS, authenticate_importer
from accounts.models import Account, ApiKey, Membership, hash_api_key
from core.errors import NotAuthenticated
from core.wording import say
from tests.admin import messages_of, result_ids
from tests.factories import make_member

KEY_PERMISSIONS = ("view_apikey", "add_apikey", "change_apikey")
SECRET = re.compile(re.escape(NEW_KEY_SHOWN_ONCE).replace(r"\{secret\}", "([0-9a-f]{40})"))


@pytest.fixture
def key_owner(staff_user):
    return staff_user(*KEY_PERMISSIONS)


@pytest.fixture
def key_client(client, key_owner):
    client.force_login(key_owner)
    return client


def create_key(client, user, name="POS") -> tuple[str, object]:
    response = client.post(reverse("admin:accounts_apikey_add"), {"user": user.pk, "name": name})
    assert response.status_code == 200
    secrets = SECRET.findall(response.content.decode())
    assert len(secrets) == 1
    return secrets[0], response


def cookie_texts(response) -> list[str]:
    """Each Set-Cookie of `response`, as sent and, for the message cookie, as decoded."""
    texts = []
    for morsel in response.cookies.values():
        texts.append(morsel.OutputString())
        decoded = CookieStorage(HttpRequest())._decode(morsel.value)
        if decoded is not None:
            texts.append(repr([str(message) for message in decoded]))
    return texts


def test_a_new_keys_secret_is_never_in_a_cookie_nor_the_session(key_client, key_owner):
    response = key_client.post(
        reverse("admin:accounts_apikey_add"), {"user": key_owner.pk, "name": "POS"}
    )

    key = ApiKey.objects.get(user=key_owner)
    in_cookies = [text for text in cookie_texts(response) if key.prefix in text]
    assert in_cookies == []
    secret = SECRET.findall(response.content.decode())[0]
    assert hash_api_key(secret) == key.key_hash
    assert "no-store" in response["Cache-Control"]
    sessions = [repr(session.get_decoded()) for session in Session.objects.all()]
    assert sessions and not any(secret in session for session in sessions)
    # Shown once: the next page does not show it again.
    following = key_client.get(reverse("admin:accounts_apikey_changelist"))
    assert secret not in following.content.decode()


def test_a_new_key_is_shown_once_and_stored_only_as_its_hash(key_client, key_owner):
    secret, response = create_key(key_client, key_owner)

    key = ApiKey.objects.get(user=key_owner)
    assert (key.prefix, key.key_hash, key.name) == (secret[:8], hash_api_key(secret), "POS")
    assert secret in response.content.decode()
    for url in (
        reverse("admin:accounts_apikey_changelist"),
        reverse("admin:accounts_apikey_change", args=[key.pk]),
    ):
        assert secret not in key_client.get(url).content.decode()
    assert secret not in str(ApiKey.objects.filter(pk=key.pk).values().get())


def test_a_new_key_authenticates_its_user(key_client, key_owner, account):
    secret, _ = create_key(key_client, key_owner)
    Membership.objects.filter(user=key_owner).update(role=Membership.Role.IMPORTER)

    user, found = authenticate_importer(
        user_id=key_owner.username,
        password=None,
        api_key=secret,
        account_identifier=account.slug,
        client_address="127.0.0.1",
    )

    assert (user, found) == (key_owner, account)


def test_revoking_a_key_stops_it_authenticating(key_client, key_owner, account):
    secret, _ = create_key(key_client, key_owner)
    Membership.objects.filter(user=key_owner).update(role=Membership.Role.IMPORTER)
    key = ApiKey.objects.get(user=key_owner)

    response = key_client.post(
        reverse("admin:accounts_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
        follow=True,
    )

    assert messages_of(response) == [say(KEYS_REVOKED, count=1)]
    key.refresh_from_db()
    assert key.revoked_at is not None
    with pytest.raises(NotAuthenticated) as refused:
        authenticate_importer(
            user_id=key_owner.username,
            password=None,
            api_key=secret,
            account_identifier=account.slug,
            client_address="127.0.0.1",
        )
    assert refused.value.message == INVALID_CREDENTIALS


def test_a_staff_user_sees_and_creates_only_their_own_keys(key_client, key_owner, user):
    response = key_client.get(reverse("admin:accounts_apikey_changelist"))
    refused = key_client.post(reverse("admin:accounts_apikey_add"), {"user": user.pk})

    assert result_ids(response) == set()
    assert refused.context["adminform"].form.errors["user"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert ApiKey.objects.filter(user=key_owner).count() == 0
    assert ApiKey.objects.filter(user=user).count() == 1


def test_a_staff_user_cannot_revoke_someone_elses_key(key_client, user):
    key = ApiKey.objects.get(user=user)

    key_client.post(
        reverse("admin:accounts_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )

    key.refresh_from_db()
    assert key.revoked_at is None


def test_account_page_lists_its_members(admin_client, account, user):
    response = admin_client.get(reverse("admin:accounts_account_change", args=[account.pk]))

    formset = response.context["inline_admin_formsets"][0].formset
    assert [form.instance.user for form in formset.forms] == [user]


def test_a_staff_user_may_add_members_only_from_their_own_accounts(
    client, staff_user, account, other_account
):
    staff = staff_user("view_membership", "add_membership", "view_account")
    outsider = make_member(account=other_account, username="outsider", role=Membership.Role.STAFF)
    client.force_login(staff)

    response = client.post(
        reverse("admin:accounts_membership_add"),
        {"account": account.pk, "user": outsider.pk, "role": "staff", "is_active": "on"},
    )

    assert response.context["adminform"].form.errors["user"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert not Membership.objects.filter(account=account, user=outsider).exists()


def test_only_a_superuser_adds_accounts(client, staff_user, admin_client):
    client.force_login(staff_user("add_account", "view_account"))
    data = {
        "slug": "newshop",
        "owner_id": "3000000000000003",
        "custom_field_count": 0,
        "memberships-TOTAL_FORMS": 0,
        "memberships-INITIAL_FORMS": 0,
    }

    assert client.post(reverse("admin:accounts_account_add"), data).status_code == 403
    assert admin_client.post(reverse("admin:accounts_account_add"), data).status_code == 302
    assert Account.objects.filter(slug="newshop").count() == 1
