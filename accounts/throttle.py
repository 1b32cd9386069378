"""Throttling of failed credential checks, per (user id, client address) and per client
address, counted in the database so that the limit holds across threads, worker processes
and servers.

The counters slow down the guesser, not the account's owner: failures of a user id sent from
other addresses count against those addresses only, so nobody can lock an integration out
by knowing its user id (django-axes' lockout parameters [["username", "ip_address"],
"ip_address"] are the same model).

Each counter (an AuthFailure row) holds the failures of its window and the checks running
now. An attempt joins the counters of its request with one atomic upsert, which restarts a
counter whose window has passed and returns each as it is after joining. The attempt is
throttled when a counter already has AUTH_FAILURE_LIMIT failures; it waits while failures
plus running checks would exceed the limit; otherwise it checks the credentials, and a
failure is added to the counters. So however many attempts come at once, from however
many processes, no more than AUTH_FAILURE_LIMIT checks per counter and window can fail,
and concurrent successes only wait a moment instead of being refused.
"""

from __future__ import annotations

import datetime
import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac

from core.client_address import counted_address

from .models import AuthFailure

_SUBJECT_SALT = "accounts.throttle.subject"
# While too many checks of one counter run at once, an attempt looks again this often, and
# gives up (throttled, retry at once) after the deadline.
WAIT_STEP_SECONDS = 0.02
WAIT_DEADLINE_SECONDS = 10


class Throttled(Exception):
    """A counter of the attempt is at the limit; `retry_after` is how many seconds are left
    of its window."""

    def __init__(self, retry_after: int):
        super().__init__(f"throttled for {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Slot:
    subject: str
    # As the database returned it, so the slot is given back to the window it was taken in.
    window_started: object


class Attempt:
    """One credential check inside `attempt()`: call `failed()` when the credentials are wrong."""

    def __init__(self) -> None:
        self.is_failure = False

    def failed(self) -> None:
        self.is_failure = True


@contextmanager
def attempt(*, user_id: str, client_address: str) -> Iterator[Attempt]:
    """Run the block (the credential check) as a counted attempt; Throttled, before the
    block runs, when the user id from this address, or this address, has failed too often
    this window."""
    slots = _join(_subjects(user_id, client_address))
    check = Attempt()
    try:
        yield check
    finally:
        if check.is_failure:
            _count_failure(slots)
        else:
            _leave(slots)


def refuse_if_throttled(*, user_id: str, client_address: str) -> None:
    """Throttled when a counter of (user id, address) or of the address is at the limit.
    Only reads: for checks that run nothing slow (a remembered verification, an API key
    lookup)."""
    sql, params = full_counters_query(user_id=user_id, client_address=client_address)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        (oldest_full,) = cursor.fetchone()
    refuse_if_full(oldest_full)


def full_counters_query(*, user_id: str, client_address: str) -> tuple[str, list]:
    """A scalar subquery and its parameters: when the oldest counter of (user id, address)
    or of the address that is at the limit started its window, NULL when none is. Plain SQL, to read
    in the statement that finds the user (accounts.selectors): every API request asks it,
    and a statement of its own is one more round trip, parse and plan per request."""
    subjects = _subjects(user_id, client_address)
    if not subjects:
        return "NULL", []
    limit = settings.LOYALTY["AUTH_FAILURE_LIMIT"]
    window = settings.LOYALTY["AUTH_FAILURE_WINDOW_SECONDS"]
    expired = timezone.now() - datetime.timedelta(seconds=window)
    table = connection.ops.quote_name(AuthFailure._meta.db_table)
    places = ", ".join(["%s"] * len(subjects))
    sql = (
        f"(SELECT MIN(window_started) FROM {table} WHERE subject IN ({places}) "
        "AND window_started > %s AND failures >= %s)"
    )
    return sql, [*subjects, connection.ops.adapt_datetimefield_value(expired), limit]


def refuse_if_full(oldest_full) -> None:
    """Throttled, retry after what is left of its window, when `oldest_full` (the value of
    full_counters_query) is not NULL."""
    if oldest_full is None:
        return
    window = settings.LOYALTY["AUTH_FAILURE_WINDOW_SECONDS"]
    elapsed = (timezone.now() - _as_datetime(oldest_full)).total_seconds()
    raise Throttled(max(1, math.ceil(window - elapsed)))


def record_failure(*, user_id: str, client_address: str) -> None:
    """Count a failed check that ran outside attempt()."""
    window = settings.LOYALTY["AUTH_FAILURE_WINDOW_SECONDS"]
    now = timezone.now()
    subjects = _subjects(user_id, client_address)
    counters = _join_counters(subjects, now, now - datetime.timedelta(seconds=window))
    _count_failure([_Slot(subject, started) for subject, _, _, started in counters])


def _subjects(user_id: str, client_address: str) -> list[str]:
    """The counters of an attempt, always in this order: PostgreSQL locks rows in it. The
    address's, then the pair's (user ids compared case-insensitively); never the user id's
    alone, which anyone who knows it could fill (accounts/slowdown.py slows a user id down
    across addresses instead, never refusing it outright). An address is counted by its
    block (core.client_address.counted_address: an IPv6 /64)."""
    client_address = counted_address(client_address)
    values = []
    if client_address:
        values.append(("address", client_address))
    if user_id:
        values.append(("pair", json.dumps([user_id.casefold(), client_address])))
    return [f"{kind}:{keyed(value)}" for kind, value in values]


def keyed(value: str) -> str:
    """An HMAC of `value` (keyed with DJANGO_SECRET_KEY), as hex: what a counter stores
    instead of a user id or an address, here and in the admin login's (admin_login.py)."""
    return salted_hmac(_SUBJECT_SALT, value, algorithm="sha256").hexdigest()


def _join(subjects: list[str]) -> list[_Slot]:
    limit = settings.LOYALTY["AUTH_FAILURE_LIMIT"]
    window = settings.LOYALTY["AUTH_FAILURE_WINDOW_SECONDS"]
    deadline = time.monotonic() + WAIT_DEADLINE_SECONDS
    while True:
        now = timezone.now()
        counters = _join_counters(subjects, now, now - datetime.timedelta(seconds=window))
        slots = [_Slot(subject, started) for subject, _, _, started in counters]
        full = [started for _, failures, _, started in counters if failures >= limit]
        crowded = any(failures + checking > limit for _, failures, checking, _ in counters)
        if not full and not crowded:
            return slots
        _leave(slots)
        if full:
            elapsed = max((now - _as_datetime(started)).total_seconds() for started in full)
            raise Throttled(max(1, math.ceil(window - elapsed)))
        if time.monotonic() > deadline:
            raise Throttled(1)
        # Checks of this counter running elsewhere may all fail: wait for their outcome.
        time.sleep(WAIT_STEP_SECONDS)


def _join_counters(
    subjects: list[str], now: datetime.datetime, expired: datetime.datetime
) -> list[tuple]:
    """(subject, failures, checking, window_started) of each counter with this attempt
    among its running checks. One statement: concurrent attempts each see the others. A
    counter whose window has passed starts again, forgetting checks still running from
    before (a worker killed in the middle of a check cannot hold its place for ever)."""
    if not subjects:
        return []
    stamp = connection.ops.adapt_datetimefield_value(now)
    cutoff = connection.ops.adapt_datetimefield_value(expired)
    restart = "{t}.window_started <= %s"
    returned = _upsert(
        [(subject, 0, 1, stamp) for subject in subjects],
        f"failures = CASE WHEN {restart} THEN 0 ELSE {{t}}.failures END, "
        f"checking = CASE WHEN {restart} THEN 1 ELSE {{t}}.checking + 1 END, "
        f"window_started = CASE WHEN {restart} THEN excluded.window_started "
        f"ELSE {{t}}.window_started END",
        [cutoff] * 3,
        returning="subject, failures, checking, window_started",
    )
    by_subject = {row[0]: row for row in returned}
    return [by_subject[subject] for subject in subjects]


def _leave(slots: list[_Slot]) -> None:
    """The slots' checks are over without a failure."""
    if slots:
        _upsert([(slot.subject, 0, 0, slot.window_started) for slot in slots], _LEAVE)


def _count_failure(slots: list[_Slot]) -> None:
    """The failure counts in the counter's current window, even if it started again while
    the check ran; the check leaves only the window it joined."""
    if slots:
        rows = [(slot.subject, 1, 0, slot.window_started) for slot in slots]
        _upsert(rows, "failures = {t}.failures + 1, " + _LEAVE)
    # Counters whose window has passed count nothing any more; only failures pay for this.
    window = settings.LOYALTY["AUTH_FAILURE_WINDOW_SECONDS"]
    expired = timezone.now() - datetime.timedelta(seconds=window)
    AuthFailure.objects.filter(window_started__lte=expired).delete()


# A check leaves the running checks of the window it joined, not of a later one.
_LEAVE = (
    "checking = CASE WHEN {t}.window_started = excluded.window_started AND {t}.checking > 0 "
    "THEN {t}.checking - 1 ELSE {t}.checking END"
)


def _upsert(
    rows: list[tuple], assignments: str, params: tuple | list = (), *, returning: str = ""
) -> list[tuple]:
    """INSERT (subject, failures, checking, window_started) `rows` ON CONFLICT (subject) DO
    UPDATE SET `assignments` (`{t}` is the table). One statement for all the counters of an
    attempt, in one order everywhere, so two attempts never wait for each other's row locks
    in a cycle. A row inserted by leaving or failing (its counter was deleted meanwhile)
    carries the old window and counts as expired."""
    table = connection.ops.quote_name(AuthFailure._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    sql = (
        f"INSERT INTO {table} (subject, failures, checking, window_started) VALUES {values} "
        f"ON CONFLICT (subject) DO UPDATE SET {assignments.format(t=table)}"
    )
    if returning:
        sql += f" RETURNING {returning}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(value for row in rows for value in row), *params])
        return cursor.fetchall() if returning else []


def _as_datetime(value) -> datetime.datetime:
    # SQLite returns the stored text, PostgreSQL an aware datetime.
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=datetime.UTC)
    return value
