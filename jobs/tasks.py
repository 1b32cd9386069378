"""The task that runs background jobs. A worker that takes a task runs the fairest queued
job (jobs/service.py, claim_next), whichever the task was queued for:
- an import: the synchronous import's own engine (ImportRun.commit_once, one
  transaction) on the request saved at submission;
- a rollback: customers.rollback.roll_back (one transaction), as the operator confirmed it;
each with progress and a lease kept outside its transaction (jobs/progress.py)."""

from __future__ import annotations

import dataclasses
import logging

from django_tasks import TaskContext, task

from core.errors import DomainError
from customers.admin_import import admin_message
from customers.batch.service import import_customers
from customers.models import UndoState
from customers.rollback import RESULT_KEYS, RollbackRefused, roll_back, rolled_back_said
from customers.rollback_log import log_rollback
from customers.spreadsheet import columns_read

from . import messages as m
from .body import BodyUnreadable, load_body
from .models import ImportJob
from .progress import Heartbeat
from .service import claim_next, finish, finish_rollback

logger = logging.getLogger("loyalty.jobs")


@task(takes_context=True)
def run_job(context: TaskContext, job_id: str) -> None:
    """Run one attempt of the fairest queued job (`job_id`, the job the task was queued
    for, is only logged: the claim picks). A task that finds no job queued does nothing:
    one delivered twice, or left over from an earlier attempt."""
    job = claim_next(context.task_result.id)
    if job is None:
        return
    if job.kind == ImportJob.Kind.ROLLBACK:
        run_rollback(job)
    else:
        run_import(job)


def run_import(job: ImportJob) -> None:
    """One attempt of a claimed import job. The import claims the job's import_request_id
    in its transaction, so an attempt run after an earlier one committed (its worker died
    before recording the answer) replays that answer and writes nothing."""
    job_id = str(job.pk)
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
            said = admin_message(refused, account=job.account) if admin else refused.message
            finish(job, error=said)
        except Exception as crashed:
            logger.exception("import job %s failed", job_id)
            finish(job, error=m.CRASHED.format(kind=type(crashed).__name__))
        else:
            finish(job, result=result)


def run_rollback(job: ImportJob) -> None:
    """One attempt of a claimed rollback job: all of it in one transaction, or nothing.
    The rollback locks its undo state, so two attempts at once (a lease given up while its
    worker lived) run one after the other, and the second finds the state rolled back: an
    attempt run after an earlier one committed records that rollback's counts."""
    job_id = str(job.pk)
    state = job.undo_state
    if state is None:  # the undo state's deletion deletes its jobs: never, but typed so
        finish_rollback(job, error=m.ROLLBACK_CRASHED.format(kind="UndoStateGone"))
        return
    with Heartbeat(job_id, job.attempts) as heartbeat:
        try:
            done = roll_back(
                undo_state=state,
                user=job.user,
                overwrite_conflicts=job.overwrite_conflicts,
                seen_conflicts=job.seen_conflicts,
                on_progress=heartbeat.on_progress,
            )
        except RollbackRefused as refused:
            replayed = _rolled_back_since(job, state)
            if replayed is not None:
                _logged(job, state, replayed)
                finish_rollback(job, done=replayed, counted=job.lines_total)
            else:
                finish_rollback(job, error=refused.message, conflicts=_customers(refused))
        except DomainError as refused:
            finish_rollback(job, error=refused.message)
        except Exception as crashed:
            logger.exception("rollback job %s failed", job_id)
            finish_rollback(job, error=m.ROLLBACK_CRASHED.format(kind=type(crashed).__name__))
        else:
            counts = {key: getattr(done, key) for key in RESULT_KEYS}
            _logged(job, state, counts)
            finish_rollback(job, done=counts, counted=heartbeat.lines_done)


def _logged(job: ImportJob, state: UndoState, counts: dict[str, int]) -> None:
    """The rollback in the admin's log under the staff member who confirmed it, as one
    confirmed and run at once is."""
    if job.user_id is not None:
        log_rollback(user_id=job.user_id, state=state, message=rolled_back_said(state.pk, counts))


def _customers(refused: RollbackRefused) -> int:
    return len({conflict.customer_id for conflict in refused.conflicts})


def _rolled_back_since(job: ImportJob, state: UndoState) -> dict[str, int] | None:
    """What the rollback of `state` did, if it was rolled back since the job was queued:
    by an earlier attempt of the job (no other rollback of it runs meanwhile: one job at a
    time, and an import this large is not rolled back in the request)."""
    state.refresh_from_db()
    result = state.rollback_result
    if (
        state.status != UndoState.Status.ROLLED_BACK
        or state.rolled_back_at is None
        or state.rolled_back_at < job.created_at
        or result is None
    ):
        return None
    return {key: result.get(key, 0) for key in RESULT_KEYS}
