"""A background import (customers_batch with run_in_background=yes): what was asked, where
it stands, and its answer once done."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from accounts.models import Account


class ImportJob(models.Model):
    """One submitted import. Its task (jobs/tasks.py) runs the import of the saved body
    (jobs/body.py); while it runs, its lines done and its lease live in the jobs cache
    (jobs/progress.py), outside the import's transaction."""

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
            )
        ]
        indexes = [models.Index(fields=["status"], name="import_job_status")]

    def __str__(self) -> str:
        return f"import job {self.id} ({self.status})"
