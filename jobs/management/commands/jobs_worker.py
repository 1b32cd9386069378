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
from django.db import OperationalError, connection
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_rq import RQBackend

from jobs.recovery import recover_stalled_jobs_safely

logger = logging.getLogger("loyalty.jobs")
BUSY_PAUSE_SECONDS = 1


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
    """The backend's worker, started again whenever SQLite's busy timeout ran out while it
    looked for a job: a synchronous import of more than 30 s holds SQLite's one write lock,
    and db_worker's look for the next job (a write) then failed, ended the worker and, under
    make run, honcho stopped the web server with it (an integrator's report). A job that was
    running is not affected: it ends or fails in its own transaction before this."""
    while True:
        try:
            call_command(*backend_worker(batch=batch))
            return
        except OperationalError as error:
            if "database is locked" not in str(error):
                raise
            logger.warning("the database was busy; the worker looks for jobs again")
            connection.close()
            time.sleep(BUSY_PAUSE_SECONDS)


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
            recover_stalled_jobs_safely()
            if stop.wait(interval):
                return
    finally:
        connection.close()
