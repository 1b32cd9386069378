"""The slow-down of one user id's password checks across all addresses, at both doors (the
API's password check, the admin login).

accounts/throttle.py counts failures per (user id, address) and per address, so a guesser
who rotates addresses (or an IPv6 host's many) would get 10 guesses per address for ever.
Here the password checks of a user id from addresses it has not logged in from are counted
across all of them, in the database: the first USER_SLOWDOWN_AFTER of a window run at once;
after those, each further check must come a delay after the one before, the delay doubling
from USER_SLOWDOWN_FIRST_DELAY_SECONDS up to USER_SLOWDOWN_MAX_DELAY_SECONDS. A check that
comes too early is not run: it is answered 429 with Retry-After (the delay left), instead of
holding a server worker asleep for the delay (docs/decisions.md, "Slowing down one user
id"). So whatever the number of addresses, a window holds at most most_checks_per_window()
checks of one user id's password from unknown addresses.

The owner is not slowed down by other addresses' guesses: an address block where the user
id logged in with its password within KNOWN_ADDRESS_DAYS is known (KnownAddress) and its
checks skip the slow-down (the per-address and per-pair limits still hold there). A valid
API key never comes here. Counters hold HMACs, never a user id or an address.
"""

from __future__ import annotations

import json
import math
import time

from django.conf import settings
from django.db import connection

from core.client_address import counted_address

from .models import KnownAddress, UserSlowdown
from .throttle import Throttled, keyed

# What gate_query gives for an address the user id logged in from recently.
KNOWN = -1


def gate_query(*, user_id: str, client_address: str) -> tuple[str, list]:
    """A scalar subquery and its parameters, read in the statement that finds the user
    (accounts.selectors): KNOWN when the user id logged in from this address block
    recently, else the time (epoch ms) before which no check of the user id may run, NULL
    when checks run at once."""
    now = _now_ms()
    known_sql, known_params = _known_address_exists(user_id, client_address)
    sql = (
        f"(CASE WHEN {known_sql} THEN %s "
        f"ELSE (SELECT next_check_ms FROM {_table(UserSlowdown)} "
        "WHERE subject = %s AND window_started_ms > %s AND checks >= %s) END)"
    )
    params = [
        *known_params,
        KNOWN,
        _user_subject(user_id),
        now - _setting_ms("USER_SLOWDOWN_WINDOW_SECONDS"),
        _limit(),
    ]
    return sql, params


def is_known(gate: object) -> bool:
    """Whether gate_query's value says the user id logged in from this address recently."""
    return gate == KNOWN


def refuse_if_waiting(gate: object) -> None:
    """Throttled when gate_query's value says the user id's next check may not run yet,
    for a check that takes no turn (a remembered verification): answering it would tell a
    guesser whether the guess was right."""
    if gate is None or is_known(gate):
        return
    waiting_ms = int(gate) - _now_ms()  # type: ignore[call-overload]
    if waiting_ms > 0:
        raise Throttled(_seconds(waiting_ms))


def take_turn(*, user_id: str, client_address: str, known: bool | None = None) -> None:
    """Count a password check of the user id from this address, or raise Throttled (retry
    after the delay left) when it comes too early; nothing for a known address. One
    upsert, so concurrent checks from any number of processes take one turn each."""
    if known is None:
        known = _is_known_address(user_id, client_address)
    if known:
        return
    if _turn_taken(_user_subject(user_id)):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT next_check_ms FROM {_table(UserSlowdown)} WHERE subject = %s",
            [_user_subject(user_id)],
        )
        row = cursor.fetchone()
    raise Throttled(_seconds((row[0] if row else 0) - _now_ms()))


def remember_login(*, user_id: str, client_address: str) -> None:
    """The user id logged in with its password from this address block: its checks from
    there are not slowed down for KNOWN_ADDRESS_DAYS."""
    now = _now_ms()
    table = _table(KnownAddress)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (subject, last_login_ms) VALUES (%s, %s) "
            "ON CONFLICT (subject) DO UPDATE SET last_login_ms = excluded.last_login_ms",
            [_known_subject(user_id, client_address), now],
        )
        cursor.execute(f"DELETE FROM {table} WHERE last_login_ms <= %s", [now - _known_ms()])


def most_checks_per_window() -> int:
    """The most checks of one user id's password from unknown addresses that one window
    can hold, however many addresses send them: the first USER_SLOWDOWN_AFTER at its
    start, then one per delay while the window lasts."""
    window = _setting_ms("USER_SLOWDOWN_WINDOW_SECONDS")
    delay = _setting_ms("USER_SLOWDOWN_FIRST_DELAY_SECONDS")
    checks, elapsed = _limit(), 0
    while elapsed + delay < window:
        elapsed += delay
        checks += 1
        delay = min(2 * delay, _setting_ms("USER_SLOWDOWN_MAX_DELAY_SECONDS"))
    return checks


def _turn_taken(subject: str) -> bool:
    """Join the user id's counter, restarting it when its window has passed; True when the
    check may run now (the window's first USER_SLOWDOWN_AFTER checks, or the delay since
    the last is over), and then the next check's time and delay are set."""
    now = _now_ms()
    limit = _limit()
    first = _setting_ms("USER_SLOWDOWN_FIRST_DELAY_SECONDS")
    cap = _setting_ms("USER_SLOWDOWN_MAX_DELAY_SECONDS")
    expired = now - _setting_ms("USER_SLOWDOWN_WINDOW_SECONDS")
    # The values a new counter starts with, after its first check.
    next_check, delay = (now + first, min(2 * first, cap)) if limit <= 1 else (now, first)
    t = _table(UserSlowdown)
    restart = f"{t}.window_started_ms <= %s"
    slowed = f"{t}.checks + 1 >= %s"
    sql = (
        f"INSERT INTO {t} (subject, checks, window_started_ms, next_check_ms, delay_ms) "
        "VALUES (%s, 1, %s, %s, %s) ON CONFLICT (subject) DO UPDATE SET "
        f"checks = CASE WHEN {restart} THEN 1 ELSE {t}.checks + 1 END, "
        f"next_check_ms = CASE WHEN {restart} THEN excluded.next_check_ms "
        f"WHEN {slowed} THEN %s + {t}.delay_ms ELSE {t}.next_check_ms END, "
        f"delay_ms = CASE WHEN {restart} THEN excluded.delay_ms "
        f"WHEN {slowed} THEN (CASE WHEN {t}.delay_ms * 2 > %s THEN %s "
        f"ELSE {t}.delay_ms * 2 END) ELSE {t}.delay_ms END, "
        f"window_started_ms = CASE WHEN {restart} THEN excluded.window_started_ms "
        f"ELSE {t}.window_started_ms END "
        # Only a check that may run changes the counter; a refused one returns no row.
        f"WHERE {restart} OR {t}.checks < %s OR {t}.next_check_ms <= %s "
        "RETURNING checks"
    )
    params: list[str | int] = [
        *(subject, now, next_check, delay),
        *(expired,),
        *(expired, limit, now),
        *(expired, limit, cap, cap),
        *(expired,),
        *(expired, limit, now),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        if row is not None and row[0] == 1:
            # A new window: counters whose window has passed count nothing any more.
            cursor.execute(
                f"DELETE FROM {t} WHERE window_started_ms <= %s AND subject <> %s",
                [expired, subject],
            )
    return row is not None


def _is_known_address(user_id: str, client_address: str) -> bool:
    known_sql, known_params = _known_address_exists(user_id, client_address)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {known_sql}", known_params)
        return bool(cursor.fetchone()[0])


def _known_address_exists(user_id: str, client_address: str) -> tuple[str, list]:
    """The one SQL test of whether the user id logged in from this address block within
    KNOWN_ADDRESS_DAYS, read alone or inside gate_query."""
    sql = f"EXISTS (SELECT 1 FROM {_table(KnownAddress)} WHERE subject = %s AND last_login_ms > %s)"
    return sql, [_known_subject(user_id, client_address), _now_ms() - _known_ms()]


def _user_subject(user_id: str) -> str:
    # User ids compared case-insensitively, as the throttle's counters compare them.
    return "user:" + keyed(json.dumps(["slowdown-user", user_id.casefold()]))


def _known_subject(user_id: str, client_address: str) -> str:
    value = json.dumps(["known", user_id.casefold(), counted_address(client_address)])
    return "known:" + keyed(value)


def _limit() -> int:
    return max(1, int(settings.LOYALTY["USER_SLOWDOWN_AFTER"]))


def _setting_ms(name: str) -> int:
    return round(float(settings.LOYALTY[name]) * 1000)


def _known_ms() -> int:
    return round(float(settings.LOYALTY["KNOWN_ADDRESS_DAYS"]) * 86_400_000)


def _seconds(milliseconds: int) -> int:
    """Retry-After: whole seconds, at least 1."""
    return max(1, math.ceil(milliseconds / 1000))


def _now_ms() -> int:
    return round(time.time() * 1000)


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)
