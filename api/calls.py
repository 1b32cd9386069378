"""The calls of the API, each turning its checked parameters into the service's input,
calling the service and answering with its result. Authentication, throttling and the
answer's format are the view's (api/views.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponseBase, StreamingHttpResponse
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.users import signed_in
from core.errors import InvalidRequest
from core.request_log import note_request
from customers.batch.params import PARAMETERS as BATCH_PARAMETERS
from customers.batch.params import parse_batch_request
from customers.batch.service import import_customers
from customers.batch.types import BatchStatus
from customers.failed_lines import failed_lines_csv, failed_lines_filename
from customers.models import UndoState

from .permissions import importing_account
from .serializers import batch_data


def customers_batch(request: Request, params: dict[str, str]) -> Response:
    """Import the batch into the account the credentials unlocked."""
    account = importing_account(request)
    note_request(request, account=account.slug)
    batch = parse_batch_request(params, custom_field_count=account.custom_field_count)
    result = import_customers(
        account=account, user=signed_in(request.user), request=batch, source=UndoState.Source.API
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
    status = 400 if result.status is BatchStatus.REJECTED else 200
    return Response(batch_data(result), status=status)


UNDO_STATE_PARAMETER = "undo_state"
BAD_UNDO_STATE = "undo_state must be the number of an undo state of this account, got {value}."
NO_SUCH_UNDO_STATE = "undo_state {value} is not an import into this account."
FAILED_LINES_TYPE = "text/csv; charset=utf-8"


def customers_batch_failed_lines(request: Request, params: dict[str, str]) -> HttpResponseBase:
    """The failed lines of one of the account's imports (its `undo_state`), as the CSV file
    the admin's undo state page offers: the import's columns, then `error`. Errors are the
    API's envelope, in the format `output` asks for."""
    account = importing_account(request)
    note_request(request, account=account.slug)
    value = params.get(UNDO_STATE_PARAMETER, "").strip()
    if not value:
        raise InvalidRequest(f"{UNDO_STATE_PARAMETER} is required.")
    if not (value.isascii() and value.isdigit() and len(value) <= 18):
        raise InvalidRequest(BAD_UNDO_STATE.format(value=value[:40]))
    state = UndoState.objects.filter(account=account, pk=int(value)).first()
    if state is None:
        raise InvalidRequest(NO_SUCH_UNDO_STATE.format(value=value))
    note_request(request, undo_state=state.pk)
    response = StreamingHttpResponse(
        failed_lines_csv(state, for_a_person=False), content_type=FAILED_LINES_TYPE
    )
    response["Content-Disposition"] = f'attachment; filename="{failed_lines_filename(state)}"'
    return response


Call = Callable[[Request, dict[str, str]], HttpResponseBase]
# Each call of the API by its `type`; a new call is one more entry.
CALLS: dict[str, Call] = {
    "customers_batch": customers_batch,
    "customers_batch_failed_lines": customers_batch_failed_lines,
}
# The parameters each call reads besides the API's own (api.params.API_PARAMETERS).
CALL_PARAMETERS: dict[str, frozenset[str]] = {
    "customers_batch": BATCH_PARAMETERS,
    "customers_batch_failed_lines": frozenset({"api", UNDO_STATE_PARAMETER}),
}
