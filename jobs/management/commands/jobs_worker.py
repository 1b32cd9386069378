"""manage.py jobs_worker: a worker for background imports (the Procfile's `worker`).

It runs the configured task backend's own worker (django-tasks-db's db_worker, or
django-rq's rqworker for LOYALTY_TASKS_BACKEND=rq) and, beside it, the stalled-job check
(jobs/recovery.py) every JOB_HEARTBEAT_SECONDS. Start as many as you like, on as many
machines: each job runs on one of them at a time."""

from __future__ import annotations

import logging
import threading
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_rq import RQBackend

from jobs.recovery import recover_stalled_jobs_safely

logger = logging.getLogger("loyalty.jobs")
# Pauses before starting the backend's worker again after database errors in a row; the
# last repeats.
RESTART_PAUSES_SECONDS = (1, 2, 5, 10, 30)


class Command(BaseCommand):
    help = "Run background imports: the task backend's worker and the stalled-job check."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run the jobs waiting now, then stop (db_worker --batch, rqworker --burst).",
        )

    def handle(self, *args: Any, batch: bool = False, **options: Any) -> None:
        stop = threading.Event()
        checker = threading.Thread(target=_check_until, args=(stop,), daemon=True)
        checker.start()
        try:
            run_backend_worker(batch=batch)
        finally:
            stop.set()
            checker.join()


def run_backend_worker(*, batch: bool) -> None:
    """The backend's worker, started again whenever a database error ended it, after a
    pause that grows while the errors go on (RESTART_PAUSES_SECONDS). A synchronous import
    of more than the busy timeout holds SQLite's one write lock, and django-tasks-db's look
    for the next job (BEGIN EXCLUSIVE, outside its own handling of a locked database)
    ended the worker: under make run honcho then stopped the web server with it (an
    integrator's report); a PostgreSQL restart or a cut connection ended it the same way.
    A job that was running is run again once its lease runs out (the stalled-job check)."""
    failures = 0
    while True:
        started = time.monotonic()
        try:
            call_command(*backend_worker(batch=batch))
            return
        except (OperationalError, InterfaceError) as error:
            if time.monotonic() - started > RESTART_PAUSES_SECONDS[-1]:
                failures = 0  # it ran for a while: new trouble, not the same going on
            pause = RESTART_PAUSES_SECONDS[min(failures, len(RESTART_PAUSES_SECONDS) - 1)]
            failures += 1
            logger.warning(
                "the worker stopped on a database error (%s: %s); starting it again in %d s",
                type(error).__name__,
                str(error).strip(),
                pause,
            )
            connection.close()
            time.sleep(pause)


def backend_worker(*, batch: bool) -> list[str]:
    """The configured task backend's worker command, as call_command's arguments."""
    if isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], RQBackend):
        # SimpleWorker runs the job in the worker's own process, as db_worker does: a job
        # ends with its worker, and a forked work horse would inherit the database
        # connection of the parent.
        return [
            "rqworker",
            "default",
            "--job-class=django_tasks_rq.Job",
            "--worker-class=rq.worker.SimpleWorker",
            *(["--burst"] if batch else []),
        ]
    return ["db_worker", "--no-reload", "--interval=0.5", *(["--batch"] if batch else [])]


def _check_until(stop: threading.Event) -> None:
    interval = settings.LOYALTY["JOB_HEARTBEAT_SECONDS"]
    try:
        while True:
            # As Django does before each request: a connection that failed (a PostgreSQL
            # restart, a cut connection) is replaced, or every later check failed on it.
            close_old_connections()
            recover_stalled_jobs_safely()
            if stop.wait(interval):
                return
    finally:
        connection.close()
