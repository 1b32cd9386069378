"""Slow clients do not starve the server (issue 13 #6): with the documented set-up (nginx
with deploy/nginx.conf in front of gunicorn with gunicorn.conf.py, docs/deploy.md), more
connections that trickle their headers or body than gunicorn has workers leave /healthz
and a small import answering, before any trickle ends."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import pytest

from tests.conftest import API_KEY

from .conftest import WORKERS, form
from .server import request

# Slow clients are held by nginx, whatever the database behind the app.
pytestmark = pytest.mark.once

# More slow connections than workers: each sync worker serves one request at a time.
TRICKLES = 2 * WORKERS + 1
DECLARED_BODY_BYTES = 100_000
TRICKLE_EVERY_SECONDS = 0.5


class Trickle:
    """A connection that sends a POST's headers (or, with `slow_headers`, its first header
    line only) and then one byte every TRICKLE_EVERY_SECONDS, until stopped."""

    def __init__(self, port: int, *, slow_headers: bool):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.slow_headers = slow_headers
        self.sent = 0
        self.closed_by_server = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Trickle:
        if self.slow_headers:
            self.sock.sendall(b"POST /api HTTP/1.1\r\n")
        else:
            self.sock.sendall(
                b"POST /api HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: %d\r\n\r\nx=" % DECLARED_BODY_BYTES
            )
        self._thread.start()
        return self

    def _run(self) -> None:
        byte = b"X" if self.slow_headers else b"a"
        while not self._stop.wait(TRICKLE_EVERY_SECONDS):
            try:
                self.sock.sendall(byte)
            except OSError:
                self.closed_by_server = True
                return
            self.sent += 1

    @property
    def going_on(self) -> bool:
        """Still open and still short of what it declared."""
        return (
            self._thread.is_alive()
            and not self.closed_by_server
            and self.sent < DECLARED_BODY_BYTES
        )

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()


@pytest.fixture
def trickles(documented) -> Iterator[list[Trickle]]:
    started = [
        Trickle(documented.port, slow_headers=number % 2 == 1).start() for number in range(TRICKLES)
    ]
    try:
        yield started
    finally:
        for trickle in started:
            trickle.stop()


def test_healthz_answers_while_more_clients_trickle_than_there_are_workers(documented, trickles):
    answer = request(documented.port, "GET", "/healthz")

    assert answer.status == 200, answer.body
    assert json.loads(answer.body) == {"status": "ok", "database": "ok"}
    assert all(trickle.going_on for trickle in trickles)


def test_a_small_import_answers_while_more_clients_trickle_than_there_are_workers(
    documented, trickles, server
):
    answers = [
        request(documented.port, "POST", "/api", form(f"C{number}|Ann")) for number in range(3)
    ]

    assert [answer.status for answer in answers] == [200, 200, 200]
    assert [json.loads(answer.body)["batch"]["customers"]["new"] for answer in answers] == [1] * 3
    assert server.database.count("customers_customer") == 3
    assert all(trickle.going_on for trickle in trickles)


def test_the_api_access_key_header_reaches_the_app_through_nginx(documented):
    params = form("C1|Ann", api="1.5", user_password=None)

    answer = request(documented.port, "POST", "/api", params, {"api_access_key": API_KEY})

    assert answer.status == 200, answer.body
    assert json.loads(answer.body)["batch"]["customers"]["new"] == 1
