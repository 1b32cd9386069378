"""The same life on the RQ backend (django-tasks-rq), against a real redis-server started
for the tests: submitted through HTTP, run by rqworker (as jobs_worker starts it),
answered as the synchronous call answers."""

from __future__ import annotations

import pytest

from customers.models import Customer
from jobs.models import ImportJob

from .conftest import run_rq_worker
from .test_background_import import DATA, HEADERS, sync_answer, without_undo_state

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_background_import_on_rq_answers_the_synchronous_answer(
    rq_backend, api, submit, status_of, second_account
):
    _, queued = submit(DATA, headers=HEADERS, overwrite_duplicates="update")
    job_id = queued["batch"]["job_id"]
    waiting = status_of(job_id)[1]
    task_id = ImportJob.objects.get().task_id
    run_rq_worker()
    status, done = status_of(job_id)
    _, sync = sync_answer(api, DATA, overwrite_duplicates="update")

    assert queued["batch"]["status"] == "queued"
    assert waiting["batch"]["status"] == "queued"
    assert task_id
    assert (status, done["batch"]["status"], done["batch"]["job_id"]) == (200, "imported", job_id)
    assert without_undo_state(done) == without_undo_state(sync)
    assert Customer.objects.filter(account__slug="greatwidgets").count() == 2


def test_an_rq_job_delivered_twice_imports_once(rq_backend, submit, status_of):
    from jobs.tasks import run_job

    _, queued = submit("C1|Jane\nC2|Jim")
    job_id = queued["batch"]["job_id"]
    run_job.enqueue(job_id)
    run_rq_worker()
    _, done = status_of(job_id)

    assert done["batch"]["customers"]["new"] == 2
    assert Customer.objects.count() == 2
    assert ImportJob.objects.get().attempts == 1
