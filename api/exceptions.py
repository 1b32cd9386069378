"""The API's one exception handler (settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]): every
error, whatever raised it, becomes the error envelope with its HTTP status, rendered by the
renderer the request's parameters chose."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from rest_framework import exceptions
from rest_framework.response import Response

from accounts.credentials import INVALID_CREDENTIALS
from core.database_busy import is_database_busy
from core.errors import (
    DomainError,
    InvalidRequest,
    NotAuthenticated,
    OverLimit,
    Refused,
    Throttled,
)

from .serializers import error_data

logger = logging.getLogger("loyalty.api")

INTERNAL_ERROR = "The server failed to process the request; nothing was changed. Try again."
DATABASE_BUSY = (
    "Another import is running, and this server's database, SQLite, runs one import at a "
    "time: the call waited {waited} s for it and gave up. Nothing was changed. The running "
    "import may take minutes (1,000,000 lines take one to two); send the request again "
    "later (Retry-After). A server on PostgreSQL runs several imports at once "
    "(docs/deploy.md)."
)
# A running import holds SQLite's write lock for its whole transaction: a 100,000-line one
# for seconds, 1,000,000 lines for one to two minutes. The call has already waited the busy
# timeout; a retry a minute later finds most imports ended, where one 5 s later (as this
# said before) found the same import still running and waited the timeout again.
BUSY_RETRY_AFTER_SECONDS = 60
METHOD_NOT_ALLOWED = "Only POST is accepted; send the parameters as form data."
NOT_FORM_DATA = (
    "Send the parameters as form data (application/x-www-form-urlencoded or "
    "multipart/form-data); nothing was done."
)
# The HTTP status of each kind of domain error; a kind not listed answers 400. OverLimit
# (an account's background jobs at their cap) is 429 as a throttle is: the request was
# right and succeeds later, when a job ends, which is what clients back off and retry on;
# without Retry-After, since when a job ends is not known (docs/decisions.md).
DOMAIN_STATUSES: dict[type[DomainError], int] = {
    InvalidRequest: 400,
    NotAuthenticated: 401,
    Refused: 409,
    Throttled: 429,
    OverLimit: 429,
}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """The error envelope and status for `exc`; an unexpected error is logged by its type
    only (its text may quote row data) and answered 500."""
    if isinstance(exc, DomainError):
        return _domain_error(exc)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return Response(error_data(METHOD_NOT_ALLOWED), 405, headers={"Allow": "POST"})
    if isinstance(exc, exceptions.UnsupportedMediaType):
        # 400 as every other unreadable request: the statuses the API answers stay the few
        # that docs/api.md lists.
        return Response(error_data(NOT_FORM_DATA), 400)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.PermissionDenied):
        # Whatever was refused, the answer does not reveal which users or accounts exist.
        return Response(error_data(INVALID_CREDENTIALS), 401)
    if isinstance(exc, exceptions.APIException):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return Response(error_data(detail), exc.status_code)
    if is_database_busy(exc):
        # SQLite's busy timeout ran out behind a long import's write (make run, a single
        # machine): the statement's transaction was rolled back, so the client may retry.
        logger.warning("database busy in an API call")
        return Response(
            error_data(DATABASE_BUSY.format(waited=sqlite_busy_seconds())),
            503,
            headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)},
        )
    logger.error("unhandled %s in an API call", type(exc).__name__)
    return Response(error_data(INTERNAL_ERROR), 500)


def sqlite_busy_seconds() -> int:
    """How long a write waits for SQLite's lock (LOYALTY_SQLITE_BUSY_SECONDS)."""
    return int(settings.DATABASES["default"].get("OPTIONS", {}).get("timeout", 5))


def _domain_error(exc: DomainError) -> Response:
    status = next((code for kind, code in DOMAIN_STATUSES.items() if isinstance(exc, kind)), 400)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else None
    return Response(error_data(exc.message), status, headers=headers)
