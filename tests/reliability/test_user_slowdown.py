"""One user id's password checks are slowed down across all addresses (accounts/slowdown.py),
at the API and the admin login, and client addresses are counted by their block (an IPv6
/64, core.client_address.counted_address). Through HTTP with Django's test client; time is
frozen and moved by hand (freezegun), so no test sleeps."""

from collections import Counter

import pytest
from axes.utils import reset
from django.test import Client, override_settings
from freezegun import freeze_time

from accounts import slowdown
from accounts.admin_login import LOCKED_OUT, SLOWED_DOWN
from accounts.credentials import THROTTLED
from loyalty.settings import LOYALTY as DEFAULTS
from tests.conftest import API_KEY, PASSWORD, USER_ID, batch_params, post_admin_login

from .conftest import run_together

LIMIT = 3  # per (user id, address) and per address
AFTER = 3  # checks of one user id, from any addresses, before the slow-down
WINDOW = 30
FIRST_DELAY = 1
MAX_DELAY = 4
WRONG = "wrong-password-7a1c9e"
OWNER = "198.51.100.20"
START = "2026-12-01 10:00:00"


@pytest.fixture(autouse=True)
def _policy(settings, db):
    settings.LOYALTY = {
        **settings.LOYALTY,
        "AUTH_FAILURE_LIMIT": LIMIT,
        "USER_SLOWDOWN_AFTER": AFTER,
        "USER_SLOWDOWN_WINDOW_SECONDS": WINDOW,
        "USER_SLOWDOWN_FIRST_DELAY_SECONDS": FIRST_DELAY,
        "USER_SLOWDOWN_MAX_DELAY_SECONDS": MAX_DELAY,
    }
    reset()  # axes keeps its attempts in the database
    yield
    reset()


@pytest.fixture
def clock():
    with freeze_time(START) as frozen:
        yield frozen


@pytest.fixture
def no_slowdown(settings):
    settings.LOYALTY = {**settings.LOYALTY, "USER_SLOWDOWN_AFTER": 1000}


def address(number: int) -> str:
    """A new IPv4 address for each number: a guesser rotating addresses."""
    return f"10.{number // 65536 % 256}.{number // 256 % 256}.{number % 256}"


def api(client, password=PASSWORD, *, at=OWNER, user_id=USER_ID, **extra):
    params = batch_params(data="C1|Ann", user_id=user_id, user_password=password, output="JSON")
    return client.post("/api", {**params, **extra}, REMOTE_ADDR=at)


def api_key(client, *, at):
    params = batch_params(
        data=None,
        user_password=None,
        API="1.5",
        user_api_key=API_KEY,
        profiles_data="C1|Ann",
        output="JSON",
    )
    return client.post("/api", params, REMOTE_ADDR=at)


def guesses(client, count: int, *, first: int = 0) -> list[int]:
    """Wrong passwords for the demo user id, each from a new address; their statuses."""
    return [api(client, WRONG, at=address(first + n)).status_code for n in range(count)]


def assert_slowed(response, seconds: int) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == str(seconds)
    assert response.json() == {"status": "error", "error": THROTTLED}


def test_guesses_of_one_user_id_from_ever_new_addresses_are_slowed_down(
    client, user, campaigns, clock
):
    statuses = guesses(client, 10)

    assert statuses == [401] * AFTER + [429] * (10 - AFTER)
    assert_slowed(api(client, WRONG, at=address(99)), FIRST_DELAY)


def test_each_check_past_the_limit_waits_a_doubling_delay_up_to_the_longest(client, user, clock):
    guesses(client, AFTER)
    retry_afters = []
    for number in range(5):
        refused = api(client, WRONG, at=address(100 + number))
        assert refused.status_code == 429
        retry_afters.append(int(refused["Retry-After"]))
        clock.tick(retry_afters[-1])
        assert api(client, WRONG, at=address(200 + number)).status_code == 401

    assert retry_afters == [1, 2, 4, 4, 4]


def test_the_guessing_rate_per_user_id_is_bounded_whatever_the_number_of_addresses(
    client, user, clock
):
    """A guess from a new address every half second for a whole window: no more are
    checked than most_checks_per_window() says; the default policy's bound is the one
    docs/reliability.md gives (133 an hour)."""
    statuses = []
    for number in range(2 * WINDOW):
        statuses.append(api(client, WRONG, at=address(number)).status_code)
        clock.tick(0.5)

    assert Counter(statuses)[401] == slowdown.most_checks_per_window()
    # The window's first AFTER, then delays of 1 and 2 s, then one every MAX_DELAY s.
    assert slowdown.most_checks_per_window() == AFTER + 2 + len(range(7, WINDOW, MAX_DELAY))
    with override_settings(LOYALTY=DEFAULTS):
        assert slowdown.most_checks_per_window() == 133


def test_a_new_window_starts_without_delay(client, user, campaigns, clock):
    guesses(client, 10)
    clock.tick(WINDOW)

    assert guesses(client, AFTER, first=100) == [401] * AFTER


def test_the_owner_logs_in_at_once_from_an_address_it_logged_in_from(
    client, user, campaigns, clock
):
    assert api(client).status_code == 200
    guesses(client, 20)

    assert api(client).status_code == 200
    assert api(client, WRONG).status_code == 401  # the owner's own typo is still checked


def test_the_owner_from_a_new_address_gets_in_once_the_delay_is_over(
    client, user, campaigns, clock
):
    guesses(client, AFTER)

    slowed = api(client, at="192.0.2.50")
    clock.tick(int(slowed["Retry-After"]))
    response = api(client, at="192.0.2.50")

    assert_slowed(slowed, FIRST_DELAY)
    assert response.status_code == 200
    assert response.json()["batch"]["customers"]["new"] == 1


def test_a_valid_api_key_is_never_slowed_down(client, user, campaigns, clock):
    guesses(client, 10)

    assert api_key(client, at="192.0.2.51").status_code == 200


def test_a_remembered_password_is_not_answered_before_its_turn(client, user, campaigns, clock):
    """The owner's success is remembered (no slow hash for a while): a guesser's right
    guess from elsewhere must still wait, or 200 against 429 would tell it apart."""
    assert api(client).status_code == 200
    guesses(client, AFTER)

    assert_slowed(api(client, at="192.0.2.52"), FIRST_DELAY)


def test_user_ids_are_slowed_down_whatever_their_case(client, user, campaigns, clock):
    for number in range(AFTER):
        api(client, WRONG, at=address(number), user_id=USER_ID.upper())

    assert_slowed(api(client, WRONG, at=address(50)), FIRST_DELAY)


def test_other_user_ids_are_not_slowed_down(client, user, campaigns, clock):
    guesses(client, 10)

    assert api(client, WRONG, at=address(50), user_id="someone-else").status_code == 401


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_guesses_from_many_addresses_take_one_turn_each(user, campaigns, settings):
    """20 guesses at once from 20 addresses, through 20 connections: exactly AFTER are
    checked, whatever the interleaving (the delay is long, so no turn comes back)."""
    settings.LOYALTY = {**settings.LOYALTY, "USER_SLOWDOWN_FIRST_DELAY_SECONDS": 600}
    jobs = [lambda n=n: api(Client(), WRONG, at=address(n)).status_code for n in range(20)]

    statuses = run_together(jobs)

    assert Counter(statuses) == {401: AFTER, 429: 20 - AFTER}


# The admin login.

STAFF = "staffer"


@pytest.fixture
def staff(staff_user):
    return staff_user(username=STAFF)


def log_in(client, password=PASSWORD, *, username=STAFF, at=OWNER):
    return post_admin_login(client, username=username, password=password, address=at)


def admin_guesses(client, count: int, *, username=STAFF, first: int = 0) -> list[int]:
    return [
        log_in(client, WRONG, username=username, at=address(first + n)).status_code
        for n in range(count)
    ]


def test_admin_guesses_from_ever_new_addresses_are_slowed_down(client, staff, clock):
    statuses = admin_guesses(client, 10)

    page = log_in(client, WRONG, at=address(99))

    assert statuses == [200] * AFTER + [429] * (10 - AFTER)  # 200: the form again
    assert page.status_code == 429
    assert page["Retry-After"] == str(FIRST_DELAY)
    assert SLOWED_DOWN.format(seconds=FIRST_DELAY) in page.content.decode()


def test_staff_log_in_at_once_from_where_they_logged_in_and_elsewhere_after_the_delay(
    client, staff, clock
):
    assert log_in(client).status_code == 302
    client.logout()
    admin_guesses(client, 10)

    at_once = log_in(client)
    client.logout()
    elsewhere = log_in(client, at="192.0.2.60")
    clock.tick(int(elsewhere["Retry-After"]))
    later = log_in(client, at="192.0.2.60")

    assert at_once.status_code == 302
    assert elsewhere.status_code == 429
    assert (later.status_code, later["Location"]) == (302, "/admin/")


def test_both_doors_share_one_slowdown(client, staff, clock):
    for number in range(AFTER):
        api(client, WRONG, at=address(number), user_id=STAFF)

    assert log_in(client, WRONG, at=address(50)).status_code == 429
    assert api(client, WRONG, at=address(51), user_id=STAFF).status_code == 429


# Client addresses by their block.

SAME_64 = [f"2001:db8:7:1::{n:x}" for n in range(1, 40)]


def test_ipv6_addresses_of_one_64_share_one_counter_at_the_api(
    client, user, campaigns, no_slowdown
):
    statuses = [api(client, WRONG, at=at).status_code for at in SAME_64[:LIMIT]]

    assert statuses == [401] * LIMIT
    assert api(client, at="2001:db8:7:1:ffff:ffff:ffff:ffff").status_code == 429
    assert api(client, WRONG, at="2001:db8:7:1::99", user_id="other").status_code == 429
    assert api(client, at="2001:db8:7:2::1").status_code == 200  # the next /64


def test_an_ipv4_mapped_address_is_counted_as_its_ipv4_address(
    client, user, campaigns, no_slowdown
):
    for _ in range(LIMIT):
        api(client, WRONG, at="::ffff:192.0.2.77")

    assert api(client, at="192.0.2.77").status_code == 429


def test_ipv6_addresses_of_one_64_share_one_counter_at_the_admin_login(client, staff, no_slowdown):
    for at in SAME_64[:LIMIT]:
        log_in(client, WRONG, at=at)

    locked = log_in(client, at=SAME_64[LIMIT])
    other_64 = log_in(client, at="2001:db8:7:2::1")

    assert locked.status_code == 429
    assert LOCKED_OUT.format(minutes=5) in locked.content.decode()
    assert other_64.status_code == 302
