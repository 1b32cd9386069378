"""The customers_batch call: authenticate, parse, import, render. Nothing more."""

from django.http import HttpRequest, HttpResponse

from accounts.credentials import authenticate_importer
from api.renderers import batch_response
from core.request_log import note_request
from customers.batch.params import parse_batch_request
from customers.batch.service import import_customers
from customers.models import UndoState

API_KEY_HEADER = "HTTP_API_ACCESS_KEY"


def customers_batch(request: HttpRequest, params: dict[str, str]) -> HttpResponse:
    api_key = None
    if params.get("api", "").strip() == "1.5":
        api_key = request.META.get(API_KEY_HEADER) or params.get("user_api_key", "")
    user, account = authenticate_importer(
        user_id=params.get("user_id", ""),
        password=None if api_key is not None else params.get("user_password", ""),
        api_key=api_key,
        account_identifier=params.get("account_id", ""),
        client_address=request.META.get("REMOTE_ADDR", ""),
    )
    note_request(request, account=account.slug)
    batch = parse_batch_request(params, custom_field_count=account.custom_field_count)
    result = import_customers(
        account=account, user=user, request=batch, source=UndoState.Source.API
    )
    note_request(
        request,
        batch=result.status.value,
        new=result.new,
        updated=result.updated,
        ignored=result.ignored,
        failed=result.failed,
        undo_state=result.undo_state_id,
    )
    return batch_response(request.output_format, result)
