"""The admin login is throttled with the API's policy (django-axes, accounts/admin_login.py):
per (username, address) and per address, the API's limit and window, and one count for both
doors. Through Django's test client, posting the login form as a browser does."""

import datetime

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.contrib.auth import get_user_model
from django.db.models import F

from accounts.admin_login import LOCKED_OUT
from accounts.credentials import THROTTLED
from accounts.models import AuthFailure
from tests.conftest import API_KEY, PASSWORD, USER_ID, batch_params, post_admin_login

LIMIT = 10
WINDOW = 300
STAFF = "staffer"
GUESSER = "203.0.113.66"
OTHER = "198.51.100.20"
WRONG = "wrong-password-7a1c9e"


@pytest.fixture(autouse=True)
def _no_attempts_left_over(db):
    """Axes keeps its attempts in the database: none from another test, none left behind."""
    reset()
    yield
    reset()


@pytest.fixture
def limit(settings):
    settings.LOYALTY = {
        **settings.LOYALTY,
        "AUTH_FAILURE_LIMIT": LIMIT,
        "AUTH_FAILURE_WINDOW_SECONDS": WINDOW,
        # These tests pin the per-address limits; the slow-down across addresses has its
        # own tests (tests/reliability/test_user_slowdown.py).
        "USER_SLOWDOWN_AFTER": 1000,
    }


@pytest.fixture
def staff(staff_user):
    return staff_user(username=STAFF)


def log_in(client, password=PASSWORD, *, username=STAFF, address=GUESSER):
    return post_admin_login(client, username=username, password=password, address=address)


def assert_logged_in(response, client, user) -> None:
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.session["_auth_user_id"] == str(user.pk)


def assert_locked_out(response, client) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == str(WINDOW)
    assert LOCKED_OUT.format(minutes=WINDOW // 60) in response.content.decode()
    assert "_auth_user_id" not in client.session


def assert_wrong_password(response, client) -> None:
    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_thirty_wrong_passwords_then_the_right_one_is_refused(client, staff, limit):
    answers = [log_in(client, WRONG) for _ in range(30)]

    response = log_in(client)

    for answer in answers[: LIMIT - 1]:
        assert_wrong_password(answer, client)
    for answer in answers[LIMIT - 1 :]:
        assert answer.status_code == 429
    assert_locked_out(response, client)
    # Attempts refused while locked out are not failures: the block ends on time.
    assert AccessAttempt.objects.get().failures_since_start == LIMIT


def test_another_address_is_not_locked_out(client, staff, limit):
    for _ in range(30):
        log_in(client, WRONG)

    response = log_in(client, address=OTHER)

    assert_logged_in(response, client, staff)


def test_failures_below_the_limit_do_not_lock_out(client, staff, limit):
    for _ in range(LIMIT - 1):
        assert_wrong_password(log_in(client, WRONG), client)

    assert_logged_in(log_in(client), client, staff)


def test_one_address_guessing_many_usernames_is_locked_out(client, staff, limit):
    for number in range(LIMIT):
        log_in(client, WRONG, username=f"guess{number}")

    assert_locked_out(log_in(client), client)


def test_the_lockout_ends_with_the_window(client, staff, limit):
    for _ in range(LIMIT):
        log_in(client, WRONG)
    assert_locked_out(log_in(client), client)
    passed = datetime.timedelta(seconds=WINDOW)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - passed)  # time passes
    AuthFailure.objects.update(window_started=F("window_started") - passed)

    assert_logged_in(log_in(client), client, staff)


def test_the_lockout_page_is_the_admins(client, staff, limit):
    for _ in range(LIMIT):
        log_in(client, WRONG)

    page = log_in(client).content.decode()

    assert 'id="site-name"' in page
    assert 'href="/admin/login/"' in page


def test_admin_failures_throttle_the_api_for_that_address(client, user, campaigns, limit):
    for _ in range(LIMIT):
        log_in(client, WRONG, username=USER_ID)

    api = client.post("/api", batch_params(data="C1|Ann", output="JSON"), REMOTE_ADDR=GUESSER)
    elsewhere = client.post("/api", batch_params(data="C2|Bob"), REMOTE_ADDR=OTHER)

    assert (api.status_code, api.json()) == (429, {"status": "error", "error": THROTTLED})
    assert elsewhere.status_code == 200


def test_a_valid_api_key_is_accepted_after_an_admin_lockout(client, user, campaigns, limit):
    for _ in range(LIMIT):
        log_in(client, WRONG, username=USER_ID)
    params = batch_params(
        data=None,
        user_password=None,
        API="1.5",
        user_api_key=API_KEY,
        profiles_data="C1|Ann",
        output="JSON",
    )

    response = client.post("/api", params, REMOTE_ADDR=GUESSER)

    assert response.status_code == 200


def test_api_failures_lock_the_admin_for_that_address(client, staff, campaigns, limit):
    wrong = batch_params(data="C1|Ann", user_id=STAFF, user_password=WRONG, output="JSON")
    for _ in range(LIMIT):
        assert client.post("/api", wrong, REMOTE_ADDR=GUESSER).status_code == 401

    assert_locked_out(log_in(client), client)
    assert_logged_in(log_in(client, address=OTHER), client, staff)


def test_a_success_resets_nothing(client, staff, limit):
    for _ in range(LIMIT - 1):
        log_in(client, WRONG)
    assert_logged_in(log_in(client), client, staff)
    client.logout()

    log_in(client, WRONG)

    assert_locked_out(log_in(client), client)


def test_the_superuser_login_of_the_demo_is_throttled_too(client, limit):
    admin = get_user_model().objects.create_superuser("admin", password="admin")
    for _ in range(LIMIT):
        log_in(client, WRONG, username="admin")

    assert_locked_out(log_in(client, "admin", username="admin"), client)
    assert_logged_in(log_in(client, "admin", username="admin", address=OTHER), client, admin)


def all_axes_rows_as_text() -> str:
    from axes.models import AccessFailureLog, AccessLog

    rows = [
        *AccessAttempt.objects.values(),
        *AccessLog.objects.values(),
        *AccessFailureLog.objects.values(),
    ]
    return repr(rows)


def test_no_axes_table_holds_the_typed_username_or_the_address(client, staff, limit, settings):
    settings.AXES_ENABLE_ACCESS_FAILURE_LOG = True
    typed = "MyPassword-In-The-Username-Field"
    for _ in range(3):
        log_in(client, WRONG, username=typed)
        log_in(client, WRONG)
    log_in(client, address=OTHER)  # a success, in axes's access log

    stored = all_axes_rows_as_text()
    assert AccessAttempt.objects.count() == 2
    for value in (typed, typed.casefold(), STAFF, GUESSER, OTHER):
        assert value not in stored


def test_the_lockout_still_counts_per_username_and_address_and_per_address(client, staff, limit):
    for _ in range(LIMIT):
        log_in(client, WRONG)

    assert_locked_out(log_in(client), client)  # the pair, and the address
    assert_logged_in(log_in(client, address=OTHER), client, staff)  # another address
