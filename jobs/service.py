"""Background jobs (imports, and the admin's rollbacks of large imports): submitting one
within the account's caps, looking one up, and the steps of its life that the task
(jobs/tasks.py) and the stalled-job check (jobs/recovery.py) take. Each step is one short
transaction on the job's row, locked FOR UPDATE, so that two workers (or a worker and the
check) never both move the same job; the import or rollback itself runs outside them.

A worker does not run the job its task was queued for but the fairest one queued
(claim_next): that of the account with the fewest jobs running, then the one whose last
job started longest ago, then the oldest; so one account's many large jobs do not keep
another's small one waiting."""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Max, Min, Sum
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account
from accounts.users import User
from core.database_busy import while_database_busy
from core.errors import InvalidRequest, OverLimit, Refused
from core.wording import size_said
from customers.batch import messages as batch_messages
from customers.batch.parse import count_lines
from customers.batch.pipeline import active_campaigns
from customers.batch.replay import stored_reply
from customers.batch.types import BatchRequest, BatchStatus, ImportResult
from customers.import_counts import ShopCounts, credits_said, shop_counts_of
from customers.models import UndoState
from customers.rollback import rolled_back_said
from customers.rollback_messages import ROLLBACK_ALREADY_QUEUED

from . import messages as m
from .body import delete_body, save_body
from .models import ImportJob
from .progress import forget, last_beat

logger = logging.getLogger("loyalty.jobs")

# ImportJob.file_name's max_length: a longer name is kept cut.
FILE_NAME_KEPT = 255


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
    lines = count_lines(request.data, request.delimiter)
    known = None
    if request.request_id:
        known = ImportJob.objects.filter(account=account, request_id=request.request_id).first()
        if known is not None and not wrote_nothing(known):
            return known
    # Refused before the body is saved (its characters are at most its bytes); checked
    # again, exactly and under the account's lock, when the job is created.
    refuse_over_caps(account, body_bytes=len(request.data))
    job_id = uuid.uuid4()
    name, size = save_body(str(job_id), request, source.value, file_headers)
    try:
        with transaction.atomic(durable=True):
            refuse_over_caps(account, body_bytes=size, locked=True)
            if known is not None:
                # As without a job, only an import that was written keeps its request_id
                # (docs/decisions.md): a job that failed, validated or was rejected gives
                # it up, and the fixed resubmission is a new job.
                ImportJob.objects.filter(pk=known.pk).update(request_id="")
            job = ImportJob.objects.create(
                id=job_id,
                account=account,
                user=user,
                request_id=request.request_id or "",
                import_request_id=request.request_id or f"job:{job_id}",
                body_name=name,
                body_bytes=size,
                file_name=(request.file_name or "")[:FILE_NAME_KEPT],
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


def synchronous_reply(*, account: Account, request: BatchRequest) -> ImportResult | None:
    """The answer a synchronous import gave to this request_id, still kept, when no job of
    the account answers for the id: a submission retried with run_in_background=yes gets it
    at once, as a synchronous retry does, rather than a job that could only replay it (and
    that the account's job cap could refuse). The campaigns and the row limit are checked
    first, as that retry checks them."""
    if not request.request_id or request.validate_only:
        return None
    known = ImportJob.objects.filter(account=account, request_id=request.request_id).first()
    if known is not None and not wrote_nothing(known):
        return None
    reply = stored_reply(account=account, request_id=request.request_id, now=timezone.now())
    if reply is not None:
        active_campaigns(account, request.campaign_ids)
        count_lines(request.data, request.delimiter)
    return reply


def submit_rollback_job(
    *,
    state: UndoState,
    user: User | None,
    overwrite_conflicts: bool,
    seen_conflicts: str,
) -> ImportJob:
    """Queue the rollback of `state` as the operator confirmed it (the overwrite choice, the
    digest of the conflicts they saw), within the account's caps; Refused while another
    rollback of it is queued or running."""
    active = ImportJob.objects.filter(
        kind=ImportJob.Kind.ROLLBACK,
        undo_state=state,
        status__in=(ImportJob.Status.QUEUED, ImportJob.Status.RUNNING),
    )
    try:
        with transaction.atomic(durable=True):
            refuse_over_caps(state.account, body_bytes=0, locked=True)
            if active.exists():
                raise Refused(ROLLBACK_ALREADY_QUEUED.format(pk=state.pk))
            job = ImportJob.objects.create(
                kind=ImportJob.Kind.ROLLBACK,
                account_id=state.account_id,
                user=user,
                import_request_id="",
                undo_state=state,
                overwrite_conflicts=overwrite_conflicts,
                seen_conflicts=seen_conflicts,
                file_name=(state.parameters.get("file_name") or "")[:FILE_NAME_KEPT],
                # The import's counts; the rollback counts its customers exactly as it runs.
                lines_total=state.new + state.updated,
            )
            transaction.on_commit(lambda: enqueue(job))
    except IntegrityError as twice:
        # Two confirmations at once: the constraint lets one rollback job be active.
        raise Refused(ROLLBACK_ALREADY_QUEUED.format(pk=state.pk)) from twice
    return job


def refuse_over_caps(account: Account, *, body_bytes: int, locked: bool = False) -> None:
    """Raise OverLimit if one more job of the account, with a body of `body_bytes`, would
    put it over LOYALTY["JOBS_PER_ACCOUNT"] jobs queued or running or over
    LOYALTY["JOB_BODY_BYTES_PER_ACCOUNT"] bytes of their saved bodies. `locked`: inside the
    transaction that creates the job, under the account row's lock, so that two
    submissions at once are counted one after the other (SQLite's transactions take its
    write lock at BEGIN: they are one after the other already). FOR NO KEY UPDATE, not FOR
    UPDATE: a running import's inserts hold FOR KEY SHARE on the account row until they
    commit, which FOR UPDATE would wait for; FOR NO KEY UPDATE waits only for another
    submission."""
    if locked and connection.features.has_select_for_no_key_update:
        Account.objects.select_for_update(no_key=True).filter(pk=account.pk).first()
    held = ImportJob.objects.filter(
        account=account, status__in=(ImportJob.Status.QUEUED, ImportJob.Status.RUNNING)
    ).aggregate(count=Count("pk"), bytes=Sum("body_bytes"))
    count, held_bytes = held["count"], held["bytes"] or 0
    if count >= settings.LOYALTY["JOBS_PER_ACCOUNT"]:
        raise OverLimit.worded(m.TOO_MANY_JOBS, count=count)
    limit = settings.LOYALTY["JOB_BODY_BYTES_PER_ACCOUNT"]
    if body_bytes and held_bytes + body_bytes > limit:
        raise OverLimit.worded(
            m.TOO_MANY_BODY_BYTES,
            held=size_said(held_bytes),
            size=size_said(body_bytes),
            cap=size_said(limit),
        )


def wrote_nothing(job: ImportJob) -> bool:
    """The job ended and nothing of it was written: it failed, or its answer is a
    validation or an all_or_nothing rejection."""
    if job.status == ImportJob.Status.FAILED:
        return True
    if job.status != ImportJob.Status.DONE or job.result is None:
        return False
    return job.result.get("status") in (BatchStatus.VALIDATED, BatchStatus.REJECTED)


def find_job(*, account: Account, job_id: str) -> ImportJob:
    """The account's import job of this id, or InvalidRequest: another account's job is as
    unknown as one that never was, and so is a rollback job (the admin's; its answer is
    no import's)."""
    value = job_id.strip()
    if not value:
        raise InvalidRequest(m.MISSING_JOB_ID)
    try:
        key = uuid.UUID(value)
    except ValueError:
        key = None
    imports = ImportJob.objects.filter(account=account, kind=ImportJob.Kind.IMPORT)
    job = imports.filter(pk=key).first() if key else None
    if job is None:
        raise InvalidRequest(m.UNKNOWN_JOB.format(value=batch_messages.shown(value)))
    return job


def lines_done(job: ImportJob) -> int:
    """Lines the job's running attempt has imported (a rollback: customers it has rolled
    back) so far (its count restarts if a conflict runs it again); the final count once it
    ended."""
    return _counts(job)[0]


def _counts(job: ImportJob) -> tuple[int, int]:
    """(done, in all): the running attempt's last beat, or the job's row."""
    if job.status != ImportJob.Status.RUNNING:
        return job.lines_done, max(job.lines_total, job.lines_done)
    beat = last_beat(str(job.pk))
    if beat is None or beat.attempt != job.attempts:
        return 0, job.lines_total
    total = job.lines_total if beat.lines_total is None else beat.lines_total
    return beat.lines_done, max(total, beat.lines_done)


def enqueue(job: ImportJob) -> None:
    """Hand the job to the task backend (a task that runs the fairest queued job when a
    worker takes it, claim_next) and note the task's id."""
    from .tasks import run_job  # the task module imports this one

    task_id = run_job.enqueue(str(job.pk)).id
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.QUEUED).update(task_id=task_id)


def claim(job_id: str) -> ImportJob | None:
    """Start an attempt of this queued job: None when it is not queued (done, failed, or
    already running elsewhere: a task delivered twice runs once)."""
    with transaction.atomic(durable=True):
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status != ImportJob.Status.QUEUED:
            return None
        _start(job)
    return job


# Picks lost to another worker between the pick and the lock before claim_next gives up
# (on PostgreSQL; on SQLite the whole claim holds the write lock).
CLAIM_TRIES = 10


def claim_next(task_id: str) -> ImportJob | None:
    """Start an attempt of the fairest queued job (fairest_queued), for the task `task_id`
    that a worker runs; None when none is queued. Every queued job has a task waiting,
    noted in its task_id: taking another job than its own, the task hands its own job the
    waiting task of the one it took, so that the stalled-job check still finds each queued
    job's task waiting (jobs/recovery.py)."""
    for _ in range(CLAIM_TRIES):
        with transaction.atomic(durable=True):
            pick = fairest_queued()
            if pick is None:
                return None
            job = (
                ImportJob.objects.select_for_update()
                .filter(pk=pick, status=ImportJob.Status.QUEUED)
                .first()
            )
            if job is None:
                continue
            if task_id and job.task_id != task_id:
                ImportJob.objects.filter(status=ImportJob.Status.QUEUED, task_id=task_id).exclude(
                    pk=job.pk
                ).update(task_id=job.task_id)
                job.task_id = task_id
            _start(job)
        return job
    return None


def fairest_queued() -> uuid.UUID | None:
    """The queued job a free worker takes next: of the account with the fewest jobs
    running; among those, the account whose latest job started longest ago (or never),
    so that with one worker the accounts take turns; then the account's oldest."""
    queued = ImportJob.objects.filter(status=ImportJob.Status.QUEUED)
    oldest = dict(
        queued.order_by()
        .values("account_id")
        .annotate(first=Min("created_at"))
        .values_list("account_id", "first")
    )
    if not oldest:
        return None
    running = Counter(
        ImportJob.objects.filter(
            status=ImportJob.Status.RUNNING, account_id__in=oldest
        ).values_list("account_id", flat=True)
    )
    latest_start = dict(
        ImportJob.objects.filter(account_id__in=oldest, started_at__isnull=False)
        .order_by()
        .values("account_id")
        .annotate(latest=Max("started_at"))
        .values_list("account_id", "latest")
    )
    never = datetime.min.replace(tzinfo=timezone.get_current_timezone())

    def turn(account_id: int) -> tuple[int, datetime, datetime]:
        return running[account_id], latest_start.get(account_id) or never, oldest[account_id]

    account_id = min(oldest, key=turn)
    return (
        queued.filter(account_id=account_id)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )


def _start(job: ImportJob) -> None:
    job.status = ImportJob.Status.RUNNING
    job.attempts += 1
    job.started_at = timezone.now()
    job.save(update_fields=["status", "attempts", "started_at", "task_id"])


def finish(job: ImportJob, *, result: ImportResult | None = None, error: str = "") -> bool:
    """Record the import attempt's end: its answer, or why there is none. An answer always
    stands (the import committed, even if the attempt was given up meanwhile: a later
    attempt would only replay it); an error only while this attempt is still the job's
    running one. False when nothing was recorded."""
    counted = result.new + result.updated + result.ignored + result.failed if result else 0
    return _end(
        job,
        answer=result.to_dict() if result is not None else None,
        error=error,
        counted=counted if result is not None else None,
    )


def finish_rollback(
    job: ImportJob,
    *,
    done: dict[str, int] | None = None,
    counted: int = 0,
    error: str = "",
    conflicts: int = 0,
) -> bool:
    """Record the rollback attempt's end: what it did (RollbackResult's counts, by
    customers.rollback.RESULT_KEYS, and the customers it counted), or why nothing was
    rolled back, with the number of conflicts if they were the reason (the page offers
    their download)."""
    if done is not None:
        return _end(job, answer=done, error="", counted=counted)
    return _end(job, answer={"conflicts": conflicts} if conflicts else None, error=error)


def _end(job: ImportJob, *, answer: dict | None, error: str, counted: int | None = None) -> bool:
    """The job done with `answer` (`counted`: its lines in all, done) when error is "",
    else failed with `error` (and `answer`, what a failure has to show). Written again
    while SQLite's write lock is held by another write, up to JOB_END_WAIT_SECONDS: the
    import committed, and a synchronous import started meanwhile holds the lock for longer
    than the busy timeout; given up, the job would stay running until its lease ran out
    and then be run again. The caller's heartbeat renews the lease meanwhile."""
    if not error:
        jobs = ImportJob.objects.filter(pk=job.pk).exclude(status=ImportJob.Status.DONE)
    else:
        jobs = ImportJob.objects.filter(
            pk=job.pk, status=ImportJob.Status.RUNNING, attempts=job.attempts
        )

    def record() -> int:
        with transaction.atomic(durable=True):
            return jobs.update(
                status=ImportJob.Status.FAILED if error else ImportJob.Status.DONE,
                result=answer,
                error=error,
                lines_done=counted or 0,
                lines_total=job.lines_total if counted is None else counted,
                finished_at=timezone.now(),
            )

    ended = while_database_busy(record, give_up_after=settings.LOYALTY["JOB_END_WAIT_SECONDS"])
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
            lost = m.ROLLBACK_WORKER_LOST if job.kind == ImportJob.Kind.ROLLBACK else m.WORKER_LOST
            job.error = lost.format(attempts=job.attempts)
            job.finished_at = timezone.now()
            job.save(update_fields=["status", "error", "finished_at"])
            transaction.on_commit(lambda: _clean_up(job))
            logger.warning("%s failed: its worker was lost %d times", job, attempts)
        else:
            job.status = ImportJob.Status.QUEUED
            job.task_id = ""
            job.save(update_fields=["status", "task_id"])
            transaction.on_commit(lambda: enqueue(job))
            logger.warning("%s queued again: attempt %d lost its worker", job, attempts)


def _clean_up(job: ImportJob) -> None:
    delete_body(job.body_name)
    forget(str(job.pk))


def job_progress(job: ImportJob) -> dict[str, Any]:
    """The admin progress page's view of a job: lines (a rollback's customers) done and in
    all, time left (from the rate so far), then a summary of the answer or the error."""
    progress = _job_progress(job)
    # Said with thousands separators, as every count staff read ("0 of 100,000 lines").
    progress["lines_said"] = LINES_SAID.format(
        done=progress["lines_done"], total=progress["lines_total"], unit=progress["unit"]
    )
    return progress


LINES_SAID = "{done:,} of {total:,} {unit}"


def _job_progress(job: ImportJob) -> dict[str, Any]:
    done, total = _counts(job)
    seconds_left = None
    if job.status == ImportJob.Status.RUNNING and done and job.started_at:
        elapsed = (timezone.now() - job.started_at).total_seconds()
        seconds_left = round((total - done) * elapsed / done)
    progress: dict[str, Any] = {
        "status": job.status,
        "status_said": job.get_status_display(),
        "lines_done": done,
        "lines_total": total,
        "seconds_left": seconds_left,
        "unit": "lines",
        "summary": "",
        "failed": 0,
        "undo_state": None,
        "undo_state_url": None,
        "undo_state_said": None,
        "failed_lines_url": reverse("admin:jobs_importjob_failed_lines", args=[job.pk]),
        "conflicts": 0,
        "conflicts_url": None,
    }
    if job.kind == ImportJob.Kind.ROLLBACK:
        return {**progress, **_rollback_progress(job)}
    if job.status == ImportJob.Status.FAILED:
        progress["summary"] = job.error
    elif job.result is not None:
        result = ImportResult.from_dict(job.result)
        progress["summary"] = SUMMARY.format(
            status=result.status.value.capitalize(),
            counts=_shop_counts(result).said(),
            credits=credits_said(result.undo_state_id),
        )
        progress["failed"] = result.failed
        if result.undo_state_id is not None:
            progress["undo_state"] = result.undo_state_id
            progress["undo_state_said"] = UNDO_STATE_LINK.format(pk=result.undo_state_id)
            progress["undo_state_url"] = reverse(
                "admin:customers_undostate_change", args=[result.undo_state_id]
            )
            # Every failed line with its values, to fix and import again (the job's own
            # file lists the errors its answer lists).
            progress["failed_lines_url"] = reverse(
                "admin:customers_undostate_failed_lines", args=[result.undo_state_id]
            )
    return progress


def _rollback_progress(job: ImportJob) -> dict[str, Any]:
    """A rollback's page: its customers as the unit, its undo state, then what it did in
    the immediate rollback's words, or why nothing was rolled back with the conflicts to
    download if they were the reason."""
    progress: dict[str, Any] = {"unit": "customers", "failed_lines_url": None}
    if job.undo_state_id is not None:
        progress["undo_state"] = job.undo_state_id
        progress["undo_state_said"] = UNDO_STATE_LINK.format(pk=job.undo_state_id)
        progress["undo_state_url"] = reverse(
            "admin:customers_undostate_change", args=[job.undo_state_id]
        )
    answer = job.result or {}
    if job.status == ImportJob.Status.FAILED:
        progress["summary"] = job.error
        if answer.get("conflicts") and job.undo_state_id is not None:
            progress["conflicts"] = answer["conflicts"]
            progress["conflicts_url"] = reverse(
                "admin:customers_undostate_rollback_conflicts", args=[job.undo_state_id]
            )
    elif job.status == ImportJob.Status.DONE:
        progress["summary"] = rolled_back_said(job.undo_state_id, answer)
    return progress


# {counts}: the admin's words for an import's counts (customers/import_counts.py).
# Staff import files, not batches (a shop owner read "Batch imported:" as developer speak).
# The credits as the message after an admin import in the request says them.
SUMMARY = "{status}: {counts}.{credits}"
# The link to the import's undo state (or the one a rollback undid), as the undo states'
# own pages name an import: "Import 4".
UNDO_STATE_LINK = "Import {pk}"


def _shop_counts(result: ImportResult) -> ShopCounts:
    """The answer's counts as the admin says them. The answer is the API's (it has no
    Unchanged): its undo state counted them; without one (no_undo, validate_only) they are
    not known."""
    unchanged, repeated = None, 0
    if result.undo_state_id is not None:
        states = UndoState.objects.filter(pk=result.undo_state_id)
        unchanged, repeated = states.values_list("unchanged", "repeated").first() or (None, 0)
    return shop_counts_of(
        new=result.new,
        updated=result.updated,
        unchanged=unchanged,
        ignored=result.ignored,
        failed=result.failed,
        repeated=repeated,
    )
