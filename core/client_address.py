"""The client's address when a proxy of ours (nginx, deploy/nginx.conf) is in front.

The per-address login throttle (accounts/throttle.py, the admin's axes) and the request log
read REMOTE_ADDR. Behind nginx on the same host that is nginx's own address for every
client, so all clients would share one throttle counter. nginx puts the address it was
connected from in X-Real-IP, overwriting whatever the client sent; a request that comes
from one of settings.LOYALTY_TRUSTED_PROXIES (from the environment's variable of that
name) has REMOTE_ADDR replaced by it. From any other address the header is ignored: a
client cannot choose its address.
"""

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

REAL_IP = "HTTP_X_REAL_IP"


def client_address(meta: dict) -> str:
    """The connection's address, or the trusted proxy's X-Real-IP when it comes from one."""
    peer = meta.get("REMOTE_ADDR", "")
    if peer not in settings.LOYALTY_TRUSTED_PROXIES:
        return peer
    try:
        return str(ipaddress.ip_address(meta.get(REAL_IP, "").strip()))
    except ValueError:
        return peer


class ClientAddressMiddleware:
    """First in MIDDLEWARE, so everything after it sees the client's own address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.LOYALTY_TRUSTED_PROXIES:
            request.META["REMOTE_ADDR"] = client_address(request.META)
        return self.get_response(request)
