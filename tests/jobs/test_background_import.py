"""A background import's whole life through HTTP on the database backend: submitted with
run_in_background=yes, answered at once in the asked format, run by django-tasks-db's
worker, polled with customers_batch_status until it answers what the synchronous call
answers for the same data."""

from __future__ import annotations

import dataclasses
import json
import os
import re

import orjson
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.files.base import ContentFile

from customers.batch.types import BatchRequest, ImportResult, OverwriteMode
from customers.models import Customer, ImportRequest, UndoState
from jobs import body
from jobs import messages as m
from jobs.models import ImportJob
from jobs.service import claim, finish, give_up_attempt
from jobs.tasks import run_job
from tests.conftest import PASSWORD, batch_params

from .conftest import OTHER_USER, run_db_worker

pytestmark = pytest.mark.django_db(transaction=True)

# Two new customers, one of them updated by a later line, a line error, a blank line.
DATA = "C1|Jane|jane@example.com\nC2|Jim|not-an-email\n\nC3|Larry|\nC1|Janet|\n"
HEADERS = ("code", "first_name", "email")


def sync_answer(api, data: str, **extra) -> tuple[int, dict]:
    """The synchronous call's answer for `data`, in the second account."""
    params = batch_params(HEADERS, data, account_id="otherwidgets", user_id=OTHER_USER, **extra)
    return api(**params)


def without_undo_state(answer: dict) -> dict:
    """The answer without what differs between two imports of the same data: the undo
    state, and the job's id (which only a background import's answer holds)."""
    skipped = ("undo_state", "job_id")
    batch = {key: value for key, value in answer["batch"].items() if key not in skipped}
    return {**answer, "batch": batch}


def test_a_background_import_answers_queued_at_once_then_the_synchronous_answer(
    api, submit, status_of, second_account
):
    status, queued = submit(DATA, headers=HEADERS, overwrite_duplicates="update")
    job_id = queued["batch"]["job_id"]
    waiting = status_of(job_id)
    nothing_yet = Customer.objects.count()
    run_db_worker()
    done_status, done = status_of(job_id)
    sync_status, sync = sync_answer(api, DATA, overwrite_duplicates="update")

    assert (status, queued["status"], queued["batch"]["status"]) == (200, "success", "queued")
    assert queued["batch"]["lines_total"] == 4
    assert waiting[1]["batch"]["status"] == "queued"
    assert nothing_yet == 0
    assert (done_status, done["batch"]["status"], done["batch"]["job_id"]) == (
        200,
        "imported",
        job_id,
    )
    assert without_undo_state(done) == without_undo_state(sync)
    assert sync_status == 200
    assert done["batch"]["customers"] == {"new": 2, "updated": 1, "ignored": 0, "failed": 1}
    undo_state = UndoState.objects.get(pk=done["batch"]["undo_state"])
    assert undo_state.account.slug == "greatwidgets"
    assert UndoState.objects.filter(account__slug="greatwidgets").count() == 1


def test_a_rejected_all_or_nothing_job_answers_the_synchronous_rejection(
    api, submit, status_of, second_account
):
    _, queued = submit(DATA, headers=HEADERS, all_or_nothing="yes")
    run_db_worker()
    status, done = status_of(queued["batch"]["job_id"])
    sync_status, sync = sync_answer(api, DATA, all_or_nothing="yes")

    assert sync_status == 400
    assert status == 200
    assert done["batch"]["status"] == "rejected"
    assert without_undo_state(done) == without_undo_state(sync)
    assert done["status"] == "error"
    assert not Customer.objects.exists()


def test_the_queued_answer_holds_the_job_id_in_the_batch_as_the_contract_says(submit):
    status, queued = submit("C1|Jane\nC2|Jim")

    assert status == 200
    assert queued == {
        "status": "success",
        "batch": {
            "status": "queued",
            "job_id": str(ImportJob.objects.get().pk),
            "lines_done": 0,
            "lines_total": 2,
        },
    }


def test_the_queued_answer_comes_in_the_asked_format(client, user, campaigns):
    params = batch_params(data="C1|Jane", run_in_background="yes")
    xml = client.post("/api", params).content.decode()
    jsonp = client.post("/api", {**params, "callback": "got"}).content.decode()

    assert '<response status="success">' in xml
    assert re.search(r'<batch status="queued">\s*<job_id>[0-9a-f-]{36}</job_id>', xml), xml
    assert jsonp.startswith("/**/got(")
    assert json.loads(jsonp[len("/**/got(") : -2])["batch"]["status"] == "queued"


def test_a_retried_submission_with_the_same_request_id_gets_the_same_job(submit, status_of):
    _, first = submit("C1|Jane", request_id="sync-2026-12-02")
    _, again = submit("C1|Jane", request_id="sync-2026-12-02")
    run_db_worker()
    _, after_run = submit("C1|Jane", request_id="sync-2026-12-02")
    _, done = status_of(first["batch"]["job_id"])

    assert again["batch"]["job_id"] == first["batch"]["job_id"]
    assert after_run["batch"]["job_id"] == first["batch"]["job_id"]
    assert after_run["batch"]["status"] == "imported"
    assert ImportJob.objects.count() == 1
    assert done["batch"]["customers"]["new"] == 1
    assert Customer.objects.count() == 1


def test_a_synchronous_request_id_retried_in_the_background_is_replayed_at_once(
    api, submit, settings
):
    """Integrator: the retry of a synchronous import with run_in_background=yes queued a job
    that could only replay the first answer, and at the job cap was refused with 429. It is
    answered at once with the first answer, as a synchronous retry is, and nothing is
    queued."""
    settings.LOYALTY = {**settings.LOYALTY, "JOBS_PER_ACCOUNT": 1}
    first_status, first = api(**batch_params(data="C1|Jane", request_id="nightly-7"))
    submit("C9|Other")  # the account's one job: the cap is reached
    status, again = submit("C1|Jane", request_id="nightly-7")
    sync_status, sync_again = api(**batch_params(data="C1|Jane", request_id="nightly-7"))

    assert first_status == 200 and first["batch"]["status"] == "imported"
    assert (status, again) == (sync_status, sync_again) == (200, first)
    assert ImportJob.objects.count() == 1
    assert Customer.objects.count() == 1


def test_a_background_retry_of_an_expired_synchronous_request_id_is_a_new_job(
    api, submit, settings
):
    api(**batch_params(data="C1|Jane", request_id="old-1"))
    settings.LOYALTY = {**settings.LOYALTY, "REQUEST_ID_TTL_SECONDS": 0}
    status, queued = submit("C1|Jane", request_id="old-1")

    assert status == 200
    assert queued["batch"]["status"] == "queued"
    assert ImportJob.objects.count() == 1


def test_another_accounts_job_id_is_unknown_as_a_made_up_one(submit, api, second_account):
    _, queued = submit("C1|Jane")
    job_id = queued["batch"]["job_id"]
    theirs = {
        "user_id": OTHER_USER,
        "user_password": PASSWORD,
        "account_id": "otherwidgets",
        "type": "customers_batch_status",
    }
    status, answer = api(**theirs, job_id=job_id)
    made_up_status, made_up = api(**theirs, job_id="0f0e0d0c-0b0a-4909-8807-060504030201")

    assert status == 400
    assert answer == {"status": "error", "error": m.UNKNOWN_JOB.format(value=job_id)}
    assert made_up_status == 400
    assert made_up["error"].endswith(m.UNKNOWN_JOB.split("{value}")[1])


def test_the_status_call_needs_the_same_credentials_as_customers_batch(submit, status_of):
    _, queued = submit("C1|Jane")
    status, answer = status_of(queued["batch"]["job_id"], user_password="wrong")

    assert status == 401
    assert answer["status"] == "error"
    assert "batch" not in answer


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"delimiter": None}, "delimiter is required"),
        ({"campaigns_to_include": "424242"}, "424242"),
        ({"run_in_background": "soon"}, "run_in_background must be yes or no"),
        ({"user_password": "wrong"}, ""),
    ],
)
def test_what_the_synchronous_call_refuses_before_importing_is_refused_at_submission(
    submit, extra, error
):
    status, answer = submit("C1|Jane", **extra)

    assert status in (400, 401)
    assert answer["status"] == "error"
    assert error in answer["error"]
    assert not ImportJob.objects.exists()


def test_the_saved_body_is_private_encrypted_and_removed_when_the_job_ends(submit, jobs_dir):
    _, queued = submit(
        "C1|Jane|s3cret-pw|4321",
        headers=("code", "first_name", "customer_password", "customer_PIN"),
    )
    bodies = list((jobs_dir / "bodies").iterdir())
    saved = bodies[0].read_bytes()
    mode = os.stat(bodies[0]).st_mode & 0o777
    run_db_worker()

    assert len(bodies) == 1
    assert mode == 0o600
    assert b"s3cret-pw" not in saved
    assert b"Jane" not in saved
    assert b"1959caadac9b13dcb3" not in saved
    assert list((jobs_dir / "bodies").iterdir()) == []
    assert ImportJob.objects.get().status == ImportJob.Status.DONE


def test_a_campaign_deactivated_before_the_job_runs_fails_it_with_the_synchronous_message(
    submit, status_of, campaigns
):
    _, queued = submit("C1|Jane")
    for campaign in campaigns.values():
        campaign.is_active = False
        campaign.save()
    run_db_worker()
    status, answer = status_of(queued["batch"]["job_id"])

    assert status == 200
    assert answer == {
        "status": "error",
        "error": answer["error"],
        "batch": {
            "status": "failed",
            "job_id": queued["batch"]["job_id"],
            "lines_done": 0,
            "lines_total": 1,
        },
    }
    assert "898989889" in answer["error"]
    assert not Customer.objects.exists()
    assert not ImportRequest.objects.exists()


def test_an_attempt_whose_worker_died_after_the_commit_is_answered_without_importing_again(
    submit, status_of, settings, user
):
    """The worst moment to lose a worker: its import committed, the job's answer not yet
    recorded. The next attempt replays the committed answer (the import's request_id)."""
    from customers.batch.params import parse_batch_request
    from customers.batch.service import import_customers
    from jobs.recovery import recover_stalled_jobs

    _, queued = submit("C1|Jane\nC2|Jim")
    job = claim(queued["batch"]["job_id"])
    assert job is not None
    # What the lost attempt did before it died: the import, committed.
    params = batch_params(data="C1|Jane\nC2|Jim", request_id=job.import_request_id)
    request = parse_batch_request({k.lower(): v for k, v in params.items()})
    committed = import_customers(
        account=job.account, user=user, request=request, source=UndoState.Source.API
    )
    settings.LOYALTY = {**settings.LOYALTY, "JOB_LEASE_SECONDS": 0}
    recover_stalled_jobs()
    run_db_worker()
    _, done = status_of(queued["batch"]["job_id"])

    assert done["batch"]["status"] == "imported"
    assert done["batch"]["customers"]["new"] == 2
    assert done["batch"]["undo_state"] == committed.undo_state_id
    assert Customer.objects.count() == 2
    assert UndoState.objects.count() == 1
    assert ImportJob.objects.get().attempts == 2


def test_an_answer_stands_even_when_its_attempt_was_given_up_meanwhile(submit, status_of, settings):
    """A lease that ran out while its worker lived (a cache that was down): the next
    attempt may fail on its way, but the first attempt's committed answer is the job's."""
    _, queued = submit("C1|Jane")
    job_id = queued["batch"]["job_id"]
    first = claim(job_id)
    assert first is not None
    give_up_attempt(job_id, first.attempts)
    second = claim(job_id)
    assert second is not None
    run_job.enqueue(job_id)  # a task left over: the job is running, it does nothing
    run_db_worker()
    recorded_first = finish(first, result=ImportResult(new=1))
    recorded_second = finish(second, error="the second attempt failed")
    _, answer = status_of(job_id)

    assert (recorded_first, recorded_second) == (True, False)
    assert answer["batch"]["status"] == "imported"
    assert answer["batch"]["customers"]["new"] == 1


def test_a_job_that_wrote_nothing_gives_up_its_request_id_as_the_synchronous_call_does(submit):
    """Integrator: a rejected job kept its request_id, so the fixed resubmission got the old
    rejection back and imported nothing, where the synchronous call imports it."""
    submit("C1|Jane\nC2|Jim|extra", all_or_nothing="yes", request_id="fix-1")
    run_db_worker()
    rejected = ImportJob.objects.get()

    submit("C1|Jane\nC2|Jim", all_or_nothing="yes", request_id="fix-1")
    run_db_worker()
    fixed = ImportJob.objects.exclude(pk=rejected.pk).get()
    submit("C1|Jane\nC2|Jim", all_or_nothing="yes", request_id="fix-1")

    assert rejected.result["status"] == "rejected"
    assert fixed.pk != rejected.pk
    assert Customer.objects.count() == 2
    # The job that wrote keeps the id: a third submission gets it back, no third job.
    assert ImportJob.objects.count() == 2


def test_a_job_retried_after_its_worker_was_lost_says_which_attempt_it_is(
    submit, status_of, settings
):
    settings.LOYALTY = {**settings.LOYALTY, "JOB_ATTEMPTS": 3}
    _, queued = submit("C1|Jane\nC2|Jim")
    job_id = queued["batch"]["job_id"]
    first = claim(job_id)
    assert first is not None
    _, running_first = status_of(job_id)
    give_up_attempt(job_id, first.attempts)  # its worker was lost
    _, queued_again = status_of(job_id)
    assert claim(job_id) is not None
    _, running_again = status_of(job_id)

    assert "attempt" not in queued["batch"] and "attempt" not in running_first["batch"]
    assert queued_again["batch"] == {
        "status": "queued",
        "job_id": job_id,
        "lines_done": 0,
        "lines_total": 2,
        "attempt": 2,
        "attempts_allowed": 3,
    }
    assert running_again["batch"] == {**queued_again["batch"], "status": "running"}


def test_a_byte_that_is_not_text_is_a_line_error_in_a_job_as_in_the_synchronous_call(
    client, user, campaigns, status_of, second_account
):
    # Integrator's report: a Latin-1 byte sent without a charset made run_in_background=yes
    # answer 500 "Try again" (the saved body could not hold it), where the synchronous call
    # gives a line error.
    def post_raw(account_id: str, user_id: str, background: bool) -> dict:
        params = batch_params(
            ("code", "first_name"), None, account_id=account_id, user_id=user_id, output="JSON"
        )
        if background:
            params["run_in_background"] = "yes"
        body = (
            "&".join(f"{k}={v}" for k, v in params.items()) + "&Profiles_Data=LAT1|b%E9b%0AOK1|Ann"
        )
        response = client.post("/api", body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200, response.content
        return json.loads(response.content)

    queued = post_raw("greatwidgets", batch_params()["user_id"], background=True)
    run_db_worker()
    _status, done = status_of(queued["batch"]["job_id"])
    sync = post_raw("otherwidgets", OTHER_USER, background=False)

    assert done["batch"]["status"] == "imported"
    assert without_undo_state(done) == without_undo_state(sync)
    assert done["batch"]["customers"] == {"new": 1, "updated": 0, "ignored": 0, "failed": 1}
    assert Customer.objects.filter(code="OK1").count() == 2


def test_a_body_saved_with_its_lines_in_the_json_is_still_read(jobs_dir, settings):
    # A job queued before the lines moved after the JSON (jobs/body.py) still runs after an
    # upgrade: its body is read as it was written.
    request = BatchRequest(
        api_version="1.0",
        delimiter="|",
        overwrite=OverwriteMode.UPDATE,
        record_undo=True,
        card_number_digits=None,
        campaign_ids=("1",),
        headers=("code", "first_name"),
        data="C1|Zoë\nC2|Bob",
    )
    fields = dataclasses.asdict(request)
    plain = orjson.dumps({"request": fields, "source": "api", "file_headers": None})
    nonce = os.urandom(body.NONCE_BYTES)
    job_id = "0" * 32
    sealed = nonce + AESGCM(body._key()).encrypt(nonce, plain, job_id.encode())
    name = body.storage().save(f"{job_id}.body", ContentFile(sealed))

    assert body.load_body(job_id, name).request == request
