"""A worker SIGKILLed in the middle of a job: the database is as it was, and the job is run
again by the next worker (JOB_ATTEMPTS attempts in all) or, out of attempts, reported as
failed with a message that says so. Real processes: gunicorn serving the API and
`manage.py jobs_worker` (db_worker and the stalled-job check) on a database of their own,
the worker killed with kill -9 while the status call shows its progress."""

from __future__ import annotations

import datetime
import os
import signal
import time
import uuid
from collections.abc import Iterator

import pytest
from django.conf import settings

from jobs import messages as m
from tests.reliability.server import ServerDatabase, server_env

from .conftest import PASSWORD, POINTS, USER_ID, Site, site_on

LINES = 50_000
# Short, so the next worker finds the lost job within seconds.
LEASE_SECONDS = 3
# The import engine's chunk: progress moves every this many lines.
CHUNK = 1000


@pytest.fixture(scope="module", params=["database", "rq"])
def site(request, tmp_path_factory) -> Iterator[Site]:
    """The site on either task backend: django-tasks-db, or RQ on the tests' redis-server
    (its database 1, apart from test_rq_backend's), which then also holds the progress."""
    backend = request.param
    default = settings.DATABASES["default"]
    vendor = "postgresql" if "postgresql" in default["ENGINE"] else "sqlite"
    workdir = tmp_path_factory.mktemp(f"jobsite-{backend}")
    name = str(default["NAME"]).removeprefix("test_") + (
        "_jobs" if backend == "database" else "_jobsrq"
    )
    database = ServerDatabase(vendor=vendor, name=name, workdir=workdir)
    env = server_env(database.url)
    env.update(
        LOYALTY_JOBS_DIR=str(workdir / "jobs"),
        LOYALTY_JOB_LEASE_SECONDS=str(LEASE_SECONDS),
        LOYALTY_JOB_HEARTBEAT_SECONDS="1",
        LOYALTY_IMPORT_CHUNK_ROWS=str(CHUNK),
        LOYALTY_TASKS_BACKEND=backend,
    )
    env.pop("REDIS_URL", None)
    if backend == "rq":
        env["REDIS_URL"] = request.getfixturevalue("redis_url").rsplit("/", 1)[0] + "/1"
    with site_on(database, env, workdir) as site:
        yield site


def submit(site: Site) -> str:
    rows = "\n".join(f"K{n:07d}|Name {n}|1" for n in range(LINES))
    answer = site.post(
        user_id=USER_ID,
        user_password=PASSWORD,
        account_id="greatwidgets",
        type="customers_batch",
        delimiter="pipe",
        campaigns_to_include=POINTS,
        profiles_header_1="code",
        profiles_header_2="first_name",
        profiles_header_3="auto_add",
        run_in_background="yes",
        Profiles_Data=rows,
    )
    assert answer["batch"]["status"] == "queued", answer
    return answer["batch"]["job_id"]


def status(site: Site, job_id: str) -> dict:
    return site.post(
        user_id=USER_ID,
        user_password=PASSWORD,
        account_id="greatwidgets",
        type="customers_batch_status",
        job_id=job_id,
    )


def poll(site: Site, job_id: str, until, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = status(site, job_id)
        if until(answer):
            return answer
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never got there; last answer {answer}")


def kill_while_running(site: Site, job_id: str) -> dict:
    """Start a worker, wait for the job's progress to move, kill -9 the worker; the
    progress seen last."""
    worker = site.worker()
    try:
        seen = poll(site, job_id, lambda a: a["batch"]["lines_done"] > 0, timeout=120)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    return seen


def attempts_of(site: Site, job_id: str) -> int:
    return job_row(site, job_id, "attempts")


def task_of(site: Site, job_id: str) -> str:
    return job_row(site, job_id, "task_id")


def job_row(site: Site, job_id: str, column: str):
    sql = f"SELECT {column} FROM jobs_importjob WHERE id = %s"
    rows = site.database.query(sql, (job_id.replace("-", ""),)) or site.database.query(
        sql, (job_id,)
    )
    return rows[0][0]


def rq_task_status(site: Site, task_id: str) -> str | None:
    """RQ's own status of one of its jobs (our task), None on the database backend."""
    if "REDIS_URL" not in site.env:
        return None
    import redis
    from rq.job import Job

    return Job.fetch(task_id, connection=redis.Redis.from_url(site.env["REDIS_URL"])).get_status()


@pytest.fixture
def fresh(site) -> Site:
    site.database.reset()
    site.database.query("DELETE FROM jobs_importjob")
    if "REDIS_URL" in site.env:
        import redis

        redis.Redis.from_url(site.env["REDIS_URL"]).flushdb()
    return site


def test_a_killed_workers_job_leaves_the_database_unchanged_and_the_next_worker_runs_it(fresh):
    site = fresh
    before = site.database.snapshot()
    job_id = submit(site)
    seen = kill_while_running(site, job_id)
    killed_task = task_of(site, job_id)
    after_kill = site.database.snapshot()
    still = status(site, job_id)
    worker = site.worker()
    try:
        done = poll(site, job_id, lambda a: a["batch"]["status"] not in ("queued", "running"))
    finally:
        worker.terminate()
        worker.wait(30)
    killed_task_status = rq_task_status(site, killed_task)

    assert seen["batch"]["status"] == "running"
    assert 0 < seen["batch"]["lines_done"] < LINES
    assert seen["batch"]["lines_total"] == LINES
    assert after_kill == before
    assert still["batch"]["status"] == "running"
    assert done["batch"]["status"] == "imported", done
    assert done["batch"]["customers"] == {"new": LINES, "updated": 0, "ignored": 0, "failed": 0}
    assert site.database.count("customers_customer") == LINES
    assert site.database.count("customers_undostate") == 1
    assert attempts_of(site, job_id) == 2
    # The second attempt is a new task, queued by the stalled-job check. RQ itself neither
    # retries nor fails the killed worker's task within the lease: it is left "started" in
    # RQ's registry (its cleanup moves it to the failed registry only after the queue's
    # timeout), and would do nothing if it ever ran, the job being done.
    assert task_of(site, job_id) != killed_task
    assert killed_task_status in (None, "started")


# On the database backend only: running out of attempts is our stalled-job check's own
# decision (jobs/service.py, give_up_attempt), the same whichever backend lost the worker,
# which the test above shows for RQ; a second RQ site would cost make test about 20 s.
@pytest.mark.parametrize("site", ["database"], indirect=True)
def test_a_job_out_of_attempts_is_reported_failed_and_wrote_nothing(fresh):
    site = fresh
    before = site.database.snapshot()
    job_id = submit(site)
    kill_while_running(site, job_id)
    worker = site.worker(LOYALTY_JOB_ATTEMPTS="1")
    try:
        failed = poll(site, job_id, lambda a: a["batch"]["status"] not in ("queued", "running"))
    finally:
        worker.terminate()
        worker.wait(30)

    assert failed["status"] == "error"
    assert failed["batch"]["status"] == "failed"
    assert failed["error"] == m.WORKER_LOST.format(attempts=1)
    assert site.database.snapshot() == before
    assert not list((site.logs / "jobs" / "bodies").iterdir())


# A rollback's customers: its undo data in ROLLBACK_LINES / CHUNK chunks, restored one by
# one, so the worker is killed between two of them. Fewer than an import's LINES: the
# rollback and the two imports that make it cost seconds of make test.
ROLLBACK_LINES = 4_000


def queue_rollback(site: Site) -> str:
    """The rollback job of the newest import, its row as submit_rollback_job writes it
    (tests/jobs/test_rollback_as_job.py submits it through the admin) for no conflicts
    (digest ""), and its task left to the stalled-job check, which queues the task of a job
    queued longer than the lease without one: submitting it from a second Python process
    (manage.py shell) cost this test 3 to 8 s. Its id."""
    job_id = uuid.uuid4()
    account = site.database.query("SELECT id FROM accounts_account WHERE slug = 'greatwidgets'")
    state = site.database.query("SELECT max(id) FROM customers_undostate")
    created = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    sqlite = site.database.vendor == "sqlite"
    site.database.query(
        "INSERT INTO jobs_importjob (id, kind, status, request_id, import_request_id, "
        "body_name, body_bytes, undo_state_id, overwrite_conflicts, seen_conflicts, "
        "lines_total, lines_done, error, attempts, task_id, created_at, account_id, file_name) "
        "VALUES (%s, 'rollback', 'queued', '', '', '', 0, %s, %s, '', %s, 0, '', 0, '', "
        "%s, %s, '')",
        (
            job_id.hex if sqlite else str(job_id),
            state[0][0],
            False,
            ROLLBACK_LINES,
            created.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else created,
            account[0][0],
        ),
    )
    return str(job_id)


def import_now(site: Site, name: str, **extra: str) -> None:
    rows = "\n".join(f"K{n:07d}|{name} {n}" for n in range(ROLLBACK_LINES))
    answer = site.post(
        user_id=USER_ID,
        user_password=PASSWORD,
        account_id="greatwidgets",
        type="customers_batch",
        delimiter="pipe",
        campaigns_to_include=POINTS,
        profiles_header_1="code",
        profiles_header_2="first_name",
        Profiles_Data=rows,
        **extra,
    )
    assert answer["batch"]["status"] == "imported", answer


def beat_of(site: Site, job_id: str) -> dict | None:
    """The running rollback's last beat, as the worker wrote it to the jobs cache."""
    from django.core.cache.backends.filebased import FileBasedCache

    return FileBasedCache(str(site.logs / "jobs" / "progress"), {}).get(f"job:{job_id}")


# On the database backend only, as the test above: the rollback's attempts are the same
# stalled-job check's, and another site would cost make test seconds.
@pytest.mark.parametrize("site", ["database"], indirect=True)
def test_a_worker_killed_mid_rollback_leaves_the_database_unchanged_and_the_next_runs_it(fresh):
    site = fresh
    import_now(site, "Name")
    import_now(site, "Renamed", overwrite_duplicates="update")
    job_id = queue_rollback(site)
    before = site.database.snapshot()
    worker = site.worker()
    successor = None
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            beat = beat_of(site, job_id)
            if beat and successor is None:
                # The next worker starts while this one rolls back (it finds no task
                # waiting): its start-up overlaps the lease the killed attempt leaves. Its
                # lease is shorter than the site's, still twice the heartbeat.
                successor = site.worker(LOYALTY_JOB_LEASE_SECONDS="2")
            if beat and beat["lines_total"] and 0 < beat["lines_done"] < beat["lines_total"]:
                break
            time.sleep(0.005)
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    after_kill = site.database.snapshot()
    killed_status = job_row(site, job_id, "status")
    assert successor is not None
    try:
        deadline = time.monotonic() + 120
        while job_row(site, job_id, "status") in ("queued", "running"):
            assert time.monotonic() < deadline, "the rollback never ended"
            time.sleep(0.05)
    finally:
        successor.terminate()
        successor.wait(30)
    renamed = site.database.query(
        "SELECT count(*) FROM customers_customer WHERE first_name LIKE %s", ("Renamed%",)
    )[0][0]

    assert beat is not None and 0 < beat["lines_done"] < ROLLBACK_LINES
    assert after_kill == before
    assert killed_status == "running"
    assert job_row(site, job_id, "status") == "done"
    assert attempts_of(site, job_id) == 2
    assert renamed == 0
    assert site.database.count("customers_customer") == ROLLBACK_LINES


# The worker's connections, told apart from gunicorn's by their application name.
WORKER_CONNECTIONS = "jobs_worker"


def worker_connections(site: Site) -> int:
    sql = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
    return site.database.query(sql, (WORKER_CONNECTIONS,))[0][0]


# On PostgreSQL only: SQLite has no connection to cut (a worker behind its write lock is
# test_sqlite_busy's); on the database backend only, whose worker loop the cut ends.
@pytest.mark.postgres
@pytest.mark.parametrize("site", ["database"], indirect=True)
def test_a_worker_whose_database_connections_were_cut_runs_the_next_job(fresh):
    site = fresh
    worker = site.worker(DATABASE_URL=f"{site.database.url}?application_name={WORKER_CONNECTIONS}")
    try:
        # Its loop's connection and its stalled-job check's, both idle between jobs.
        deadline = time.monotonic() + 60
        while worker_connections(site) < 2:
            assert time.monotonic() < deadline, "the worker never connected"
            time.sleep(0.05)
        # What a PostgreSQL restart or a proxy's idle timeout does to a worker.
        cut = site.database.query(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = %s",
            (WORKER_CONNECTIONS,),
        )[0][0]
        import_now(site, "Name")
        # A job without a task: only the stalled-job check queues its task, and only the
        # worker's loop runs it.
        job_id = queue_rollback(site)
        deadline = time.monotonic() + 60
        while job_row(site, job_id, "status") in ("queued", "running"):
            assert time.monotonic() < deadline, "the job never ended"
            time.sleep(0.05)
        alive = worker.poll() is None
    finally:
        worker.terminate()
        worker.wait(30)

    assert cut == 2
    assert alive, "the worker died"
    assert job_row(site, job_id, "status") == "done"
    assert attempts_of(site, job_id) == 1
    assert site.database.count("customers_customer") == 0
