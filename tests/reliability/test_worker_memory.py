"""A worker that holds much more memory after a request than it did idle retires once it
has answered, and gunicorn forks a fresh one (seventh red team: a 60 MB form body left its
worker hundreds of MB larger). gunicorn.conf.py's post_request reads the worker's resident
memory and compares it with GUNICORN_MAX_WORKER_MEMORY_MB; real gunicorn, one worker."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Iterator

import psutil
import pytest

from .server import request
from .topology import DocumentedGunicorn

pytestmark = pytest.mark.once

MB = 1_000_000
# Above the idle worker by this much, the limit the test's server runs with: a small
# request adds about 1 MB, the large body's residue at least 40 (measured: about 60).
MARGIN_MB = 20
LARGE_BODY_BYTES = 50 * MB
REPLACED_WITHIN_SECONDS = 30


def large_form() -> dict[str, str]:
    """A customers_batch form of about 50 MB (encoded) for a user that does not exist: the
    worker reads and parses all of it before it refuses it."""
    line = "C0000001 Ann Lee ann@example.com\n"
    params = {
        "user_id": "nobody",
        "user_password": "wrong",
        "account_id": "greatwidgets",
        "type": "customers_batch",
        "profiles_header_1": "code",
        "Profiles_Data": line * (LARGE_BODY_BYTES // len(urllib.parse.quote_plus(line))),
    }
    return params


@pytest.fixture
def one_worker(server, tmp_path) -> Iterator[DocumentedGunicorn]:
    """gunicorn with gunicorn.conf.py and 1 worker, its memory limit MARGIN_MB above an idle
    worker's resident memory (the session server's, the same app)."""
    idle = max(psutil.Process(pid).memory_info().rss for pid in server.gunicorn.worker_pids())
    limit = idle // MB + MARGIN_MB
    env = {**server.gunicorn.env, "GUNICORN_MAX_WORKER_MEMORY_MB": str(limit)}
    gunicorn = DocumentedGunicorn(env, workers=1, log_path=tmp_path / "gunicorn.log")
    gunicorn.start()
    try:
        yield gunicorn
    finally:
        gunicorn.stop()


def replaced(gunicorn: DocumentedGunicorn, worker: int) -> list[int]:
    """The workers once `worker` has been replaced (or the timeout has passed)."""
    deadline = time.monotonic() + REPLACED_WITHIN_SECONDS
    while time.monotonic() < deadline and gunicorn.worker_pids() in ([worker], []):
        time.sleep(0.1)
    return gunicorn.worker_pids()


def test_a_worker_retires_after_a_large_body_and_a_fresh_one_answers(one_worker):
    [worker] = one_worker.worker_pids()

    refused = one_worker.post(large_form())
    workers = replaced(one_worker, worker)
    health = request(one_worker.port, "GET", "/healthz")

    assert refused.status == 401, refused.body[:300]
    assert len(workers) == 1 and workers != [worker]
    assert health.status == 200
    assert one_worker.worker_pids() == workers
    assert "Worker retires: " in one_worker.log_path.read_text()


def test_a_small_request_does_not_retire_the_worker(one_worker):
    [worker] = one_worker.worker_pids()

    answers = [request(one_worker.port, "GET", "/healthz") for _ in range(5)]
    time.sleep(1)  # a retiring worker logs it just after its answer

    assert [answer.status for answer in answers] == [200] * 5
    assert one_worker.worker_pids() == [worker]
    assert "Worker retires: " not in one_worker.log_path.read_text()
