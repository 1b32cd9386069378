"""POST /api and /api.php: read the form, pick the output format, dispatch on `type`."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from rest_framework.request import Request
from rest_framework.views import APIView

from .calls import customers_batch
from .exceptions import ApiError
from .params import form_pairs, form_params
from .renderers import best_effort_format, output_format

CALLS = {"customers_batch": customers_batch}

UNKNOWN_TYPE = "type must be one of: {types}; got {value}."
MISSING_TYPE = "type is required; one of: {types}."
TOO_BIG = "The request body is larger than the {limit} bytes this server accepts."
UNREADABLE_FORM = "The request body cannot be read as form data; nothing was done."
TOO_MANY_FIELDS = "The request has more form fields than this server accepts."
CREDENTIALS_IN_URL = (
    "Send credentials in the POST body, never in the URL: URLs end up in logs. Nothing was done."
)
SECRET_PARAMETERS = {"user_password", "user_api_key", "api_access_key"}


class ApiView(APIView):
    # Django's own form parsing, so its body size limit applies (DRF's parsers skip it).
    http_method_names = ["post"]
    parser_classes: list = []
    authentication_classes: list = []
    permission_classes: list = []

    def post(self, request: Request) -> HttpResponse:
        http_request = request._request
        pairs = _read_form(http_request)
        # Errors found while reading the form are answered in the format asked for, as far
        # as the form can tell before it is checked.
        http_request.output_format = best_effort_format({k.lower(): v for k, v in pairs})
        _refuse_credentials_in_url(http_request)
        params = form_params(pairs)
        http_request.output_format = output_format(params)
        call = params.get("type", "").strip().lower()
        if call not in CALLS:
            types = ", ".join(sorted(CALLS))
            if not call:
                raise ApiError(MISSING_TYPE.format(types=types))
            raise ApiError(UNKNOWN_TYPE.format(types=types, value=call[:40]))
        return CALLS[call](http_request, params)


def _refuse_credentials_in_url(request: HttpRequest) -> None:
    if any(key.lower() in SECRET_PARAMETERS for key in request.GET):
        raise ApiError(CREDENTIALS_IN_URL, 400)


def _read_form(request: HttpRequest) -> list[tuple[str, str]]:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    # Django's limit skips file parts of a multipart body: the declared length decides first.
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
        raise ApiError(TOO_BIG.format(limit=limit), 413)
    try:
        return form_pairs(request)
    except RequestDataTooBig:
        raise ApiError(TOO_BIG.format(limit=limit), 413) from None
    except TooManyFieldsSent:
        raise ApiError(TOO_MANY_FIELDS, 400) from None
    except MultiPartParserError:
        raise ApiError(UNREADABLE_FORM, 400) from None
