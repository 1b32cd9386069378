"""POST /api and /api.php: one DRF view, its calls dispatched by the `type` parameter.

DRF's pieces do their usual jobs (parsers.py, negotiation.py, throttling.py,
authentication.py, permissions.py, renderers.py, exceptions.py); `initial` runs them in the
order this API needs: the answer's format first, so that every later error is reported in
it; the parameters and the call checked before anyone is authenticated, as the original
did; the failed-login throttle before the credential check, so a guesser's guess is not
even tried.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponseBase
from django.views import defaults
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.credentials import THROTTLED
from core.errors import InvalidRequest, Throttled

from .authentication import ApiKeyAuthentication, PasswordAuthentication, refuse_credentials_in_url
from .calls import CALL_PARAMETERS, CALLS, Call
from .negotiation import OutputParameterNegotiation, check_output_parameters
from .params import API_PARAMETERS, form_pairs, form_params, refuse_misspellings
from .parsers import FormParser, MultiPartParser, refuse_unreadable_length
from .permissions import MayImportIntoAccount
from .renderers import JSONPRenderer, JSONRenderer, XMLRenderer
from .schema import CUSTOMERS_BATCH
from .schema_extensions import ApiSchema
from .throttling import FailedLoginThrottle

UNKNOWN_TYPE = "type must be one of: {types}; got {value}."
BAD_HOST = (
    "The Host header names no host this server answers for (DJANGO_ALLOWED_HOSTS); "
    "nothing was done."
)
UNREADABLE_REQUEST = "The request could not be read; nothing was done."
API_PATHS = ("/api", "/api.php")
MISSING_TYPE = "type is required; one of: {types}."


class ApiView(APIView):
    http_method_names = ["post"]
    parser_classes = [FormParser, MultiPartParser]
    content_negotiation_class = OutputParameterNegotiation
    renderer_classes = [XMLRenderer, JSONRenderer, JSONPRenderer]
    throttle_classes = [FailedLoginThrottle]
    authentication_classes = [ApiKeyAuthentication, PasswordAuthentication]
    permission_classes = [MayImportIntoAccount]
    schema = ApiSchema()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.format_kwarg = None
        refuse_unreadable_length(request.META)
        request.accepted_renderer, request.accepted_media_type = self.perform_content_negotiation(
            request
        )
        if request.method is None or request.method.lower() not in self.http_method_names:
            return  # dispatch answers 405
        refuse_credentials_in_url(request)
        self.params = form_params(form_pairs(request.POST))
        check_output_parameters(self.params)
        self.call = _call_named(self.params.get("type", ""))
        refuse_misspellings(
            self.params, API_PARAMETERS | CALL_PARAMETERS[self.params["type"].strip().lower()]
        )
        self.check_throttles(request)
        self.perform_authentication(request)
        self.check_permissions(request)

    @extend_schema(**CUSTOMERS_BATCH)
    def post(self, request: Request) -> HttpResponseBase:
        return self.call(request, self.params)

    def throttled(self, request: Request, wait: float | None) -> NoReturn:
        raise Throttled(THROTTLED, retry_after=max(1, int(wait or 1)))

    @property
    def default_response_headers(self) -> dict[str, str]:
        # No "Vary: Accept": the answer's format does not depend on any header.
        return {"Allow": "POST"}

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        # `response` may also be a plain HttpResponseBase (the failed lines' CSV), which
        # DRF passes through; the stubs only know Response.
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(getattr(request, "accepted_renderer", None), JSONPRenderer):
            # A browser does not run the script of an error response.
            response.status_code = 200
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "no-store"
        return response


def _call_named(value: str) -> Call:
    # Case-insensitive, trimmed, as every other parameter's value (docs/decisions.md).
    call = value.strip().lower()
    if call in CALLS:
        return CALLS[call]
    types = ", ".join(sorted(CALLS))
    if not call:
        raise InvalidRequest(MISSING_TYPE.format(types=types))
    raise InvalidRequest(UNKNOWN_TYPE.format(types=types, value=value[:40]))


class RefusedRequestView(ApiView):
    """A request to the API that Django refused before any view ran (its Host is not an
    allowed host, say): answered like every API error, in the envelope and the format the
    request's parameters ask for, not as Django's HTML page."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.format_kwarg = None
        request.accepted_renderer, request.accepted_media_type = self.perform_content_negotiation(
            request
        )
        raise InvalidRequest(kwargs["message"])


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponseBase:
    """handler400 (loyalty/urls.py): the API's envelope on the API's paths, Django's own
    page elsewhere."""
    if request.path not in API_PATHS:
        return defaults.bad_request(request, exception)
    message = BAD_HOST if isinstance(exception, DisallowedHost) else UNREADABLE_REQUEST
    return RefusedRequestView.as_view()(request, message=message)
