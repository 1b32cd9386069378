"""Authenticating a customers_batch request through the HTTP stack: both versions'
credentials, one message for every failure, throttling, and nothing written on refusal.
(tests/accounts/test_authentication.py covers authenticate_importer itself.)"""

import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from lxml import etree

from accounts.credentials import INVALID_CREDENTIALS, THROTTLED
from accounts.models import ApiKey, AuthFailure, Membership
from campaigns.models import Enrollment, Transaction
from customers.batch import messages as m
from customers.models import Customer, ImportRequest, UndoState
from tests.conftest import API_KEY, PASSWORD, POINTS, batch_params
from tests.factories import make_customer, make_member

LIMIT = 3
WRONG_SECRET = "wrong-secret-7a1c9e"


def v15(**extra) -> dict:
    """A 1.5 request: user_api_key instead of user_password, data in profiles_data."""
    params = {
        "API": "1.5",
        "user_password": None,
        "user_api_key": API_KEY,
        "Profiles_Data": None,
        "profiles_data": "C1|Ann",
        "campaigns_to_include": POINTS,
    }
    params.update(extra)
    return params


def body(response) -> dict:
    return json.loads(response.content)


def database() -> dict:
    """Everything an import could write."""
    return {
        "customers": list(Customer.objects.order_by("id").values()),
        "enrollments": Enrollment.objects.count(),
        "transactions": Transaction.objects.count(),
        "undo_states": UndoState.objects.count(),
        "request_ids": ImportRequest.objects.count(),
    }


@pytest.fixture
def existing(account):
    """A customer that the refused requests below would update."""
    return make_customer(account=account, code="C1", first_name="Old")


@pytest.fixture
def small_limit(settings):
    settings.LOYALTY = {**settings.LOYALTY, "AUTH_FAILURE_LIMIT": LIMIT}


def assert_refused(response) -> None:
    assert response.status_code == 401
    assert body(response) == {"status": "error", "error": INVALID_CREDENTIALS}


def refused_request(client, *, address="127.0.0.1", **extra):
    """A request from `address` that would update C1 and credit it, had it been
    authenticated."""
    params = batch_params(
        ("code", "first_name", "auto_add"),
        "C1|New|10",
        overwrite_duplicates="update",
        output="JSON",
        request_id="r-1",
        **extra,
    )
    return client.post("/api", params, REMOTE_ADDR=address)


def test_version_1_0_user_password_authenticates(post_batch, account):
    response = post_batch(data="C1|Ann", output="JSON")

    assert response.status_code == 200
    assert body(response)["batch"]["customers"]["new"] == 1
    assert Customer.objects.get().account == account


def test_version_1_5_user_api_key_authenticates(post_batch, account):
    response = post_batch(**v15(output="JSON"))

    assert response.status_code == 200
    assert body(response)["batch"]["customers"]["new"] == 1
    assert Customer.objects.get().account == account


def test_version_1_5_api_access_key_header_authenticates(client, user, campaigns):
    params = batch_params(**v15(user_api_key=None, output="JSON"))

    response = client.post("/api", params, HTTP_API_ACCESS_KEY=API_KEY)

    assert response.status_code == 200
    assert Customer.objects.get().code == "C1"


def test_api_access_key_header_wins_over_the_body(client, user, campaigns):
    params = batch_params(**v15(user_api_key=WRONG_SECRET, output="JSON"))

    response = client.post("/api", params, HTTP_API_ACCESS_KEY=API_KEY)

    assert response.status_code == 200
    assert Customer.objects.get().code == "C1"


def test_a_wrong_api_access_key_header_is_not_rescued_by_the_body(client, user, campaigns):
    params = batch_params(**v15(output="JSON"))

    response = client.post("/api", params, HTTP_API_ACCESS_KEY=WRONG_SECRET)

    assert_refused(response)
    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param({"user_id": "nobody"}, id="unknown user"),
        pytest.param({"user_password": WRONG_SECRET}, id="wrong password"),
        pytest.param({"user_password": None}, id="no password"),
        pytest.param({"account_id": "nowidgets"}, id="unknown account"),
        pytest.param({"account_id": "9999999999999999"}, id="unknown owner id"),
        pytest.param({"API": "1.5", "user_api_key": WRONG_SECRET}, id="wrong key"),
        pytest.param({"API": "1.5"}, id="1.5 with a password instead of a key"),
    ],
)
def test_every_credential_failure_gives_the_same_message_and_writes_nothing(
    client, user, campaigns, existing, credentials
):
    before = database()

    response = refused_request(client, **credentials)

    assert_refused(response)
    assert database() == before


def test_a_member_of_another_account_is_refused(client, user, campaigns, existing, other_account):
    make_member(
        account=other_account, username="jane1980", password=PASSWORD, role=Membership.Role.OWNER
    )
    before = database()

    response = refused_request(client, user_id="jane1980")

    assert_refused(response)
    assert database() == before


@pytest.mark.parametrize("version", ["1.0", "1.5"])
def test_staff_role_without_import_right_is_refused(client, user, campaigns, existing, version):
    Membership.objects.filter(user=user).update(role=Membership.Role.STAFF)
    before = database()

    response = refused_request(client, API=version, user_api_key=API_KEY)

    assert_refused(response)
    assert database() == before


@pytest.mark.parametrize("version", ["1.0", "1.5"])
def test_inactive_user_is_refused(client, user, campaigns, existing, version):
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    before = database()

    response = refused_request(client, API=version, user_api_key=API_KEY)

    assert_refused(response)
    assert database() == before


def test_revoked_api_key_is_refused(client, user, campaigns, existing):
    ApiKey.objects.update(revoked_at=timezone.now())
    before = database()

    response = refused_request(client, API="1.5", user_api_key=API_KEY)

    assert_refused(response)
    assert database() == before


def test_refusal_in_xml_is_the_error_envelope(client, user, campaigns):
    params = batch_params(data="C1|Ann", user_password=WRONG_SECRET)

    response = client.post("/api", params)

    assert response.status_code == 401
    root = etree.fromstring(response.content)
    assert (root.tag, root.attrib, [child.tag for child in root]) == (
        "response",
        {"status": "error"},
        ["error"],
    )
    assert root.findtext("error") == INVALID_CREDENTIALS


@pytest.mark.parametrize("identifier", ["greatwidgets", "1000000000000001"])
def test_account_id_is_the_slug_or_the_16_digit_owner_id(post_batch, account, identifier):
    response = post_batch(data="C1|Ann", account_id=identifier, output="JSON")

    assert response.status_code == 200
    assert Customer.objects.get().account == account


def test_repeated_failures_are_throttled_with_retry_after(client, user, campaigns, small_limit):
    for _ in range(LIMIT):
        assert_refused(refused_request(client, user_password=WRONG_SECRET))

    response = refused_request(client, user_password=WRONG_SECRET)

    assert response.status_code == 429
    assert body(response) == {"status": "error", "error": THROTTLED}
    assert response["Retry-After"] == "300"


def test_failures_below_the_limit_are_not_throttled(client, user, campaigns, small_limit):
    for _ in range(LIMIT - 1):
        assert_refused(refused_request(client, user_password=WRONG_SECRET))

    response = refused_request(client)

    assert response.status_code == 200
    assert Customer.objects.get().first_name == "New"


def test_a_throttled_request_imports_nothing_even_with_correct_credentials(
    client, user, campaigns, existing, small_limit
):
    for _ in range(LIMIT):
        assert_refused(refused_request(client, user_password=WRONG_SECRET))
    before = database()

    response = refused_request(client)

    assert response.status_code == 429
    assert body(response) == {"status": "error", "error": THROTTLED}
    assert database() == before


@pytest.mark.parametrize("output", ["XML", "JSON"])
@pytest.mark.parametrize(
    "secret",
    [{"user_password": WRONG_SECRET}, {"API": "1.5", "user_api_key": WRONG_SECRET}],
    ids=["password", "api key"],
)
def test_a_refusal_never_echoes_the_secret(client, user, campaigns, output, secret):
    params = batch_params(data="C1|Ann", output=output, **secret)

    response = client.post("/api", params)

    assert response.status_code == 401
    assert WRONG_SECRET.encode() not in response.content


@pytest.mark.parametrize("output", ["XML", "JSON"])
def test_a_success_never_echoes_the_secret(post_batch, output):
    response = post_batch(data="C1|Ann", output=output)
    response_15 = post_batch(**v15(profiles_data="C2|Bob", output=output))

    assert (response.status_code, response_15.status_code) == (200, 200)
    assert PASSWORD.encode() not in response.content
    assert API_KEY.encode() not in response_15.content


GUESSER = "203.0.113.66"
OWNER = "198.51.100.20"


def guess(client, address: str = GUESSER, **extra):
    """A wrong password for the demo user id, sent from `address`."""
    return refused_request(client, user_password=WRONG_SECRET, address=address, **extra)


def test_wrong_passwords_from_other_addresses_do_not_lock_the_owner_out(
    client, user, campaigns, existing, small_limit
):
    for number in range(LIMIT * 2):
        assert_refused(guess(client, f"203.0.113.{number}"))

    by_password = refused_request(client, address=OWNER)
    params = batch_params(**v15(output="JSON", overwrite_duplicates="update"))
    by_key = client.post("/api", params, REMOTE_ADDR=OWNER)

    assert (by_password.status_code, by_key.status_code) == (200, 200)
    assert body(by_password)["batch"]["customers"]["updated"] == 1
    assert body(by_key)["batch"]["customers"]["updated"] == 1
    assert Customer.objects.get().first_name == "Ann"


def test_the_guessing_address_is_throttled_with_retry_after(client, user, campaigns, small_limit):
    for _ in range(LIMIT):
        assert_refused(guess(client))

    response = guess(client)
    another_user_id = guess(client, user_id="jane1980")

    assert (response.status_code, another_user_id.status_code) == (429, 429)
    assert body(response) == {"status": "error", "error": THROTTLED}
    assert response["Retry-After"] == "300"
    assert refused_request(client, address=OWNER).status_code == 200


def test_a_valid_api_key_is_accepted_from_an_address_at_the_limit(
    client, user, campaigns, existing, small_limit
):
    for _ in range(LIMIT):
        assert_refused(guess(client, OWNER))
    assert guess(client, OWNER).status_code == 429

    response = refused_request(client, API="1.5", user_api_key=API_KEY, address=OWNER)

    assert response.status_code == 200
    assert Customer.objects.get().first_name == "New"


def test_a_valid_api_key_header_is_accepted_from_an_address_at_the_limit(
    client, user, campaigns, small_limit
):
    for _ in range(LIMIT):
        assert_refused(guess(client, OWNER))
    params = batch_params(**v15(user_api_key=None, output="JSON"))

    response = client.post("/api", params, HTTP_API_ACCESS_KEY=API_KEY, REMOTE_ADDR=OWNER)

    assert response.status_code == 200


@pytest.mark.parametrize("wrong_key", [WRONG_SECRET, ""], ids=["wrong key", "empty key"])
def test_a_wrong_api_key_counts_as_a_failure_and_is_throttled(
    client, user, campaigns, existing, small_limit, wrong_key
):
    wrong = {"API": "1.5", "user_api_key": wrong_key, "address": GUESSER}
    for _ in range(LIMIT):
        assert_refused(refused_request(client, **wrong))
    before = database()

    by_key = refused_request(client, **wrong)
    by_password = refused_request(client, address=GUESSER)

    assert (by_key.status_code, by_password.status_code) == (429, 429)
    assert by_key["Retry-After"] == "300"
    assert body(by_key) == {"status": "error", "error": THROTTLED}
    assert database() == before
    assert refused_request(client, API="1.5", user_api_key=API_KEY).status_code == 200


def test_a_valid_key_that_may_not_import_is_still_throttled(
    client, user, campaigns, existing, small_limit
):
    Membership.objects.filter(user=user).update(role=Membership.Role.STAFF)
    for _ in range(LIMIT):
        assert_refused(refused_request(client, API="1.5", user_api_key=API_KEY))

    response = refused_request(client, API="1.5", user_api_key=API_KEY)

    assert response.status_code == 429


@pytest.mark.parametrize("secret", ["user_api_key", "user_password"])
def test_an_unknown_api_version_is_a_parameter_error_before_any_credential_is_tried(
    client, user, campaigns, secret
):
    params = batch_params(data="C1|Ann", API="2", output="JSON", user_password=None)
    params[secret] = API_KEY if secret == "user_api_key" else PASSWORD

    response = client.post("/api", params)

    assert response.status_code == 400
    assert body(response)["error"] == m.UNKNOWN_API_VERSION.format(value="2")
    assert not AuthFailure.objects.exists()
    assert not Customer.objects.exists()
