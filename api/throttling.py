"""The failed-login throttle, where DRF looks for throttles.

It refuses an API 1.0 request whose user id from this client address, or whose address, has
failed too often this window, before the password is looked at. The counters are accounts'
(accounts/throttle.py: per (user id, address) and per address, in the database so the limit
holds across processes and servers); the credential check joins them again atomically, so
concurrent guesses cannot slip past the limit between this check and theirs.

An address at the limit is refused before its body is read (refuse_throttled_address) when
the body is larger than THROTTLED_BODY_BYTES and no api_access_key header carries a key:
otherwise a locked-out guesser still made a worker parse a 64 MiB form per request (seventh
red team). A small body is read as before, so a valid key in it is still accepted.

An API 1.5 request is not refused here: a valid key is accepted whatever the counters say
(it cannot have been guessed), and the credential check throttles a refused key itself.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from accounts import throttle

from .authentication import API_KEY_HEADER, uses_api_key
from .params import loose_params


class FailedLoginThrottle(BaseThrottle):
    def __init__(self) -> None:
        self.retry_after: int | None = None

    def allow_request(self, request: Request, view: object) -> bool:
        params = loose_params(request.POST)
        if uses_api_key(params):
            return True
        try:
            throttle.refuse_if_throttled(
                user_id=params.get("user_id", ""),
                client_address=request.META.get("REMOTE_ADDR", ""),
            )
        except throttle.Throttled as throttled:
            self.retry_after = throttled.retry_after
            return False
        return True

    def wait(self) -> float | None:
        return self.retry_after


def refuse_throttled_address(request: Request) -> int | None:
    """Seconds to wait when the client address is at the limit and its body may not be read
    (larger than THROTTLED_BODY_BYTES, no key header); the request's form is then left
    empty, so nothing after (the answer's format, the request log) reads the body. None
    otherwise. Reads only the address's counter: no parameter is known yet."""
    declared = str(request.META.get("CONTENT_LENGTH") or "0").strip()
    small = int(declared or 0) <= settings.LOYALTY["THROTTLED_BODY_BYTES"]
    if small or request.META.get(API_KEY_HEADER):
        return None
    try:
        throttle.refuse_if_throttled(user_id="", client_address=request.META.get("REMOTE_ADDR", ""))
    except throttle.Throttled as throttled:
        _leave_body_unread(request)
        return throttled.retry_after
    return None


def _leave_body_unread(request: Request) -> None:
    # As DRF and Django keep a parsed form (private attributes, so Any): an empty one, so
    # neither parses the body.
    empty = QueryDict()
    drf: Any = request
    drf._data, drf._files, drf._full_data = empty, MultiValueDict(), empty
    drf._request._post, drf._request._files = empty, MultiValueDict()
