"""A background job: an import (customers_batch with run_in_background=yes, or the admin's
import of a large file) or the admin's rollback of a large import; what was asked, where it
stands, and its answer once done."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from accounts.models import Account
from customers.models import UndoState


class ImportJob(models.Model):
    """One submitted import or rollback. A task (jobs/tasks.py) runs it: the import of the
    saved body (jobs/body.py), or the rollback of `undo_state`; while it runs, its lines (a
    rollback's customers) done and its lease live in the jobs cache (jobs/progress.py),
    outside its transaction."""

    class Kind(models.TextChoices):
        IMPORT = "import"
        ROLLBACK = "rollback"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        # The import ended with an answer (imported, validated, or rejected by
        # all_or_nothing): `result` holds it.
        DONE = "done"
        # No answer: `error` says why, and nothing was written.
        FAILED = "failed"

    # The job id the API hands out: random, so one job's id tells nothing of another's.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.IMPORT)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    # The client's request_id (or ''): a retried submission with it gets this job back.
    request_id = models.CharField(max_length=128, blank=True)
    # The request_id the import itself claims (the client's, or one of the job's own), so
    # that however often the job runs, the import is written once (customers/batch/replay.py).
    import_request_id = models.CharField(max_length=128)
    # The saved, encrypted request body, by its name in the import_jobs storage.
    body_name = models.CharField(max_length=255, blank=True)
    # The saved body's size, counted against LOYALTY["JOB_BODY_BYTES_PER_ACCOUNT"].
    body_bytes = models.PositiveBigIntegerField(default=0)
    # A rollback's import, the operator's choice to overwrite its conflicts, and the digest
    # of the conflicts they saw (customers.rollback.conflict_overview): the rollback is
    # refused if the conflicts it finds when it runs are not those.
    undo_state = models.ForeignKey(
        UndoState, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    overwrite_conflicts = models.BooleanField(default=False)
    seen_conflicts = models.CharField(max_length=64, blank=True)
    # The imported file's name (an admin import's, or the rolled-back import's), for the
    # job's title; '' for the API's.
    file_name = models.CharField(max_length=255, blank=True)
    lines_total = models.PositiveIntegerField(default=0)
    lines_done = models.PositiveIntegerField(default=0)
    # ImportResult.to_dict() once done.
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Runs started (a run whose worker died counts); JOB_ATTEMPTS at most.
    attempts = models.PositiveSmallIntegerField(default=0)
    # The task framework's id of the task that runs (or will run) the latest attempt.
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "request_id"],
                condition=~models.Q(request_id=""),
                name="import_job_unique_request_id",
            ),
            # One rollback of an import at a time: a second one is refused while the first
            # is queued or running (jobs/service.py, submit_rollback_job).
            models.UniqueConstraint(
                fields=["undo_state"],
                condition=models.Q(kind="rollback", status__in=["queued", "running"]),
                name="import_job_one_active_rollback",
            ),
        ]
        indexes = [
            models.Index(fields=["status"], name="import_job_status"),
            # The fair pick (jobs/service.py, claim_next): each account's latest start.
            models.Index(fields=["account", "started_at"], name="import_job_account_started"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.id} ({self.status})"
