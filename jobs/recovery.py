"""The stalled-job check: finds jobs whose worker was lost and runs them again.

A worker killed in the middle of an import (SIGKILL, out of memory, a machine gone) takes
its transaction with it: the database is as before the import. Neither task backend tells
us: django-tasks-db leaves its task row 'RUNNING' for ever, and RQ notices only when its
job timeout passes. So each attempt renews a lease (jobs/progress.py) and this check,
run by every `jobs_worker` every JOB_HEARTBEAT_SECONDS, queues a job whose lease ran out
again, up to JOB_ATTEMPTS attempts in all, then fails it with a message that says so. It
also queues again a job whose task was lost before a worker took it (a crash between the
job's commit and the enqueue, a Redis that lost its data)."""

from __future__ import annotations

import datetime
import logging
import time

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from django_tasks import TaskResultStatus, default_task_backend
from django_tasks.exceptions import TaskResultDoesNotExist

from .models import ImportJob
from .progress import last_beat
from .service import enqueue, give_up_attempt

logger = logging.getLogger("loyalty.jobs")


def recover_stalled_jobs() -> int:
    """Queue again (or fail) every job that lost its worker or its task; how many."""
    lease = settings.LOYALTY["JOB_LEASE_SECONDS"]
    recovered = 0
    for job in ImportJob.objects.filter(status=ImportJob.Status.RUNNING):
        beat = last_beat(str(job.pk))
        if beat is not None and beat.attempt == job.attempts:
            last = beat.at
        else:
            last = job.started_at.timestamp() if job.started_at else 0.0
        if time.time() - last > lease:
            give_up_attempt(str(job.pk), job.attempts)
            recovered += 1
    older = timezone.now() - datetime.timedelta(seconds=lease)
    for job in ImportJob.objects.filter(status=ImportJob.Status.QUEUED, created_at__lt=older):
        if not _task_waiting(job):
            logger.warning("import job %s had no waiting task: queued again", job.pk)
            enqueue(job)
            recovered += 1
    return recovered


def recover_stalled_jobs_safely() -> None:
    """recover_stalled_jobs, its database errors logged: on SQLite a long import holds the
    write lock, and the check simply tries again next time."""
    try:
        recover_stalled_jobs()
    except DatabaseError as busy:
        logger.info("stalled-job check skipped: %s", busy)


def _task_waiting(job: ImportJob) -> bool:
    """Is a task for the job's next attempt waiting for a worker?"""
    if not job.task_id:
        return False
    try:
        result = default_task_backend.get_result(job.task_id)
    except TaskResultDoesNotExist:
        return False
    return result.status is TaskResultStatus.READY
