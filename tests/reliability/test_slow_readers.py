"""Slow readers of a large download do not hold gunicorn's workers (eighth red team,
finding 1): with the documented set-up (docs/deploy.md, "Answers nginx holds"), nginx takes
the whole answer off the worker into its tmpfs, so more clients reading a large
failed-lines file slowly than there are workers leave /healthz and a small import
answering, and each slow download, once read, is the whole file."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator

import pytest

from tests.conftest import PASSWORD, USER_ID

from .conftest import WORKERS, form
from .server import ANSWER_TIMEOUT_SECONDS, Answer, request

pytestmark = pytest.mark.once

# More slow readers than workers: each sync worker serves one request at a time.
READERS = WORKERS + 1
# A failed-lines file of about 23 MB (the red team's was 22 MB): far more than nginx's
# memory buffers (2 MiB) and the loopback sockets' buffers between gunicorn and the reader.
LINES = 11_000
WIDE = 1_000
READ_BYTES = 1024
READ_EVERY_SECONDS = 0.25


def wide_failed_lines() -> str:
    # Three values against two headers: every line fails, its values kept (no secrets).
    return "\n".join(
        f"C{number}|{'Ann' * (WIDE // 3)}|{str(number) * (WIDE // len(str(number)))}"
        for number in range(LINES)
    )


def failed_lines_params(undo_state: int) -> dict[str, str]:
    return {
        "user_id": USER_ID,
        "user_password": PASSWORD,
        "account_id": "greatwidgets",
        "type": "customers_batch_failed_lines",
        "undo_state": str(undo_state),
    }


class SlowReader:
    """A download read as `curl --limit-rate 4k` reads it: a small receive window, and
    READ_BYTES every READ_EVERY_SECONDS (well within nginx's send_timeout) until hurried,
    then the rest at once."""

    def __init__(self, port: int, params: dict[str, str]):
        self.port = port
        self.body = urllib.parse.urlencode(params).encode()
        self.received = bytearray()
        self.status = 0
        self.error: BaseException | None = None
        self._hurry = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> SlowReader:
        self._thread.start()
        return self

    def _run(self) -> None:
        sock = socket.socket()
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting
            sock.settimeout(ANSWER_TIMEOUT_SECONDS)
            sock.connect(("127.0.0.1", self.port))
            connection = http.client.HTTPConnection("127.0.0.1", self.port)
            connection.sock = sock
            connection.request(
                "POST",
                "/api",
                self.body,
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
            response = connection.getresponse()
            self.status = response.status
            while not self._hurry.wait(READ_EVERY_SECONDS):
                chunk = response.read(READ_BYTES)
                if not chunk:
                    return
                self.received += chunk
            self.received += response.read()
        except BaseException as exc:  # the test looks at it
            self.error = exc
        finally:
            sock.close()

    @property
    def reading(self) -> bool:
        return self._thread.is_alive() and self.error is None

    def finish(self) -> bytes:
        self._hurry.set()
        self._thread.join(ANSWER_TIMEOUT_SECONDS)
        assert not self._thread.is_alive(), "a slow download never ended"
        assert self.error is None, repr(self.error)
        return bytes(self.received)


@pytest.fixture
def large_failed_lines(small_sndbuf) -> int:
    """The undo state of an import whose failed-lines file is about 23 MB."""
    answer = request(
        small_sndbuf.port, "POST", "/api", form(wide_failed_lines(), headers=("code", "first_name"))
    )
    assert answer.status == 200, answer.body
    assert answer.json()["batch"]["customers"]["failed"] == LINES
    return answer.json()["batch"]["undo_state"]


@pytest.fixture
def slow_readers(small_sndbuf, large_failed_lines) -> Iterator[list[SlowReader]]:
    params = failed_lines_params(large_failed_lines)
    readers = [SlowReader(small_sndbuf.port, params).start() for _ in range(READERS)]
    try:
        yield readers
    finally:
        for reader in readers:
            reader._hurry.set()


def fast_download(port: int, undo_state: int) -> Answer:
    return request(port, "POST", "/api", failed_lines_params(undo_state))


def test_healthz_and_a_small_import_answer_while_more_clients_read_a_large_download_slowly(
    small_sndbuf, large_failed_lines, slow_readers, server
):
    health = request(small_sndbuf.port, "GET", "/healthz")
    small = request(small_sndbuf.port, "POST", "/api", form("N1|Ann"))

    assert health.status == 200, health.body
    assert json.loads(health.body) == {"status": "ok", "database": "ok"}
    assert small.status == 200, small.body
    assert small.json()["batch"]["customers"]["new"] == 1
    assert all(reader.reading for reader in slow_readers)


def test_a_large_download_read_slowly_is_whole_and_the_same_as_a_fast_one(
    small_sndbuf, large_failed_lines, slow_readers
):
    fast = fast_download(small_sndbuf.port, large_failed_lines)
    assert fast.status == 200
    assert len(fast.body) > 20_000_000
    assert fast.body.count(b"\n") == LINES + 1

    read = [reader.finish() for reader in slow_readers]

    assert [reader.status for reader in slow_readers] == [200] * READERS
    assert [len(body) for body in read] == [len(fast.body)] * READERS
    assert all(body == fast.body for body in read)
