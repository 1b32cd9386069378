"""What one account may have waiting in the background, and who goes next.

Over LOYALTY["JOBS_PER_ACCOUNT"] jobs queued or running, or over
LOYALTY["JOB_BODY_BYTES_PER_ACCOUNT"] bytes of their saved bodies, run_in_background=yes
is refused with 429 in the error envelope and nothing is saved or queued; the admin says
it in shop words. A free worker takes the queued job of the account with the fewest jobs
running, then of the account served longest ago, then the oldest: one account's many jobs
do not keep another's waiting (red team: one account's eight 100k jobs delayed another's
one-line job)."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse

from customers.models import Customer, UndoState
from jobs import messages as m
from jobs.models import ImportJob
from jobs.service import claim, fairest_queued
from tests.admin import confirm, messages_of, post_file
from tests.conftest import batch_params

from .conftest import OTHER_USER, run_db_worker, run_rq_worker
from .test_admin_import_as_job import FILE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def caps(settings):
    def set_caps(jobs: int = 5, body_bytes: int = 10**9) -> None:
        settings.LOYALTY = {
            **settings.LOYALTY,
            "JOBS_PER_ACCOUNT": jobs,
            "JOB_BODY_BYTES_PER_ACCOUNT": body_bytes,
        }

    return set_caps


def saved_bodies(jobs_dir) -> list:
    folder = jobs_dir / "bodies"
    return list(folder.iterdir()) if folder.exists() else []


def test_over_the_accounts_job_cap_a_background_import_is_refused_with_429(submit, caps, jobs_dir):
    caps(jobs=2)
    first, _ = submit("C1|Jane")
    second, _ = submit("C2|Jim")
    status, refused = submit("C3|Joe")

    assert (first, second) == (200, 200)
    assert status == 429
    assert refused == {"status": "error", "error": m.TOO_MANY_JOBS.format(count=2)}
    assert ImportJob.objects.count() == 2
    assert len(saved_bodies(jobs_dir)) == 2


def test_a_retried_submission_at_the_cap_gets_its_job_back(submit, caps):
    """The cap refuses new work, never a retry of work already queued (request_id)."""
    caps(jobs=1)
    _, first = submit("C1|Jane", request_id="r-1")
    status, again = submit("C1|Jane", request_id="r-1")

    assert status == 200
    assert again["batch"]["job_id"] == first["batch"]["job_id"]
    assert ImportJob.objects.count() == 1


def test_a_job_that_ended_frees_its_place_and_another_accounts_jobs_do_not_count(
    api, submit, caps, second_account
):
    caps(jobs=1)
    submit("C1|Jane")
    other, _ = api(
        **batch_params(
            data="C1|Jane", account_id="otherwidgets", user_id=OTHER_USER, run_in_background="yes"
        )
    )
    refused, _ = submit("C2|Jim")
    run_db_worker()
    accepted, _ = submit("C2|Jim")

    assert (other, refused, accepted) == (200, 429, 200)


def test_over_the_accounts_body_bytes_a_background_import_is_refused_with_429(
    submit, caps, jobs_dir
):
    rows = "\n".join(f"C{n}|Jane" for n in range(100))
    caps(body_bytes=2_000)
    first, _ = submit(rows)
    status, refused = submit(rows.replace("Jane", "Jim"))

    assert first == 200
    assert ImportJob.objects.get().body_bytes > 1_000
    assert status == 429
    # Sizes under 1 MB are said in KB: in MB they read "0.0 MB" (integrator's low).
    held = ImportJob.objects.get().body_bytes
    size = len(rows.replace("Jane", "Jim"))
    assert refused == {
        "status": "error",
        "error": m.TOO_MANY_BODY_BYTES.format(
            held=f"{held / 1000:.1f} KB", size=f"{size} bytes", cap="2.0 KB"
        ),
    }
    assert ImportJob.objects.count() == 1
    assert len(saved_bodies(jobs_dir)) == 1


def test_the_admins_import_over_the_cap_says_so_in_shop_words(
    importer,
    account,
    submit,
    caps,
    settings,
):
    settings.LOYALTY = {**settings.LOYALTY, "ADMIN_BACKGROUND_LINES": 2}
    caps(jobs=1)
    submit("C9|Jane")
    confirmed = confirm(importer, post_file(importer, account, FILE))
    shown = importer.get(confirmed["Location"])

    assert m.ADMIN_TOO_MANY_JOBS.format(count=1) in messages_of(shown)
    assert ImportJob.objects.count() == 1
    assert not Customer.objects.exists()


def test_the_admins_rollback_over_the_cap_says_so_in_shop_words(
    operator,
    large_import,
    submit,
    caps,
):
    caps(jobs=1)
    submit("C9|Jane")
    url = reverse("admin:customers_undostate_rollback", args=[large_import.pk])
    refused = operator.post(url, {"seen_conflicts": ""}, follow=True)
    large_import.refresh_from_db()

    assert m.ROLLBACK_TOO_MANY_JOBS.format(count=1) in messages_of(refused)
    assert ImportJob.objects.filter(kind=ImportJob.Kind.ROLLBACK).count() == 0
    assert large_import.status == UndoState.Status.UNDOABLE


def queue_three_then_one(api, submit) -> tuple[list[str], str]:
    """Account A's three jobs, then account B's one; their job ids."""
    a_jobs = [submit(f"A{n}|Jane")[1]["batch"]["job_id"] for n in range(3)]
    params = batch_params(
        data="B1|Jim", account_id="otherwidgets", user_id=OTHER_USER, run_in_background="yes"
    )
    return a_jobs, api(**params)[1]["batch"]["job_id"]


def started_in_order() -> list[str]:
    return [str(pk) for pk in ImportJob.objects.order_by("started_at").values_list("pk", flat=True)]


def test_with_one_worker_the_accounts_take_turns(api, submit, second_account):
    a_jobs, b_job = queue_three_then_one(api, submit)
    run_db_worker()

    assert started_in_order() == [a_jobs[0], b_job, a_jobs[1], a_jobs[2]]
    assert set(ImportJob.objects.values_list("status", flat=True)) == {"done"}


@pytest.mark.usefixtures("rq_backend")
def test_with_one_rq_worker_the_accounts_take_turns(api, submit, second_account):
    a_jobs, b_job = queue_three_then_one(api, submit)
    run_rq_worker()

    assert started_in_order() == [a_jobs[0], b_job, a_jobs[1], a_jobs[2]]
    # Each queued job's task was waiting until a worker took it; none is left queued.
    assert set(ImportJob.objects.values_list("status", flat=True)) == {"done"}


def test_a_free_worker_takes_the_job_of_the_account_with_fewest_running(
    api, submit, second_account
):
    a_jobs, b_job = queue_three_then_one(api, submit)
    claim(a_jobs[0])  # a first worker runs A's oldest

    assert str(fairest_queued()) == b_job


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="PostgreSQL's row locks; SQLite's transactions are one after the other",
)
def test_a_submission_does_not_wait_for_an_import_running_in_the_same_account(submit, account):
    """A running import's inserts hold FOR KEY SHARE on the account row until they commit;
    the cap's lock on that row must not wait for them (a 1,000,000-row import takes a
    minute)."""
    held, release = threading.Event(), threading.Event()

    def running_import() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            # What an import's first customer insert takes on its account's row.
            cursor.execute(
                "SELECT id FROM accounts_account WHERE id = %s FOR KEY SHARE", [account.pk]
            )
            held.set()
            release.wait(30)
        connection.close()

    other = threading.Thread(target=running_import)
    other.start()
    try:
        assert held.wait(30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        status, _ = submit("C1|Jane")
    finally:
        release.set()
        other.join()
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")

    assert status == 200
