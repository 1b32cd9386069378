"""The calls of the API, each turning its checked parameters into the service's input,
calling the service and answering with its result. Authentication, throttling and the
answer's format are the view's (api/views.py)."""

from __future__ import annotations

from collections.abc import Callable

from rest_framework.request import Request
from rest_framework.response import Response

from accounts.users import signed_in
from core.request_log import note_request
from customers.batch.params import PARAMETERS as BATCH_PARAMETERS
from customers.batch.params import parse_batch_request
from customers.batch.service import import_customers
from customers.batch.types import BatchStatus
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


Call = Callable[[Request, dict[str, str]], Response]
# Each call of the API by its `type`; a new call is one more entry.
CALLS: dict[str, Call] = {"customers_batch": customers_batch}
# The parameters each call reads besides the API's own (api.params.API_PARAMETERS).
CALL_PARAMETERS: dict[str, frozenset[str]] = {"customers_batch": BATCH_PARAMETERS}
