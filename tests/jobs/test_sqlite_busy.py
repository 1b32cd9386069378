"""SQLite has one write lock: a synchronous import of more than its busy timeout holds it
(make run's set-up). An integrator saw a status call answer 500 (now 503 with Retry-After
in the envelope) and the worker die of "database is locked", taking honcho's web server
with it; the worker now starts its loop again on that error (jobs_worker). The path by
which the worker died was not reproduced here: this test pins that a worker outlives a
write lock longer than the busy timeout and then runs the next job. A real gunicorn
and a real worker on a SQLite file, the lock held by another connection, with a busy
timeout of 1 s (LOYALTY_SQLITE_BUSY_SECONDS) instead of 30."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings

from tests.reliability.server import ServerDatabase, server_env

from .conftest import PASSWORD, POINTS, USER_ID
from .test_worker_killed import Site, site_on

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
