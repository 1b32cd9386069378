"""The task that runs a background import: the synchronous import's own engine
(ImportRun.commit_once, one transaction) on the request saved at submission, with
progress and a lease kept outside the transaction (jobs/progress.py)."""

from __future__ import annotations

import dataclasses
import logging

from django_tasks import task

from core.errors import DomainError
from customers.admin_import import admin_message
from customers.batch.service import import_customers
from customers.models import UndoState
from customers.spreadsheet import columns_read

from . import messages as m
from .body import BodyUnreadable, load_body
from .progress import Heartbeat
from .service import claim, finish

logger = logging.getLogger("loyalty.jobs")


@task()
def run_import_job(job_id: str) -> None:
    """Run one attempt of the job, if it is queued. The import claims the job's
    import_request_id in its transaction, so an attempt run after an earlier one committed
    (its worker died before recording the answer) replays that answer and writes nothing."""
    job = claim(job_id)
    if job is None:
        return
    admin = False
    with Heartbeat(job_id, job.attempts) as heartbeat:
        try:
            saved = load_body(job_id, job.body_name)
            admin = saved.file_headers is not None
            request = dataclasses.replace(saved.request, request_id=job.import_request_id)
            # An admin file's values are read as the admin's immediate import reads them.
            values_read = (
                None
                if saved.file_headers is None
                else columns_read(saved.file_headers, account=job.account)[1]
            )
            result = import_customers(
                account=job.account,
                user=job.user,
                request=request,
                source=UndoState.Source(saved.source),
                on_chunk=heartbeat.on_chunk,
                values_read=values_read,
            )
        except BodyUnreadable as lost:
            finish(job, error=m.BODY_LOST.format(reason=lost))
        except DomainError as refused:
            # What the synchronous call would have refused with (a campaign deactivated
            # since the submission, more lines than a request may hold), in the file's
            # words for an admin import.
            finish(job, error=admin_message(refused) if admin else refused.message)
        except Exception as crashed:
            logger.exception("import job %s failed", job_id)
            finish(job, error=m.CRASHED.format(kind=type(crashed).__name__))
        else:
            finish(job, result=result)
