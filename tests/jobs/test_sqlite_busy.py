"""SQLite has one write lock: a synchronous import of more than its busy timeout holds it
(make run's set-up). An integrator saw a status call answer 500 (now 503 with Retry-After
in the envelope) and the worker die of "database is locked", taking honcho's web server
with it: django-tasks-db's look for the next task (BEGIN EXCLUSIVE, db_worker.py) timed
out outside its own handling of a locked database. The worker now starts its loop again
on a database error (jobs_worker), and outlives a write lock longer than the busy timeout
and then runs the next job (without the restart it exits 1 here). A job's
end-of-job write behind such a lock is written again until the lock is free: it timed
out, and the job stayed running until its lease ran out and was run again. A real
gunicorn and a real worker on a SQLite file, the lock held by another connection, with a
busy timeout of 1 s (LOYALTY_SQLITE_BUSY_SECONDS) instead of 30."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings

from tests.reliability.server import ServerDatabase, server_env

from .conftest import PASSWORD, POINTS, USER_ID, Site, site_on

pytestmark = pytest.mark.skipif(
    "sqlite" not in settings.DATABASES["default"]["ENGINE"],
    reason="SQLite's one write lock; PostgreSQL has no such lock",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("busy")
    database = ServerDatabase(vendor="sqlite", name="busy", workdir=workdir)
    env = server_env(database.url)
    env.update(
        LOYALTY_JOBS_DIR=str(workdir / "jobs"),
        LOYALTY_SQLITE_BUSY_SECONDS="1",
        LOYALTY_TASKS_BACKEND="database",
    )
    env.pop("REDIS_URL", None)
    with site_on(database, env, workdir) as site:
        yield site


@contextmanager
def write_lock_held(site: Site) -> Iterator[None]:
    """SQLite's write lock taken by another connection, as a long import takes it."""
    holder = sqlite3.connect(site.database.name, isolation_level=None, timeout=30)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def credentials(**params: str) -> dict[str, str]:
    return {"user_id": USER_ID, "user_password": PASSWORD, "account_id": "greatwidgets", **params}


def test_a_call_behind_another_import_is_a_503_saying_sqlite_runs_one_import_at_a_time(site):
    with write_lock_held(site):
        answer = site.web.post(
            {"output": "JSON", **credentials(type="customers_batch_status", job_id="x")}
        )

    assert answer.status == 503
    assert answer.headers["Retry-After"] == "60"
    assert answer.json() == {
        "status": "error",
        "error": "Another import is running, and this server's database, SQLite, runs one "
        "import at a time: the call waited 1 s for it and gave up. Nothing was changed. The "
        "running import may take minutes (1,000,000 lines take one to two); send the request "
        "again later (Retry-After). A server on PostgreSQL runs several imports at once "
        "(docs/deploy.md).",
    }


def test_the_worker_outlives_a_write_longer_than_the_busy_timeout_and_runs_the_next_job(site):
    with write_lock_held(site):
        worker = site.worker()
        time.sleep(6)  # the worker starts, then looks for jobs every 0.5 s: busy each time
    try:
        assert worker.poll() is None, "the worker died"
        answer = site.post(
            **credentials(
                type="customers_batch",
                delimiter="pipe",
                campaigns_to_include=POINTS,
                profiles_header_1="code",
                run_in_background="yes",
                Profiles_Data="B1\nB2",
            )
        )
        job_id = answer["batch"]["job_id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = site.post(**credentials(type="customers_batch_status", job_id=job_id))
            if status["batch"]["status"] not in ("queued", "running"):
                break
            time.sleep(0.3)
        assert status["batch"]["status"] == "imported", status
        assert status["batch"]["customers"]["new"] == 2
    finally:
        worker.kill()
        worker.wait()


# The job: long enough to be seen running inside its import's transaction.
JOB_LINES = 40_000
# Longer than the worker's two waits behind the lock after the job's commit (housekeeping,
# then the end-of-job write), each the busy timeout.
HOLD_SECONDS = 3


@contextmanager
def write_lock_taken_when_free(site: Site) -> Iterator[None]:
    """SQLite's write lock, taken the moment the writer holding it commits, as a synchronous
    import waiting behind a job's import takes it; held HOLD_SECONDS. Asked for every half
    millisecond: SQLite's own busy handler asks every 100 ms, and a synchronous import of
    150,000 lines behind a 40,000-line job got in before the job's end-of-job write only
    in one run of three."""
    holder = sqlite3.connect(site.database.name, isolation_level=None, timeout=0)
    deadline = time.monotonic() + 120
    while True:
        try:
            holder.execute("BEGIN IMMEDIATE")
            break
        except sqlite3.OperationalError:
            assert time.monotonic() < deadline, "the write lock was never free"
            time.sleep(0.0005)
    try:
        time.sleep(HOLD_SECONDS)
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def status_until(site: Site, job_id: str, until) -> dict:
    deadline = time.monotonic() + 120
    while True:
        answer = site.post(**credentials(type="customers_batch_status", job_id=job_id))
        if until(answer["batch"]):
            return answer
        assert time.monotonic() < deadline, answer
        time.sleep(0.05)


def test_a_job_whose_end_waits_behind_another_write_ends_when_the_write_ends(site):
    site.database.reset()
    rows = "\n".join(f"J{n:07d}|Name {n}" for n in range(JOB_LINES))
    queued = site.post(
        **credentials(
            type="customers_batch",
            delimiter="pipe",
            campaigns_to_include=POINTS,
            profiles_header_1="code",
            profiles_header_2="first_name",
            run_in_background="yes",
            Profiles_Data=rows,
        )
    )
    job_id = queued["batch"]["job_id"]
    # A short lease: a job left running (its end not recorded) is run again within seconds.
    worker = site.worker(LOYALTY_JOB_LEASE_SECONDS="3", LOYALTY_JOB_HEARTBEAT_SECONDS="1")
    try:
        running = status_until(site, job_id, lambda batch: batch.get("lines_done", 0) > 0)
        with write_lock_taken_when_free(site):
            pass
        ended = status_until(
            site, job_id, lambda batch: batch["status"] not in ("queued", "running")
        )
    finally:
        worker.kill()
        worker.wait()

    assert running["batch"]["status"] == "running"
    assert running["batch"]["lines_done"] < JOB_LINES
    assert ended["batch"]["status"] == "imported", ended
    assert ended["batch"]["customers"] == {
        "new": JOB_LINES,
        "updated": 0,
        "ignored": 0,
        "failed": 0,
    }
    assert site.database.query("SELECT attempts FROM jobs_importjob") == [(1,)]
    assert site.database.count("customers_customer") == JOB_LINES
