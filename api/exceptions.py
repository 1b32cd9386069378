"""The API's one error type and the DRF exception handler that renders every error in the
envelope of the requested format (see api/renderers.py)."""

from __future__ import annotations

import logging

from rest_framework import exceptions
from rest_framework.response import Response

from core.errors import DomainError, NotAuthenticated, Throttled

logger = logging.getLogger("loyalty.api")

INTERNAL_ERROR = "The server failed to process the request; nothing was changed. Try again."


class ApiError(Exception):
    """A request-level failure: nothing was done. `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.headers = headers or {}


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """Turn ApiError and DRF's own exceptions (405, 413 from parsing, ...) into the envelope."""
    from .renderers import error_response

    request = context.get("request")
    if isinstance(exc, ApiError):
        return error_response(request, exc.message, exc.status, exc.headers)
    if isinstance(exc, Throttled):
        return error_response(request, exc.message, 429, {"Retry-After": str(exc.retry_after)})
    if isinstance(exc, NotAuthenticated):
        return error_response(request, exc.message, 401)
    if isinstance(exc, DomainError):
        return error_response(request, exc.message, 400)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return error_response(
            request,
            "Only POST is accepted; send the parameters as form data.",
            405,
            {"Allow": "POST"},
        )
    if isinstance(exc, exceptions.APIException):
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return error_response(request, detail, exc.status_code)
    # Only the exception's type: its text may quote row data (a database error's detail).
    logger.error("unhandled %s in an API call", type(exc).__name__)
    return error_response(request, INTERNAL_ERROR, 500)
