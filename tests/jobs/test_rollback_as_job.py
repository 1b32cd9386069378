"""The admin's rollback of an import above LOYALTY["ADMIN_BACKGROUND_LINES"] rows runs as a
job: confirming leads to the job's progress page, a worker rolls back (all of it in one
transaction, progress per undo chunk), and the page ends with the immediate rollback's own
words, or, refused, with why and the conflicts to download. A second rollback of the same
import while one is queued is refused; a smaller import is rolled back at once, as before."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from campaigns.models import Enrollment, Transaction
from core.moments import shown_time
from core.wording import say
from customers.models import Customer, UndoState
from customers.rollback import roll_back
from customers.rollback_log import ROLLED_BACK_LOGGED
from customers.rollback_messages import (
    CONFLICTS_CHANGED_SINCE,
    ROLLBACK_ALREADY_QUEUED,
    ROLLBACK_QUEUED,
    ROLLED_BACK,
)
from jobs.messages import UNKNOWN_JOB
from jobs.models import ImportJob
from jobs.service import claim
from tests.admin import messages_of

from .conftest import run_db_worker

pytestmark = pytest.mark.django_db(transaction=True)


def rollback_url(state: UndoState) -> str:
    return reverse("admin:customers_undostate_rollback", args=[state.pk])


def progress_of(client: Client, job: ImportJob) -> dict:
    return client.get(f"/admin/jobs/importjob/{job.pk}/progress.json").json()


def test_a_large_imports_rollback_runs_as_a_job_and_ends_in_the_rollbacks_words(
    operator, large_import
):
    confirmed = operator.post(rollback_url(large_import), {"seen_conflicts": ""})
    job = ImportJob.objects.get()
    page = operator.get(confirmed["Location"])
    waiting = progress_of(operator, job)
    customers_before_the_worker = Customer.objects.count()
    run_db_worker()
    done = progress_of(operator, job)
    large_import.refresh_from_db()

    assert confirmed.status_code == 302
    assert confirmed["Location"] == f"/admin/jobs/importjob/{job.pk}/progress/"
    assert ROLLBACK_QUEUED.format(pk=large_import.pk) in messages_of(page)
    assert (job.kind, job.undo_state_id) == (ImportJob.Kind.ROLLBACK, large_import.pk)
    assert (waiting["status"], waiting["unit"], waiting["lines_total"]) == (
        "queued",
        "customers",
        4,
    )
    assert customers_before_the_worker == 4
    assert done["status"] == "done"
    assert (done["lines_done"], done["lines_total"]) == (4, 4)
    assert done["summary"] == say(
        ROLLED_BACK, pk=large_import.pk, deleted=3, restored=1, enrollments=3, credits=4
    )
    assert done["undo_state_url"] == f"/admin/customers/undostate/{large_import.pk}/change/"
    assert done["conflicts"] == 0
    # Titled by what and when; the import's file name, when it had one, in brackets.
    assert f"<h1>Rollback of import {large_import.pk}, {shown_time(job.created_at)}</h1>" in (
        operator.get(confirmed["Location"]).content.decode()
    )
    assert large_import.status == UndoState.Status.ROLLED_BACK
    assert list(Customer.objects.values_list("code", "first_name")) == [("C1", "Ann")]
    assert not Transaction.objects.filter(undo_state=large_import).exists()
    assert not Enrollment.objects.filter(undo_state=large_import).exists()


def test_a_background_rollback_is_in_the_admins_log_as_a_rollback_at_once_is(
    operator, large_import
):
    # Shop owner, thirteenth run: a large import's History page said "This object doesn't
    # have a change history", and Home's Recent actions left the rollback out.
    operator.post(rollback_url(large_import), {"seen_conflicts": ""})
    run_db_worker()

    entries = LogEntry.objects.filter(object_id=str(large_import.pk))
    large_import.refresh_from_db()
    assert [(entry.object_repr, entry.change_message) for entry in entries] == [
        (
            ROLLED_BACK_LOGGED.format(state=large_import),
            say(ROLLED_BACK, pk=large_import.pk, deleted=3, restored=1, enrollments=3, credits=4),
        )
    ]
    assert entries.get().user.username == "staffer"
    history = operator.get(f"/admin/customers/undostate/{large_import.pk}/history/")
    assert f"Import {large_import.pk} rolled back: 3 customers it added deleted" in (
        history.content.decode()
    )


def test_a_second_rollback_of_the_same_import_while_one_is_queued_is_refused(
    operator, large_import
):
    operator.post(rollback_url(large_import), {"seen_conflicts": ""})
    again = operator.post(rollback_url(large_import), {"seen_conflicts": ""}, follow=True)

    assert ROLLBACK_ALREADY_QUEUED.format(pk=large_import.pk) in messages_of(again)
    assert ImportJob.objects.count() == 1
    assert Customer.objects.count() == 4


def test_conflicts_that_appear_after_the_confirmation_fail_the_job_with_their_download(
    operator, large_import
):
    """Nobody confirmed overwriting C2's later edit: the job rolls nothing back and its page
    offers the conflicts, as the rollback page lists them."""
    operator.post(rollback_url(large_import), {"seen_conflicts": "", "overwrite_conflicts": "on"})
    c2 = Customer.objects.get(code="C2")
    c2.first_name = "Robert"
    c2.version += 1
    c2.save()
    run_db_worker()
    job = ImportJob.objects.get()
    done = progress_of(operator, job)
    download = operator.get(done["conflicts_url"])
    rows = b"".join(download.streaming_content).decode("utf-8-sig").splitlines()
    large_import.refresh_from_db()

    assert done["status"] == "failed"
    assert done["summary"] == CONFLICTS_CHANGED_SINCE
    assert done["conflicts"] == 1
    assert done["conflicts_url"] == (
        f"/admin/customers/undostate/{large_import.pk}/rollback/conflicts.csv"
    )
    assert download.status_code == 200
    assert len(rows) == 2 and rows[1].startswith("C2,")
    assert large_import.status == UndoState.Status.UNDOABLE
    assert Customer.objects.count() == 4


def test_an_import_up_to_the_threshold_is_rolled_back_at_once(operator, large_import, settings):
    settings.LOYALTY = {**settings.LOYALTY, "ADMIN_BACKGROUND_LINES": 4}
    confirmed = operator.post(rollback_url(large_import), {"seen_conflicts": ""})
    large_import.refresh_from_db()

    assert confirmed["Location"] == f"/admin/customers/undostate/{large_import.pk}/change/"
    assert not ImportJob.objects.exists()
    assert large_import.status == UndoState.Status.ROLLED_BACK


def test_a_rollback_reports_its_progress_per_undo_chunk(run_import, settings, user):
    """What the progress bar reads: customers done of customers in all, first those the
    import added (deleted at once), then those it changed, chunk by chunk."""
    run_import(data="\n".join(f"C{n}|Ann" for n in range(5)))
    settings.LOYALTY = {**settings.LOYALTY, "IMPORT_CHUNK_ROWS": 2}
    data = "\n".join(f"C{n}|Anna" for n in range(7))
    state = UndoState.objects.get(
        pk=run_import(data=data, overwrite_duplicates="update").undo_state_id
    )
    seen: list[tuple[int, int]] = []
    roll_back(
        undo_state=state, user=user, on_progress=lambda done, total: seen.append((done, total))
    )

    assert seen == [(0, 7), (2, 7), (4, 7), (6, 7), (7, 7)]


def test_a_rollback_whose_worker_died_after_the_commit_is_recorded_without_rolling_back_again(
    operator, large_import, settings, user
):
    """The worst moment to lose a worker: the rollback committed, the job's end not yet
    recorded. The next attempt finds the import rolled back since the job was queued and
    records what that rollback did."""
    from jobs.recovery import recover_stalled_jobs

    operator.post(rollback_url(large_import), {"seen_conflicts": ""})
    job = claim(str(ImportJob.objects.get().pk))
    assert job is not None
    roll_back(undo_state=large_import, user=user)  # what the lost attempt did
    settings.LOYALTY = {**settings.LOYALTY, "JOB_LEASE_SECONDS": 0}
    recover_stalled_jobs()
    run_db_worker()
    done = progress_of(operator, job)

    assert done["status"] == "done"
    assert done["summary"] == say(
        ROLLED_BACK, pk=large_import.pk, deleted=3, restored=1, enrollments=3, credits=4
    )
    assert ImportJob.objects.get().attempts == 2


def test_a_rollback_jobs_id_is_unknown_to_the_apis_status_call(operator, large_import, status_of):
    """The API follows imports; a rollback job is the admin's, and its answer no import's."""
    operator.post(rollback_url(large_import), {"seen_conflicts": ""})
    job_id = str(ImportJob.objects.get().pk)
    status, answer = status_of(job_id)

    assert status == 400
    assert answer == {"status": "error", "error": UNKNOWN_JOB.format(value=job_id)}
