"""authenticate_importer: who may import into which account, one message for every failure,
throttling of repeated failures, and remembered password verifications."""

import datetime

import pytest
from django.contrib.auth.models import AbstractBaseUser, User
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from accounts.credentials import INVALID_CREDENTIALS, THROTTLED, authenticate_importer
from accounts.models import ApiKey, AuthFailure, Membership
from core.errors import NotAuthenticated, Throttled
from tests.factories import make_account, make_member, make_user

USER_ID = "john1970"
PASSWORD = "1959caadac9b13dcb3"
API_KEY = "0f3c9d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e"
ADDRESS = "192.0.2.10"
LIMIT = 3


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """The slow default hash costs seconds over this module; what it is called for is the same."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def shop(db):
    return make_account(slug="greatwidgets", owner_id="1000000000000001")


@pytest.fixture
def other_shop(db):
    return make_account(slug="otherwidgets", owner_id="2000000000000002")


@pytest.fixture
def importer(shop):
    return make_member(account=shop, username=USER_ID, password=PASSWORD, api_key=API_KEY)


@pytest.fixture
def small_limit(settings):
    settings.LOYALTY = {**settings.LOYALTY, "AUTH_FAILURE_LIMIT": LIMIT}


@pytest.fixture
def check_password_calls(monkeypatch):
    """How often User.check_password (the slow hash) ran."""
    calls = []
    original = AbstractBaseUser.check_password

    def counting(user, raw_password):
        calls.append(user.username)
        return original(user, raw_password)

    monkeypatch.setattr(User, "check_password", counting)
    return calls


def authenticate(**overrides):
    arguments = {
        "user_id": USER_ID,
        "password": PASSWORD,
        "api_key": None,
        "account_identifier": "greatwidgets",
        "client_address": ADDRESS,
    }
    arguments.update(overrides)
    return authenticate_importer(**arguments)


def assert_refused(**overrides):
    with pytest.raises(NotAuthenticated) as caught:
        authenticate(**overrides)
    assert caught.value.message == INVALID_CREDENTIALS


def assert_throttled(**overrides):
    with pytest.raises(Throttled) as caught:
        authenticate(**overrides)
    assert (caught.value.message, caught.value.retry_after) == (THROTTLED, 300)


def test_password_authenticates_an_importer(importer, shop):
    assert authenticate() == (importer, shop)


def test_api_key_authenticates_an_importer(importer, shop):
    assert authenticate(password=None, api_key=API_KEY) == (importer, shop)


def test_account_may_be_named_by_its_owner_id(importer, shop):
    assert authenticate(account_identifier="1000000000000001") == (importer, shop)


def test_owner_role_may_import(importer, shop):
    Membership.objects.filter(user=importer).update(role=Membership.Role.OWNER)
    assert authenticate() == (importer, shop)


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"user_id": "nobody"}, id="unknown user"),
        pytest.param({"user_id": ""}, id="empty user id"),
        pytest.param({"password": "wrong"}, id="wrong password"),
        pytest.param({"password": ""}, id="empty password"),
        pytest.param({"password": None}, id="no password"),
        pytest.param({"password": API_KEY}, id="API key as 1.0 password"),
        pytest.param({"password": None, "api_key": "f" * 40}, id="unknown API key"),
        pytest.param({"password": None, "api_key": ""}, id="empty API key"),
        pytest.param({"password": None, "api_key": PASSWORD}, id="password as API key"),
        pytest.param(
            {"user_id": "other", "password": None, "api_key": API_KEY},
            id="API key with another user id",
        ),
        pytest.param({"account_identifier": "nowidgets"}, id="unknown account"),
        pytest.param({"account_identifier": ""}, id="empty account"),
    ],
)
def test_every_failure_gives_the_same_message(importer, overrides):
    assert_refused(**overrides)


def test_api_key_of_another_user_fails(importer):
    make_user(username="other", password="other-password-123")
    assert_refused(user_id="other", password=None, api_key=API_KEY)


@pytest.mark.parametrize("secret", ["password", "api_key"])
def test_inactive_user_fails(importer, secret):
    User.objects.filter(pk=importer.pk).update(is_active=False)
    credentials = {"password": PASSWORD} if secret == "password" else {"api_key": API_KEY}
    assert_refused(**{"password": None, **credentials})


def test_revoked_api_key_fails(importer):
    ApiKey.objects.update(revoked_at=timezone.now())
    assert_refused(password=None, api_key=API_KEY)


def test_member_of_one_account_cannot_import_into_another(importer, other_shop):
    assert_refused(account_identifier="otherwidgets")
    assert_refused(account_identifier="2000000000000002", password=None, api_key=API_KEY)


def test_staff_role_cannot_import(importer):
    Membership.objects.filter(user=importer).update(role=Membership.Role.STAFF)
    assert_refused()
    assert_refused(password=None, api_key=API_KEY)


def test_inactive_membership_cannot_import(importer):
    Membership.objects.filter(user=importer).update(is_active=False)
    assert_refused()


def test_unknown_user_still_runs_the_password_hasher(db, monkeypatch):
    hashed = []
    original = AbstractBaseUser.set_password

    def counting(user, raw_password):
        hashed.append(raw_password)
        original(user, raw_password)

    monkeypatch.setattr(User, "set_password", counting)
    assert_refused(user_id="nobody", password="guess")
    assert hashed == ["guess"]


def test_failures_per_user_id_and_address_are_throttled(
    importer, small_limit, check_password_calls
):
    for _ in range(LIMIT):
        assert_refused(password="wrong")
    check_password_calls.clear()
    assert_throttled()
    assert check_password_calls == []


def test_failures_of_a_user_id_from_other_addresses_do_not_throttle_its_owner(
    importer, shop, small_limit
):
    for number in range(LIMIT * 2):
        assert_refused(password="wrong", client_address=f"192.0.2.{number}")
    assert authenticate(client_address="198.51.100.1") == (importer, shop)
    assert authenticate(client_address="198.51.100.1", password=None, api_key=API_KEY) == (
        importer,
        shop,
    )


def test_a_user_id_and_address_share_one_counter_whatever_the_case(importer):
    assert_refused(user_id="JOHN1970", password="wrong")
    assert_refused(user_id="john1970", password="wrong")
    counters = AuthFailure.objects.order_by("subject").values_list("subject", "failures")
    assert [(subject.split(":")[0], failures) for subject, failures in counters] == [
        ("address", 2),
        ("pair", 2),
    ]


def test_failures_per_client_address_are_throttled(
    importer, shop, small_limit, check_password_calls
):
    for number in range(LIMIT):
        assert_refused(user_id=f"guess{number}")
    check_password_calls.clear()
    assert_throttled()
    assert check_password_calls == []
    assert authenticate(client_address="198.51.100.1")[0] == importer


def test_a_valid_api_key_is_accepted_from_a_throttled_address(importer, shop, small_limit):
    for _ in range(LIMIT):
        assert_refused(password="wrong")
    assert_throttled()
    assert authenticate(password=None, api_key=API_KEY) == (importer, shop)


def test_a_valid_api_key_that_may_not_import_is_throttled(importer, small_limit):
    Membership.objects.filter(user=importer).update(role=Membership.Role.STAFF)
    for _ in range(LIMIT):
        assert_refused(password=None, api_key=API_KEY)
    assert_throttled(password=None, api_key=API_KEY)


@pytest.mark.parametrize("api_key", ["f" * 40, ""], ids=["unknown key", "empty key"])
def test_a_throttled_address_is_told_so_whatever_api_key_it_sends(importer, small_limit, api_key):
    for number in range(LIMIT):
        assert_refused(user_id=f"guess{number}")
    assert_throttled(password=None, api_key=api_key)


def test_a_remembered_verification_is_throttled_too(importer, shop, small_limit):
    assert authenticate() == (importer, shop)  # remembered from now on
    for number in range(LIMIT):
        assert_refused(user_id=f"guess{number}")
    assert_throttled()


def test_failures_below_the_limit_are_not_throttled(importer, shop, small_limit):
    for _ in range(LIMIT - 1):
        assert_refused(password="wrong")
    assert authenticate() == (importer, shop)


def test_a_success_does_not_reset_the_failure_counters(importer, small_limit):
    for _ in range(LIMIT - 1):
        assert_refused(password="wrong")
    authenticate()
    assert_refused(password="wrong")
    assert_throttled()


def test_throttling_ends_with_the_window(importer, shop, small_limit):
    for _ in range(LIMIT):
        assert_refused(password="wrong")
    assert_throttled()
    window = datetime.timedelta(seconds=300)
    AuthFailure.objects.update(window_started=F("window_started") - window)  # time passes
    assert authenticate() == (importer, shop)


def test_a_verified_password_skips_the_hash_next_time(importer, shop, check_password_calls):
    assert authenticate() == (importer, shop)
    assert authenticate() == (importer, shop)
    assert check_password_calls == [USER_ID]


def test_a_wrong_password_is_checked_every_time(importer, check_password_calls):
    authenticate()
    assert_refused(password="wrong")
    assert_refused(password="wrong")
    assert check_password_calls == [USER_ID] * 3


def test_changing_the_password_forgets_the_verification(importer, shop, check_password_calls):
    authenticate()
    importer.set_password("a-new-password-456")
    importer.save()
    assert_refused()
    assert authenticate(password="a-new-password-456") == (importer, shop)


def test_a_verification_is_remembered_per_user(importer, shop, check_password_calls):
    other = make_member(account=shop, username="jane1980")
    authenticate()
    # Same password and same stored hash: only the user id tells the two apart.
    User.objects.filter(pk=other.pk).update(password=importer.password)
    authenticate(user_id="jane1980")
    assert check_password_calls == [USER_ID, "jane1980"]


def test_a_remembered_verification_does_not_admit_an_inactive_user(importer):
    authenticate()
    User.objects.filter(pk=importer.pk).update(is_active=False)
    assert_refused()


def test_the_cache_holds_no_secret(importer):
    authenticate()
    importer.refresh_from_db()
    remembered = repr(dict(cache._cache))  # LocMemCache internals: key -> pickled value
    assert PASSWORD not in remembered
    assert importer.password not in remembered
