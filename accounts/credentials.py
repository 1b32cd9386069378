"""Authenticating an API request: which user imports, into which account.

Every failure gives the same message, so the API does not reveal which users or accounts
exist. Repeated failures are throttled per (user id, client address) and per client address,
counted in the database by accounts/throttle.py; a success resets nothing, so failures
simply expire with their window. A valid API key is accepted whatever the counters say: a
160-bit random key cannot be guessed, so guessed passwords must not lock its holder out.
A user id's password checks from addresses it has not logged in from are also slowed down
across all addresses (accounts/slowdown.py); the API key path never is.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils.crypto import constant_time_compare, salted_hmac

from core.errors import NotAuthenticated, Throttled

from . import slowdown, throttle
from .models import Account, hash_api_key
from .selectors import api_key_holder, user_named

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser as User

INVALID_CREDENTIALS = (
    "Authentication failed: check user_id, your password or API key, and account_id."
)
THROTTLED = "Too many failed authentication attempts; try again later."

_VERIFIED_KEY = "loyalty:auth:verified:{digest}"
_VERIFIED_SALT = "accounts.credentials.verified-password"


def authenticate_importer(
    *,
    user_id: str,
    password: str | None,
    api_key: str | None,
    account_identifier: str,
    client_address: str,
) -> tuple[User, Account]:
    """The active user and the account they may import into; NotAuthenticated, or Throttled
    when this user id from this client address, or this address, has failed too often
    recently (never for a valid API key that may import into the account).

    With `api_key` (API 1.5) the key identifies the user; otherwise `password` (1.0) does.
    A success does not reset either failure counter: they expire with their window.
    """
    subjects = {"user_id": user_id, "client_address": client_address}
    # The API key path and a remembered verification run nothing slow and nothing
    # guessable: they read the throttle's counters in the statement that finds the user,
    # and write only when the check fails, so a busy integration pays no write per request.
    try:
        if api_key is not None:
            user, membership, oldest_full = _holder_of_api_key(
                user_id, api_key, account_identifier, subjects
            )
            account = _importing_account(user, membership)
            if account is None:
                # Only a refused key is throttled: an accepted one was not guessed.
                throttle.refuse_if_full(oldest_full)
                throttle.record_failure(**subjects)
        else:
            user, membership, (oldest_full, gate) = user_named(
                username=user_id,
                identifier=account_identifier,
                also=[throttle.full_counters_query(**subjects), slowdown.gate_query(**subjects)],
            )
            known = slowdown.is_known(gate)
            if user is not None and _verification_remembered(user, password or ""):
                throttle.refuse_if_full(oldest_full)
                slowdown.refuse_if_waiting(gate)
                account = _importing_account(user, membership)
                if account is None:
                    throttle.record_failure(**subjects)
                elif not known:
                    slowdown.remember_login(**subjects)
            else:
                with throttle.attempt(**subjects) as check:
                    # Inside the attempt: a check refused here leaves the counters as it
                    # found them, and only a check that may run takes the user id's turn.
                    slowdown.take_turn(**subjects, known=known)
                    user = _password_checked(user, password or "")
                    if user is not None:
                        # Also from a known address: its 30 days start again (this runs
                        # once per remembered verification, not per request).
                        slowdown.remember_login(**subjects)
                    account = _importing_account(user, membership)
                    if account is None:
                        check.failed()
    except throttle.Throttled as throttled:
        raise Throttled(THROTTLED, retry_after=throttled.retry_after) from None
    if account is None:
        raise NotAuthenticated(INVALID_CREDENTIALS)
    return user, account


def _importing_account(user, membership) -> Account | None:
    """The membership's account when the user is active and may import there."""
    if user is None or not user.is_active or membership is None or not membership.can_import:
        return None
    return membership.account


def _verification_remembered(user: User, password: str) -> bool:
    return bool(cache.get(_verified_key(user, password)))


def _holder_of_api_key(
    user_id: str, api_key: str, account_identifier: str, subjects: dict
) -> tuple:
    """(user, their membership of the account or None) for a valid key of `user_id`, and
    when the oldest full counter of `subjects` started (throttle.full_counters_query), read
    in the same statement; Throttled at once for an empty key at the limit."""
    if not api_key:
        throttle.refuse_if_throttled(**subjects)
        return None, None, None
    user, membership, (oldest_full,) = api_key_holder(
        key_hash=hash_api_key(api_key),
        identifier=account_identifier,
        also=[throttle.full_counters_query(**subjects)],
    )
    if user is None or not user.is_active:
        return None, None, oldest_full
    if not constant_time_compare(user.get_username(), user_id):
        return None, None, oldest_full
    return user, membership, oldest_full


def _password_checked(user: User | None, password: str) -> User | None:
    """The user when the password is theirs, else None."""
    if user is None:
        # Spend the time a real check costs, so timing does not reveal which users exist.
        get_user_model()().set_password(password)
        return None
    return user if _password_is_correct(user, password) else None


def _password_is_correct(user: User, password: str) -> bool:
    """check_password, skipped while a recent success with this password and this stored
    hash is remembered; check_password also upgrades an outdated hash."""
    if cache.get(_verified_key(user, password)):
        return True
    if not user.check_password(password):
        return False
    # After check_password: an upgraded hash is what the next request will load.
    cache.set(_verified_key(user, password), True, settings.LOYALTY["CREDENTIAL_CACHE_SECONDS"])
    return True


def _verified_key(user: User, password: str) -> str:
    """An HMAC, so the cache holds no secret; the stored hash in it means that changing the
    password forgets every remembered verification."""
    value = json.dumps([user.pk, password, user.password])
    digest = salted_hmac(_VERIFIED_SALT, value, algorithm="sha256").hexdigest()
    return _VERIFIED_KEY.format(digest=digest)
