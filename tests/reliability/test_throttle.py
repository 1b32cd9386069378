"""Throttling of failed logins holds under concurrency and across processes: failures are
counted in the database (accounts/throttle.py), so N workers do not multiply the limit and
attempts that run at the same time cannot slip past it."""

import datetime
import time
from collections import Counter

import pytest
from django.contrib.auth.models import AbstractBaseUser, User
from django.core.cache import cache
from django.db.models import F

from accounts import throttle
from accounts.credentials import INVALID_CREDENTIALS, THROTTLED, authenticate_importer
from accounts.models import AuthFailure
from core.errors import NotAuthenticated, Throttled
from tests.conftest import PASSWORD, USER_ID

from .conftest import form, run_together

LIMIT = 10
ATTEMPTS = 20
ADDRESS = "192.0.2.10"
WINDOW = 300


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
def slow_check(monkeypatch):
    """Each password check takes 50 ms, so that concurrent attempts really overlap."""
    original = AbstractBaseUser.check_password

    def slow(user, raw_password):
        time.sleep(0.05)
        return original(user, raw_password)

    monkeypatch.setattr(User, "check_password", slow)


def login(password: str = PASSWORD, *, address: str = ADDRESS) -> int:
    """The HTTP status authenticate_importer's answer would have."""
    try:
        authenticate_importer(
            user_id=USER_ID,
            password=password,
            api_key=None,
            account_identifier="greatwidgets",
            client_address=address,
        )
    except NotAuthenticated as error:
        assert error.message == INVALID_CREDENTIALS
        return 401
    except Throttled as error:
        assert error.message == THROTTLED
        return 429
    return 200


def counters() -> list[tuple[str, int, int]]:
    """(kind, failures, checking) of every counter."""
    rows = AuthFailure.objects.order_by("subject").values_list("subject", "failures", "checking")
    return [(subject.split(":")[0], failures, checking) for subject, failures, checking in rows]


def test_failures_are_counted_in_the_database_not_in_the_process_cache(user, limit):
    statuses = [login("wrong") for _ in range(LIMIT)]
    cache.clear()  # what another worker process sees: an empty cache of its own

    assert statuses == [401] * LIMIT
    assert login() == 429
    assert counters() == [("address", LIMIT, 0), ("pair", LIMIT, 0)]


def test_the_counters_hold_neither_the_user_id_nor_the_address(user, limit):
    login("wrong")

    subjects = " ".join(AuthFailure.objects.values_list("subject", flat=True))
    assert USER_ID not in subjects and ADDRESS not in subjects
    assert "wrong" not in subjects


def test_a_throttled_attempt_is_not_counted_as_a_failure(user, limit):
    for _ in range(LIMIT):
        login("wrong")

    assert [login("wrong") for _ in range(5)] == [429] * 5
    assert counters() == [("address", LIMIT, 0), ("pair", LIMIT, 0)]


def test_a_success_leaves_no_trace_in_the_counters(user, limit):
    login("wrong")
    assert login() == 200

    assert counters() == [("address", 1, 0), ("pair", 1, 0)]


def test_retry_after_says_what_is_left_of_the_window(user, limit):
    for _ in range(LIMIT):
        login("wrong")
    AuthFailure.objects.update(window_started=F("window_started") - datetime.timedelta(seconds=100))

    with pytest.raises(Throttled) as caught:
        authenticate_importer(
            user_id=USER_ID,
            password=PASSWORD,
            api_key=None,
            account_identifier="greatwidgets",
            client_address=ADDRESS,
        )

    assert caught.value.retry_after == WINDOW - 100


def test_a_new_window_starts_from_zero_and_old_counters_are_removed(user, limit):
    for _ in range(LIMIT):
        login("wrong")
    login("wrong", address="198.51.100.7")
    AuthFailure.objects.update(
        window_started=F("window_started") - datetime.timedelta(seconds=WINDOW)
    )

    assert login("wrong") == 401

    # The failure restarted its address's and pair's counters and removed the other
    # address's and pair's, which had expired.
    assert counters() == [("address", 1, 0), ("pair", 1, 0)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_passwords_fail_at_most_limit_times(user, limit, slow_check):
    statuses = run_together([lambda: login("wrong")] * ATTEMPTS)

    assert Counter(statuses) == {401: LIMIT, 429: ATTEMPTS - LIMIT}
    assert counters() == [("address", LIMIT, 0), ("pair", LIMIT, 0)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_right_passwords_beyond_the_limit_wait_instead_of_failing(
    user, limit, slow_check
):
    statuses = run_together([login] * ATTEMPTS)

    assert statuses == [200] * ATTEMPTS
    assert counters() == [("address", 0, 0), ("pair", 0, 0)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_from_many_addresses_count_per_address_and_spare_the_owner(
    user, limit, slow_check
):
    jobs = [lambda n=n: login("wrong", address=f"203.0.113.{n}") for n in range(ATTEMPTS)]

    statuses = run_together(jobs)

    assert statuses == [401] * ATTEMPTS
    assert Counter(counters()) == {("address", 1, 0): ATTEMPTS, ("pair", 1, 0): ATTEMPTS}
    assert login() == 200


def test_wrong_passwords_across_worker_processes_fail_at_most_limit_times(server):
    """The server runs 4 worker processes (default limit 10); every request comes from
    127.0.0.1 at the same time."""
    limit = 10
    wrong = form("C1|Ann", user_password="wrong")

    answers = run_together([lambda: server.post(wrong)] * ATTEMPTS)

    statuses = Counter(answer.status for answer in answers)
    assert statuses == {401: limit, 429: ATTEMPTS - limit}
    assert all(a.headers.get("Retry-After") for a in answers if a.status == 429)
    rows = server.database.query(
        "SELECT failures, checking FROM accounts_authfailure ORDER BY subject"
    )
    assert rows == [(limit, 0), (limit, 0)]
    assert server.database.count("customers_customer") == 0


def test_checks_left_running_by_a_killed_worker_hold_up_only_until_the_window_ends(
    user, limit, monkeypatch
):
    login("wrong")
    # Ten checks that never finish: their worker processes were killed in the middle.
    AuthFailure.objects.update(checking=LIMIT)
    monkeypatch.setattr(throttle, "WAIT_DEADLINE_SECONDS", 0.2)

    with pytest.raises(Throttled) as caught:
        authenticate_importer(
            user_id=USER_ID,
            password=PASSWORD,
            api_key=None,
            account_identifier="greatwidgets",
            client_address=ADDRESS,
        )
    assert caught.value.retry_after == 1
    AuthFailure.objects.update(
        window_started=F("window_started") - datetime.timedelta(seconds=WINDOW)
    )

    assert login() == 200
