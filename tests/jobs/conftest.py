"""Fixtures of the background-job tests: the jobs folder (saved bodies, progress) of each
test its own, the job's calls as an integrator makes them, the admin's importer and
rollback operator, a worker run in this process on the test database, a real
redis-server for the RQ backend, and a job site of real processes (Site, site_on)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.test import Client

from accounts.models import Membership
from customers.models import UndoState
from jobs.management.commands.jobs_worker import backend_worker
from tests.conftest import PASSWORD, POINTS, USER_ID, batch_params
from tests.factories import make_account, make_campaign, make_member
from tests.reliability.server import ROOT, Gunicorn, ServerDatabase

OTHER_USER = "jane1980"


@pytest.fixture(autouse=True)
def jobs_dir(settings, tmp_path) -> Path:
    """Bodies and progress of this test's jobs in a folder of its own."""
    folder = tmp_path / "jobs"
    settings.STORAGES = {
        **settings.STORAGES,
        "import_jobs": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": str(folder / "bodies"),
                "file_permissions_mode": 0o600,
                "directory_permissions_mode": 0o700,
            },
        },
    }
    settings.CACHES = {
        **settings.CACHES,
        "jobs": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(folder / "progress"),
        },
    }
    return folder


@pytest.fixture
def api(client):
    """api(**params) -> the JSON answer (and its HTTP status) of one POST to /api."""

    def post(**params) -> tuple[int, dict]:
        response = client.post("/api", {"output": "JSON", **params})
        return response.status_code, json.loads(response.content)

    return post


@pytest.fixture
def submit(api, user, campaigns):
    """submit(data, **extra) -> the answer of customers_batch with run_in_background=yes."""

    def post(data: str, headers=("code", "first_name"), **extra) -> tuple[int, dict]:
        return api(**batch_params(headers, data, **{"run_in_background": "yes", **extra}))

    return post


@pytest.fixture
def status_of(api, user):
    """status_of(job_id, **extra) -> the answer of customers_batch_status."""

    def post(job_id: str, **extra) -> tuple[int, dict]:
        params = {
            "user_id": USER_ID,
            "user_password": PASSWORD,
            "account_id": "greatwidgets",
            "type": "customers_batch_status",
            "job_id": job_id,
            **extra,
        }
        return api(**params)

    return post


@pytest.fixture
def second_account(transactional_db):
    """Another account with its own importer and the same points campaign: the same data
    imported there synchronously gives the answer to compare a job's with."""
    account = make_account(slug="otherwidgets", owner_id="2000000000000002", name="OW")
    make_member(account=account, username=OTHER_USER, password=PASSWORD)
    make_campaign(account=account, campaign_id=POINTS)
    return account


def run_db_worker() -> None:
    """django-tasks-db's worker, in this process on the test database, until no task waits."""
    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", "--interval", "0")


@pytest.fixture
def importer(account, campaigns) -> Client:
    """A staff importer of the account with the import's permissions only (none on jobs)."""
    staff = make_member(
        account=account,
        username="importer",
        password="x",
        role=Membership.Role.IMPORTER,
        is_staff=True,
    )
    codenames = ["add_customer", "change_customer", "view_customer", "view_undostate"]
    staff.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(staff)
    return client


ROLLBACK_PERMISSIONS = ("view_undostate", "rollback_undostate", "view_customer", "change_customer")


@pytest.fixture
def large_import(run_import, settings) -> UndoState:
    """An import above the (lowered) threshold: it changes C1 and adds C2 to C4, credited."""
    settings.LOYALTY = {**settings.LOYALTY, "ADMIN_BACKGROUND_LINES": 2}
    run_import(data="C1|Ann")
    result = run_import(
        ("code", "first_name", "auto_add"),
        "C1|Anna|5\nC2|Bob|3\nC3|Cy|1\nC4|Di|2",
        overwrite_duplicates="update",
    )
    return UndoState.objects.get(pk=result.undo_state_id)


@pytest.fixture
def operator(staff_user) -> Client:
    """Staff who may roll back (and no permission on jobs: they follow their rollbacks)."""
    client = Client()
    client.force_login(staff_user(*ROLLBACK_PERMISSIONS))
    return client


@pytest.fixture
def rq_backend(settings, redis_url):
    """The RQ backend on the tests' redis-server, its queue emptied first."""
    import django_rq

    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": 600}}
    django_rq.get_connection("default").flushdb()


def run_rq_worker() -> None:
    call_command(*backend_worker(batch=True))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> Iterator[str]:
    """A redis-server of the tests' own on a free port, without persistence; its URL."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        + ["--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"redis-server did not start on port {port}")
            time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.kill()
        process.wait()


# A job site: real processes (gunicorn serving the API, `manage.py jobs_worker`) on a
# database of their own, for the tests of workers killed or kept waiting.
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else "python3"


@dataclass
class Site:
    database: ServerDatabase
    web: Gunicorn
    env: dict[str, str]
    logs: Path

    def post(self, **params) -> dict:
        answer = self.web.post({"output": "JSON", **params}, timeout=120)
        return json.loads(answer.body)

    def worker(self, **env: str) -> subprocess.Popen:
        log = (self.logs / f"worker-{time.monotonic_ns()}.log").open("ab")
        return subprocess.Popen(
            [PYTHON, "manage.py", "jobs_worker"],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )


@contextmanager
def site_on(database: ServerDatabase, env: dict[str, str], workdir: Path) -> Iterator[Site]:
    """`database` created, migrated and seeded, and one gunicorn worker serving it with
    `env`, its logs in `workdir`; both gone afterwards."""
    database.create(env)
    web = Gunicorn(env, workers=1, log_path=workdir / "gunicorn.log")
    try:
        web.start()
        yield Site(database, web, env, workdir)
    finally:
        web.stop()
        database.drop()
