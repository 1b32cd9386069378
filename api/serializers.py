"""The answers of the API as plain data in the JSON shape, which every renderer writes.

Plain functions rather than DRF serializers: a batch answer can list 100,000 generated
identities or line errors, and a Serializer per item costs more than the import of a line.
"""

from __future__ import annotations

from typing import Any

from customers.batch.types import (
    BatchStatus,
    GeneratedIdentity,
    ImportResult,
    LineError,
    lines_of,
)
from jobs.models import ImportJob

REJECTED_SUMMARY = "Nothing was imported: {n} line(s) failed and all_or_nothing is set."


def error_data(message: str) -> dict[str, Any]:
    """The error envelope: the request did nothing."""
    return {"status": "error", "error": message}


def batch_data(result: ImportResult) -> dict[str, Any]:
    """The customers_batch answer; a rejected batch (all_or_nothing) is an error that holds
    the batch and its line errors."""
    if result.status is BatchStatus.REJECTED:
        body: dict[str, Any] = {
            "status": "error",
            "error": REJECTED_SUMMARY.format(n=result.failed),
        }
    else:
        body = {"status": "success"}
    body["batch"] = _batch(result)
    return body


def _batch(result: ImportResult) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": result.status.value,
        "customers": {
            "new": result.new,
            "updated": result.updated,
            "ignored": result.ignored,
            "failed": result.failed,
        },
    }
    if result.undo_state_id is not None:
        body["undo_state"] = result.undo_state_id
    body["generated"] = [_identity(identity) for identity in result.generated]
    body["errors"] = [_line_error(error) for error in result.errors]
    # Only when the list was cut (LOYALTY["LINE_ERRORS_LISTED"]): the failed lines not in
    # `errors`; with an undo state, customers_batch_failed_lines gives them all.
    not_listed = result.failed - lines_of(result.errors)
    if not_listed > 0:
        body["errors_not_listed"] = not_listed
    return body


def _identity(identity: GeneratedIdentity) -> dict[str, Any]:
    item: dict[str, Any] = {"line": identity.line}
    if identity.code is not None:
        item["code"] = identity.code
    if identity.card_number is not None:
        item["card_number"] = identity.card_number
    return item


def _line_error(error: LineError) -> dict[str, Any]:
    if error.field is None:
        return {"line": error.line, "message": error.message}
    return {"line": error.line, "field": error.field, "message": error.message}


def job_data(
    *,
    job_id: str,
    status: str,
    lines_done: int,
    lines_total: int,
    result: ImportResult | None = None,
    error: str = "",
    retry: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """A background import's answer (customers_batch with run_in_background=yes, and
    customers_batch_status), the one place that builds it. The id is always `batch.job_id`:
    queued and running say how far it is (`<batch status="queued">`); a done job answers
    exactly what the synchronous call would have (`batch_data`) with the id added; a failed
    one is the error envelope with `<batch status="failed">` (nothing of it was written).
    `retry` (attempt, attempts allowed): a queued or running job whose earlier attempt lost
    its worker."""
    if status == ImportJob.Status.FAILED:
        failed = {"status": status, "job_id": job_id, "lines_done": 0, "lines_total": lines_total}
        return {**error_data(error), "batch": failed}
    if result is not None:
        answer = batch_data(result)
        batch = dict(answer["batch"])
        answer["batch"] = {"status": batch.pop("status"), "job_id": job_id, **batch}
        return answer
    progress: dict[str, Any] = {
        "status": status,
        "job_id": job_id,
        "lines_done": lines_done,
        "lines_total": max(lines_total, lines_done),
    }
    if retry is not None:
        # A retried job says so (its worker was lost): which attempt, of how many, so that
        # lines_done going back to 0 reads as a retry, not as lost progress.
        progress["attempt"], progress["attempts_allowed"] = retry
    return {"status": "success", "batch": progress}
