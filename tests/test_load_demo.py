"""load_demo: development data only, idempotent, and its credentials work."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from accounts.credentials import authenticate_importer
from accounts.models import Account, ApiKey, Membership
from campaigns.models import BuyxItem, Campaign
from customers.management.commands.load_demo import NOT_IN_DEBUG

PASSWORD = "1959caadac9b13dcb3"
MODELS = (Account, User, ApiKey, Membership, Campaign, BuyxItem)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def load_demo() -> str:
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict:
    """Every row the demo touches, so a second run can be compared exactly."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in MODELS}


def test_refuses_when_debug_is_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError) as caught:
        load_demo()
    assert str(caught.value) == NOT_IN_DEBUG
    assert [model.objects.count() for model in MODELS] == [0] * len(MODELS)


def test_creates_the_demo_data(db, debug):
    output = load_demo()
    account = Account.objects.get()
    assert (account.slug, account.owner_id, account.name) == (
        "greatwidgets",
        "1000000000000001",
        "Great Widgets",
    )
    assert set(Campaign.objects.values_list("campaign_id", "type", "name")) == {
        ("898989889", "points", "Points"),
        ("13234545", "events", "Visits"),
        ("34534554", "giftcard", "Gift card"),
        ("89898989989", "buyx", "Coffee club"),
    }
    assert sorted(BuyxItem.objects.values_list("campaign__campaign_id", "name")) == [
        ("89898989989", "Latte"),
        ("89898989989", "Muffin"),
    ]
    membership = Membership.objects.get()
    assert (membership.user.username, membership.role) == ("john1970", "importer")
    key = ApiKey.objects.get()
    assert (key.user.username, key.prefix, key.revoked_at) == ("john1970", PASSWORD[:8], None)
    admin = User.objects.get(username="admin")
    assert (admin.is_staff, admin.is_superuser, admin.check_password("admin")) == (True,) * 3
    assert "development-only login: admin / admin" in output


def test_running_twice_changes_nothing(db, debug):
    load_demo()
    first = snapshot()
    load_demo()
    assert snapshot() == first


def test_resets_the_known_passwords(db, debug):
    load_demo()
    for user in User.objects.all():
        user.set_password("changed-password-789")
        user.save()
    load_demo()
    assert User.objects.get(username="john1970").check_password(PASSWORD)
    assert User.objects.get(username="admin").check_password("admin")


@pytest.mark.parametrize("secret", ["password", "api_key"])
def test_demo_credentials_authenticate(db, debug, secret):
    load_demo()
    user, account = authenticate_importer(
        user_id="john1970",
        password=PASSWORD if secret == "password" else None,
        api_key=PASSWORD if secret == "api_key" else None,
        account_identifier="greatwidgets",
        client_address="127.0.0.1",
    )
    assert (user.username, account.slug) == ("john1970", "greatwidgets")
