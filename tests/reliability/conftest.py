"""Fixtures of the reliability tests: a real gunicorn server on a database of its own, and
running work in threads that each have their own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import PASSWORD, POINTS, USER_ID

from .server import Gunicorn, ServerDatabase, server_env
from .topology import DocumentedGunicorn, Nginx

SERVER_WORKERS = 4


@dataclass
class Server:
    database: ServerDatabase
    gunicorn: Gunicorn
    seeded: dict

    def post(self, params, **options):
        return self.gunicorn.post(params, **options)


@pytest.fixture(scope="session")
def _server(tmp_path_factory) -> Iterator[Server]:
    """gunicorn with SERVER_WORKERS workers on `<test database name>_server` (PostgreSQL)
    or a SQLite file, for the whole session."""
    default = settings.DATABASES["default"]
    vendor = "postgresql" if "postgresql" in default["ENGINE"] else "sqlite"
    name = str(default["NAME"]).removeprefix("test_") + "_server"
    workdir = tmp_path_factory.mktemp("server")
    database = ServerDatabase(vendor=vendor, name=name, workdir=workdir)
    env = server_env(database.url)
    seeded = database.create(env)
    gunicorn = Gunicorn(env, workers=SERVER_WORKERS, log_path=workdir / "gunicorn.log")
    try:
        gunicorn.start()
        yield Server(database, gunicorn, seeded)
    finally:
        gunicorn.stop()
        database.drop()


@pytest.fixture
def server(_server) -> Server:
    """The session's server with every worker up and no data but the seed."""
    _server.gunicorn.wait_until_ready()
    _server.database.reset()
    return _server


# The documented set-up's gunicorn workers: few, so that slow clients would hold them all.
WORKERS = 2


def documented_set_up(server, workdir, *, sndbuf: str = "") -> Iterator[Nginx]:
    """nginx (deploy/nginx.conf) in front of gunicorn (gunicorn.conf.py, WORKERS workers)
    on the session server's database; yields nginx."""
    gunicorn = DocumentedGunicorn(
        server.gunicorn.env, workers=WORKERS, log_path=workdir / "gunicorn.log"
    )
    gunicorn.start()
    nginx = Nginx(upstream_port=gunicorn.port, workdir=workdir, sndbuf=sndbuf)
    try:
        nginx.start()
        yield nginx
    finally:
        nginx.remove()
        gunicorn.stop()


@pytest.fixture
def documented(server, tmp_path) -> Iterator[Nginx]:
    """The documented set-up (documented_set_up)."""
    yield from documented_set_up(server, tmp_path)


@pytest.fixture
def small_sndbuf(server, tmp_path) -> Iterator[Nginx]:
    """As `documented`, nginx's client sockets with a 64 KiB send buffer: an answer a
    client does not read waits in nginx rather than in the kernel's buffer."""
    yield from documented_set_up(server, tmp_path, sndbuf="64k")


def form(data: str, headers=("code", "first_name"), **extra) -> dict[str, str]:
    """A 1.0 customers_batch form with the seeded credentials; `extra` adds or overrides,
    None leaves a parameter out."""
    params = {
        "user_id": USER_ID,
        "user_password": PASSWORD,
        "account_id": "greatwidgets",
        "type": "customers_batch",
        "delimiter": "pipe",
        "campaigns_to_include": POINTS,
        "output": "JSON",
        "Profiles_Data": data,
    }
    for number, name in enumerate(headers, start=1):
        params[f"profiles_header_{number}"] = name
    params.update(extra)
    return {key: value for key, value in params.items() if value is not None}


def run_together(work: list[Callable[[], object]], *, timeout: float = 120) -> list:
    """Run each callable in its own thread, all released at once; their results in order.
    Each thread closes its own database connection. An exception is returned, not raised."""
    barrier = threading.Barrier(len(work))
    results: list = [None] * len(work)

    def run(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[index] = job()
        except Exception as exc:  # the test looks at it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(work)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs"
    return results
