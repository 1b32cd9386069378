"""Background imports: submitting one, looking one up, and the steps of its life that the
task (jobs/tasks.py) and the stalled-job check (jobs/recovery.py) take. Each step is one
short transaction on the job's row, locked FOR UPDATE, so that two workers (or a worker and
the check) never both move the same job; the import itself runs outside them."""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from accounts.users import User
from core.errors import InvalidRequest
from customers.batch import messages as batch_messages
from customers.batch.pipeline import active_campaigns
from customers.batch.types import BatchRequest, ImportResult
from customers.models import UndoState

from . import messages as m
from .body import delete_body, save_body
from .models import ImportJob
from .progress import forget, last_beat

logger = logging.getLogger("loyalty.jobs")

NON_BLANK_LINE = re.compile(r"^[ \t]*[^ \t\r\n]", re.MULTILINE)


def submit_import_job(
    *,
    account: Account,
    user: User | None,
    request: BatchRequest,
    source: UndoState.Source = UndoState.Source.API,
    file_headers: list[str] | None = None,
) -> ImportJob:
    """Queue the import of `request` (checked: parse_batch_request made it, or the admin's
    import form) as a job, after the checks the synchronous import makes before it reads a
    line. A request_id seen before for the account answers with that job. For the API and
    for the admin (`source`, and the file's own header row: `file_headers`); the admin's
    progress page is jobs/admin.py's."""
    active_campaigns(account, request.campaign_ids)
    lines = count_lines(request.data)
    if request.request_id:
        known = ImportJob.objects.filter(account=account, request_id=request.request_id).first()
        if known is not None:
            return known
    job_id = uuid.uuid4()
    name = save_body(str(job_id), request, source.value, file_headers)
    try:
        with transaction.atomic(durable=True):
            job = ImportJob.objects.create(
                id=job_id,
                account=account,
                user=user,
                request_id=request.request_id or "",
                import_request_id=request.request_id or f"job:{job_id}",
                body_name=name,
                lines_total=lines,
            )
            transaction.on_commit(lambda: enqueue(job))
    except IntegrityError:
        # The same request_id submitted twice at once: the other one's job stands.
        delete_body(name)
        if not request.request_id:
            raise
        return ImportJob.objects.get(account=account, request_id=request.request_id)
    except BaseException:
        delete_body(name)
        raise
    return job


def count_lines(data: str) -> int:
    """About the data lines of `data`, as the import will count them (the done job's count is
    exact): line breaks, less empty lines, in a few tens of milliseconds for 1,000,000 lines
    (a regex over every line took 1.5 s of the submission). More than MAX_BATCH_ROWS is
    refused now, as the synchronous import refuses it, when the exact count says so and no
    quoted value can hold a line break."""
    text = data.strip("\r\n")
    lines = text.count("\n") + 1 - text.count("\n\n") if text else 0
    limit = settings.LOYALTY["MAX_BATCH_ROWS"]
    if lines > limit and '"' not in data:
        exact = sum(1 for _ in NON_BLANK_LINE.finditer(data))
        if exact > limit:
            raise InvalidRequest(batch_messages.TOO_MANY_LINES.format(limit=limit))
    return lines


def find_job(*, account: Account, job_id: str) -> ImportJob:
    """The account's job of this id, or InvalidRequest: another account's job is as unknown
    as one that never was."""
    value = job_id.strip()
    if not value:
        raise InvalidRequest(m.MISSING_JOB_ID)
    try:
        key = uuid.UUID(value)
    except ValueError:
        key = None
    job = ImportJob.objects.filter(account=account, pk=key).first() if key else None
    if job is None:
        raise InvalidRequest(m.UNKNOWN_JOB.format(value=batch_messages.shown(value)))
    return job


def lines_done(job: ImportJob) -> int:
    """Lines the job's running attempt has imported so far (its count restarts if a
    conflict runs the import again); the final count once it ended."""
    if job.status != ImportJob.Status.RUNNING:
        return job.lines_done
    beat = last_beat(str(job.pk))
    return beat.lines_done if beat is not None and beat.attempt == job.attempts else 0


def enqueue(job: ImportJob) -> None:
    """Hand the job to the task backend and note the task's id."""
    from .tasks import run_import_job  # the task module imports this one

    task_id = run_import_job.enqueue(str(job.pk)).id
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(task_id=task_id)


def claim(job_id: str) -> ImportJob | None:
    """Start an attempt of a queued job: None when it is not queued (done, failed, or
    already running elsewhere: a task delivered twice runs once)."""
    with transaction.atomic(durable=True):
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != ImportJob.Status.QUEUED:
            return None
        job.status = ImportJob.Status.RUNNING
        job.attempts += 1
        job.started_at = timezone.now()
        job.save(update_fields=["status", "attempts", "started_at"])
    return job


def finish(job: ImportJob, *, result: ImportResult | None = None, error: str = "") -> bool:
    """Record the attempt's end: its answer, or why there is none. An answer always stands
    (the import committed, even if the attempt was given up meanwhile: a later attempt
    would only replay it); an error only while this attempt is still the job's running one.
    False when nothing was recorded."""
    counted = result.new + result.updated + result.ignored + result.failed if result else 0
    if result is not None:
        jobs = ImportJob.objects.filter(pk=job.pk).exclude(status=ImportJob.Status.DONE)
    else:
        jobs = ImportJob.objects.filter(
            pk=job.pk, status=ImportJob.Status.RUNNING, attempts=job.attempts
        )
    with transaction.atomic(durable=True):
        ended = jobs.update(
            status=ImportJob.Status.DONE if result is not None else ImportJob.Status.FAILED,
            result=result.to_dict() if result is not None else None,
            error=error,
            lines_done=counted,
            lines_total=counted if result is not None else job.lines_total,
            finished_at=timezone.now(),
        )
    if ended:
        _clean_up(job)
    return bool(ended)


def give_up_attempt(job_id: str, attempts: int) -> None:
    """The job's running attempt `attempts` lost its worker: queue it again, or after
    JOB_ATTEMPTS attempts fail it. Its import's transaction died with the worker, so
    nothing of it was written."""
    with transaction.atomic(durable=True):
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != ImportJob.Status.RUNNING or job.attempts != attempts:
            return
        if job.attempts >= settings.LOYALTY["JOB_ATTEMPTS"]:
            job.status = ImportJob.Status.FAILED
            job.error = m.WORKER_LOST.format(attempts=job.attempts)
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "error", "finished_at"])
            transaction.on_commit(lambda: _clean_up(job))
            logger.warning("import job %s failed: its worker was lost %d times", job.pk, attempts)
        else:
            job.status = ImportJob.Status.QUEUED
            job.task_id = ""
            job.save(update_fields=["status", "task_id"])
            transaction.on_commit(lambda: enqueue(job))
            logger.warning(
                "import job %s queued again: attempt %d lost its worker", job.pk, attempts
            )


def _clean_up(job: ImportJob) -> None:
    delete_body(job.body_name)
    forget(str(job.pk))


def job_progress(job: ImportJob) -> dict[str, Any]:
    """The admin progress page's view of a job: lines done and in all, time left (from the
    rate so far), then a summary of the answer or the error."""
    done = lines_done(job)
    total = max(job.lines_total, done)
    seconds_left = None
    if job.status == ImportJob.Status.RUNNING and done and job.started_at:
        elapsed = (timezone.now() - job.started_at).total_seconds()
        seconds_left = round((total - done) * elapsed / done)
    progress: dict[str, Any] = {
        "status": job.status,
        "lines_done": done,
        "lines_total": total,
        "seconds_left": seconds_left,
        "summary": "",
        "failed": 0,
        "undo_state": None,
        "undo_state_url": None,
        "failed_lines_url": reverse("admin:jobs_importjob_failed_lines", args=[job.pk]),
    }
    if job.status == ImportJob.Status.FAILED:
        progress["summary"] = job.error
    elif job.result is not None:
        result = ImportResult.from_dict(job.result)
        progress["summary"] = SUMMARY.format(
            status=result.status.value,
            new=result.new,
            updated=result.updated,
            ignored=result.ignored,
            failed=result.failed,
        )
        progress["failed"] = result.failed
        if result.undo_state_id is not None:
            progress["undo_state"] = result.undo_state_id
            progress["undo_state_url"] = reverse(
                "admin:customers_undostate_change", args=[result.undo_state_id]
            )
            # Every failed line with its values, to fix and import again (the job's own
            # file lists the errors its answer lists).
            progress["failed_lines_url"] = reverse(
                "admin:customers_undostate_failed_lines", args=[result.undo_state_id]
            )
    return progress


SUMMARY = "Batch {status}: {new} new, {updated} updated, {ignored} ignored, {failed} failed."
