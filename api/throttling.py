"""The failed-login throttle, where DRF looks for throttles.

It refuses an API 1.0 request whose user id from this client address, or whose address, has
failed too often this window, before the password is looked at. The counters are accounts'
(accounts/throttle.py: per (user id, address) and per address, in the database so the limit
holds across processes and servers); the credential check joins them again atomically, so
concurrent guesses cannot slip past the limit between this check and theirs.

An API 1.5 request is not refused here: a valid key is accepted whatever the counters say
(it cannot have been guessed), and the credential check throttles a refused key itself.
"""

from __future__ import annotations

from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from accounts import throttle

from .authentication import uses_api_key
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
