"""The API's one error type and the DRF exception handler that renders every error in the
envelope of the requested format (see loyalty/api/renderers.py)."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.response import Response


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
    return None
