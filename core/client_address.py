"""The client's address when a proxy of ours (nginx, deploy/nginx.conf) is in front.

The per-address login throttle (accounts/throttle.py, the admin's axes) and the request log
read REMOTE_ADDR. Behind nginx on the same host that is nginx's own address for every
client, so all clients would share one throttle counter. nginx puts the address it was
connected from in X-Real-IP, overwriting whatever the client sent; a request that comes
from one of settings.LOYALTY_TRUSTED_PROXIES (from the environment's variable of that
name) has REMOTE_ADDR replaced by it. From any other address the header is ignored: a
client cannot choose its address.

The throttles count an address by the block one client controls (`counted_address`): an
IPv6 host is commonly given a whole /64, so counting per /128 address would give it more
addresses than any limit.
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


# The prefix length of the IPv6 block the throttles count as one client: the smallest a
# provider gives one site or host (RFC 6177, RFC 7934).
IPV6_COUNTED_PREFIX = 64


def counted_address(address: str) -> str:
    """The client block the login throttles count `address` in, at both doors (the API's
    counters, the admin's axes): an IPv4 address itself; an IPv4-mapped IPv6 address as
    its IPv4 address; any other IPv6 address as its /64 network. A value that is no address
    (a test client's, a Unix socket's) is counted as it is."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        block = ipaddress.IPv6Network((parsed.packed, IPV6_COUNTED_PREFIX), strict=False)
        return str(block)
    return str(parsed)


class ClientAddressMiddleware:
    """First in MIDDLEWARE, so everything after it sees the client's own address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.LOYALTY_TRUSTED_PROXIES:
            request.META["REMOTE_ADDR"] = client_address(request.META)
        return self.get_response(request)
