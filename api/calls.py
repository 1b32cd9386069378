"""The calls of the API, each turning its checked parameters into the service's input,
calling the service and answering with its result. Authentication, throttling and the
answer's format are the view's (api/views.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpResponseBase, StreamingHttpResponse
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.users import signed_in
from core.errors import InvalidRequest
from core.numbers import bounded_number
from core.request_log import note_request
from customers.batch.params import PARAMETERS as BATCH_PARAMETERS
from customers.batch.params import parse_batch_request, yes_flag
from customers.batch.service import import_customers
from customers.batch.types import BatchStatus, ImportResult
from customers.failed_lines import (
    failed_lines_data,
    failed_lines_dropped,
    failed_lines_filename,
)
from customers.failed_lines_file import failed_lines_file
from customers.models import UndoState
from jobs.models import ImportJob
from jobs.service import find_job, lines_done, submit_import_job, synchronous_reply

from .permissions import importing_account
from .serializers import batch_data, job_data

BACKGROUND = "run_in_background"


def customers_batch(request: Request, params: dict[str, str]) -> Response:
    """Import the batch into the account the credentials unlocked."""
    account = importing_account(request)
    note_request(request, account=account.slug)
    batch = parse_batch_request(
        params, custom_field_count=account.custom_field_count, charset=request.encoding
    )
    result = None
    if yes_flag(params, BACKGROUND):
        # A request_id a synchronous import answered is replayed at once, as without
        # run_in_background (docs/api.md, "Background imports").
        result = synchronous_reply(account=account, request=batch)
        if result is None:
            job = submit_import_job(account=account, user=signed_in(request.user), request=batch)
            note_request(request, job=str(job.pk))
            return _job_answer(job)
    if result is None:
        result = import_customers(
            account=account,
            user=signed_in(request.user),
            request=batch,
            source=UndoState.Source.API,
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
FAILED_LINES_DROPPED = (
    "undo_state {value}: {failed:,} lines of this import failed, but they are kept no more "
    "(only the newest {kept:,} imports of an account keep their failed lines)."
)
FAILED_LINES_TYPE = "text/csv; charset=utf-8"
# data_only=yes: the failed lines' values alone, as sent, for a machine (Profiles_Data).
DATA_ONLY = "data_only"
FAILED_DATA_TYPE = "text/plain; charset=utf-8"


def customers_batch_failed_lines(request: Request, params: dict[str, str]) -> HttpResponseBase:
    """The failed lines of one of the account's imports (its `undo_state`): the file the
    admin's undo state page offers (customers/failed_lines_file.py), or with data_only=yes
    their values alone, as sent, to send again. Errors are the API's envelope, in the
    format `output` asks for."""
    account = importing_account(request)
    note_request(request, account=account.slug)
    value = params.get(UNDO_STATE_PARAMETER, "").strip()
    if not value:
        raise InvalidRequest(f"{UNDO_STATE_PARAMETER} is required.")
    number = bounded_number(value, low=0, high=10**18 - 1)
    if number is None:
        raise InvalidRequest(BAD_UNDO_STATE.format(value=value[:40]))
    state = UndoState.objects.filter(account=account, pk=number).first()
    if state is None:
        # The number as read, not as sent: leading zeros could make the echo any length.
        raise InvalidRequest(NO_SUCH_UNDO_STATE.format(value=number))
    note_request(request, undo_state=state.pk)
    if failed_lines_dropped(state):
        # An empty file would tell a sync script that nothing failed.
        raise InvalidRequest(
            FAILED_LINES_DROPPED.format(
                value=state.pk, failed=state.failed, kept=settings.LOYALTY["UNDO_STATES_KEPT"]
            )
        )
    data_only = yes_flag(params, DATA_ONLY)
    if data_only:
        response = StreamingHttpResponse(failed_lines_data(state), content_type=FAILED_DATA_TYPE)
    else:
        chunks, content_type = failed_lines_file(state)
        response = StreamingHttpResponse(chunks, content_type=content_type)
    filename = failed_lines_filename(state, data_only=data_only)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def customers_batch_status(request: Request, params: dict[str, str]) -> Response:
    """Where a background import of the account stands, and its answer once done."""
    account = importing_account(request)
    note_request(request, account=account.slug)
    job = find_job(account=account, job_id=params.get("job_id", ""))
    note_request(request, job=str(job.pk), job_status=job.status)
    return _job_answer(job)


def _job_answer(job: ImportJob) -> Response:
    """The job's state; once done, with the answer the synchronous call would have given
    (HTTP 200 whatever it holds: the status call itself succeeded)."""
    result = ImportResult.from_dict(job.result) if job.result is not None else None
    data = job_data(
        job_id=str(job.pk),
        status=job.status,
        lines_done=lines_done(job),
        lines_total=job.lines_total,
        result=result,
        error=job.error,
        retry=_retry(job),
    )
    return Response(data)


def _retry(job: ImportJob) -> tuple[int, int] | None:
    """(attempt, attempts allowed) of a job retried after a lost worker: queued again, the
    attempt to come; running, the one running. None for a first attempt."""
    allowed = settings.LOYALTY["JOB_ATTEMPTS"]
    if job.status == ImportJob.Status.QUEUED and job.attempts >= 1:
        return job.attempts + 1, allowed
    if job.status == ImportJob.Status.RUNNING and job.attempts >= 2:
        return job.attempts, allowed
    return None


Call = Callable[[Request, dict[str, str]], HttpResponseBase]
# Each call of the API by its `type`; a new call is one more entry.
CALLS: dict[str, Call] = {
    "customers_batch": customers_batch,
    "customers_batch_failed_lines": customers_batch_failed_lines,
    "customers_batch_status": customers_batch_status,
}
# The parameters each call reads besides the API's own (api.params.API_PARAMETERS).
CALL_PARAMETERS: dict[str, frozenset[str]] = {
    "customers_batch": BATCH_PARAMETERS | {BACKGROUND},
    "customers_batch_failed_lines": frozenset({"api", UNDO_STATE_PARAMETER, DATA_ONLY}),
    "customers_batch_status": frozenset({"api", "job_id"}),
}
