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
"""

from __future__ import annotations

import datetime
import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import throttle

LOCKED_OUT = (
    "Too many failed logins for this username from your address, or from your address. "
    "Logging in is blocked for up to {minutes} minutes after the last failed attempt; "
    "attempts while blocked are not counted."
)
LOCKED_OUT_TEMPLATE = "accounts/admin_locked_out.html"


def failure_limit(request: HttpRequest, credentials: dict | None) -> int:
    """AXES_FAILURE_LIMIT: the API's limit."""
    return settings.LOYALTY["AUTH_FAILURE_LIMIT"]


def cool_off(request: HttpRequest | None) -> datetime.timedelta:
    """AXES_COOLOFF_TIME: the API's window."""
    return datetime.timedelta(seconds=settings.LOYALTY["AUTH_FAILURE_WINDOW_SECONDS"])


def client_address(request: HttpRequest) -> str:
    """The connection's address, as the API counts it; no header a client could set
    (docs/deploy.md, Client addresses)."""
    return request.META.get("REMOTE_ADDR", "")


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
    window = settings.LOYALTY["AUTH_FAILURE_WINDOW_SECONDS"]
    context = {
        **admin.site.each_context(request),
        "title": "Login blocked",
        "message": LOCKED_OUT.format(minutes=max(1, window // 60)),
    }
    # Rendered here: a middleware answers it, after Django renders template responses.
    response = render(request, LOCKED_OUT_TEMPLATE, context, status=429)
    response["Retry-After"] = str(window)
    return response


class AdminLoginHandler(AxesDatabaseHandler):
    """Axes's database handler, also reading and writing the API's failure counters."""

    def is_locked(self, request, credentials: dict | None = None) -> bool:
        if super().is_locked(request, credentials):
            return True
        try:
            throttle.refuse_if_throttled(
                user_id=typed_username(request, credentials),
                client_address=client_address(request),
            )
        except throttle.Throttled:
            return True
        return False

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
