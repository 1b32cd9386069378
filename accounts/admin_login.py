"""The admin login's failure throttle: django-axes, configured with the API's policy and
sharing the API's counters.

Axes (settings.AXES_*) locks out a (username, client address) or a client address after
LOYALTY["AUTH_FAILURE_LIMIT"] failed admin logins, for AUTH_FAILURE_WINDOW_SECONDS after the
last one. Staff use the same password for the API, so the two doors count as one: an admin
failure is also counted in the API's counters (accounts/throttle.py), and the admin refuses
a login whose counters there are at the limit, so failures at the API lock the admin too.

Axes's tables never hold what was typed into the username field (sometimes a password)
nor the client's address: AXES_USERNAME_CALLABLE and AXES_CLIENT_IP_CALLABLE give axes an
HMAC of each (throttle.keyed, the API counters' key), the address's as an IPv6 address so
that it fits axes's IP address column. Equal values give equal HMACs, so the lockouts per
(username, address) and per address work as before; the API's counters get the values
themselves, which they key in their own way.

Both doors count a client address by its block (core.client_address.counted_address: an
IPv6 /64) and share the slow-down of one username across all addresses
(accounts/slowdown.py).
"""

from __future__ import annotations

import datetime
import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.client_address import counted_address

from . import slowdown, throttle

LOCKED_OUT = (
    "Too many failed logins for this username from your address, or from your address. "
    "Logging in is blocked for up to {minutes} minutes after the last failed attempt; "
    "attempts while blocked are not counted."
)
SLOWED_DOWN = (
    "Too many logins for this username were tried recently from places it does not "
    "usually log in from. Try again in {seconds} s."
)
LOCKED_OUT_TEMPLATE = "accounts/admin_locked_out.html"


def failure_limit(request: HttpRequest, credentials: dict | None) -> int:
    """AXES_FAILURE_LIMIT: the API's limit."""
    return settings.LOYALTY["AUTH_FAILURE_LIMIT"]


def cool_off(request: HttpRequest | None) -> datetime.timedelta:
    """AXES_COOLOFF_TIME: the API's window."""
    return datetime.timedelta(seconds=settings.LOYALTY["AUTH_FAILURE_WINDOW_SECONDS"])


def client_address(request: HttpRequest) -> str:
    """The connection's address, counted by its block as the API counts it (an IPv6 /64,
    core.client_address.counted_address); no header a client could set (docs/deploy.md,
    Client addresses)."""
    return counted_address(request.META.get("REMOTE_ADDR", ""))


def keyed_client_address(request: HttpRequest) -> str:
    """AXES_CLIENT_IP_CALLABLE: an HMAC of the client's address, written as an IPv6
    address (128 of its bits)."""
    digest = throttle.keyed(f"admin-address:{client_address(request)}")
    return str(ipaddress.IPv6Address(bytes.fromhex(digest[:32])))


def typed_username(request: HttpRequest, credentials: dict | None) -> str:
    """What was typed into the login form's username field."""
    if credentials:
        return str(credentials.get("username") or "")
    return str(request.POST.get("username", ""))


def keyed_username(request: HttpRequest, credentials: dict | None) -> str:
    """AXES_USERNAME_CALLABLE: an HMAC of the username typed (compared case-insensitively,
    as the API's counters compare user ids); empty when none was."""
    username = typed_username(request, credentials)
    return throttle.keyed(f"admin-username:{username.casefold()}") if username else ""


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the admin's page saying why and for how long, 429."""
    slowed_for = getattr(request, SLOWED_FOR, None)
    if slowed_for is not None:
        message, retry_after = SLOWED_DOWN.format(seconds=slowed_for), slowed_for
    else:
        retry_after = settings.LOYALTY["AUTH_FAILURE_WINDOW_SECONDS"]
        message = LOCKED_OUT.format(minutes=max(1, retry_after // 60))
    context = {**admin.site.each_context(request), "title": "Login blocked", "message": message}
    # Rendered here: a middleware answers it, after Django renders template responses.
    response = render(request, LOCKED_OUT_TEMPLATE, context, status=429)
    response["Retry-After"] = str(retry_after)
    return response


# The request attribute that tells locked_out the login came before the username's turn
# (accounts/slowdown.py), and how many seconds are left.
SLOWED_FOR = "loyalty_slowed_for"


class AdminLoginHandler(AxesDatabaseHandler):
    """Axes's database handler, also reading and writing the API's failure counters, and
    taking the username's turn of the slow-down shared with the API (accounts/slowdown.py)
    just before the password is checked."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        user_id, address = typed_username(request, credentials), client_address(request)
        try:
            throttle.refuse_if_throttled(user_id=user_id, client_address=address)
        except throttle.Throttled:
            return True
        if not user_id:
            return False
        try:
            slowdown.take_turn(user_id=user_id, client_address=address)
        except throttle.Throttled as slowed:
            setattr(request, SLOWED_FOR, slowed.retry_after)
            return True
        return False

    def user_logged_in(self, sender, request, user, **kwargs) -> None:
        super().user_logged_in(sender, request, user, **kwargs)
        if request is not None:
            slowdown.remember_login(
                user_id=user.get_username(), client_address=client_address(request)
            )

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs) -> None:
        # Set by the axes backend when it refused the login without trying the password:
        # not a failure, at either door.
        refused = getattr(request, "axes_locked_out", False)
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None and not refused:
            throttle.record_failure(
                user_id=typed_username(request, credentials),
                client_address=client_address(request),
            )
