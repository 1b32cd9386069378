"""nginx (deploy/nginx.conf) keeps nothing of a request or an answer on a disk, and logs no
query string (red team M3, L2): bodies up to the request limit stay in memory, a large
answer's part beyond the memory buffers goes only to the tmpfs of its proxy_temp_path
(eighth red team, M2), and the access log has the path only."""

from __future__ import annotations

import http.client
import json
import os
import socket
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, USER_ID

from .conftest import form
from .server import request
from .topology import filesystem_type

# What nginx keeps does not depend on the database behind the app.
pytestmark = pytest.mark.once

LINES = 40_000
SECRET = "pw-sekrit-"


def secret_lines(count: int = LINES) -> str:
    # A value more than the headers: every line fails, and the failed-lines file is large.
    return "\n".join(f"C{number}|Ann|{SECRET}{number}|x" for number in range(count))


def temp_files(nginx) -> list[str]:
    """What nginx left in its temporary paths: bodies' and answers'."""
    paths = [*(nginx.workdir / "body").rglob("*"), *nginx.answers.rglob("*")]
    return [str(path) for path in paths]


def gunicorn_answers(nginx) -> int:
    """The API requests gunicorn has answered (its access log, next to nginx's files)."""
    path = nginx.workdir / "gunicorn.log"
    return path.read_text(errors="replace").count('"POST /api ') if path.exists() else 0


def error_log(nginx) -> str:
    path = nginx.workdir / "error.log"
    return path.read_text(errors="replace") if path.exists() else ""


def test_a_large_body_with_passwords_is_never_written_to_nginxs_disk(documented):  # noqa: F811
    params = form(secret_lines(), headers=("code", "first_name", "customer_password"))
    assert len(urllib.parse.urlencode(params)) > 1_200_000

    answer = request(documented.port, "POST", "/api", params)

    assert answer.status == 200, answer.body
    assert json.loads(answer.body)["batch"]["customers"]["failed"] == LINES
    assert "buffered to a temporary file" not in error_log(documented)
    assert temp_files(documented) == []


def open_files(nginx) -> list[str]:
    """The files nginx has open now, but its logs and /dev/null (its fds in /proc; it runs
    as the test's user, in one process)."""
    assert nginx.process is not None
    fds = Path(f"/proc/{nginx.process.pid}/fd")
    targets = []
    for fd in fds.iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:
            continue
        if target.startswith("/") and not target.startswith((str(nginx.workdir), "/dev/null")):
            targets.append(target)
    return targets


def test_a_large_answer_read_slowly_is_held_only_on_nginxs_tmpfs(small_sndbuf):
    # A failed-lines file of about 3.4 MB: more than nginx's memory buffers (2 MiB).
    params = form(secret_lines(60_000), headers=("code", "first_name", "customer_password"))
    undo_state = json.loads(request(small_sndbuf.port, "POST", "/api", params).body)["batch"][
        "undo_state"
    ]
    body = urllib.parse.urlencode(
        {
            "user_id": USER_ID,
            "user_password": PASSWORD,
            "account_id": "greatwidgets",
            "type": "customers_batch_failed_lines",
            "undo_state": str(undo_state),
        }
    ).encode()
    answered = gunicorn_answers(small_sndbuf)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: the window
    sock.settimeout(60)
    sock.connect(("127.0.0.1", small_sndbuf.port))
    sock.sendall(
        b"POST /api HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    # A slow reader: it reads nothing until gunicorn has given nginx the whole answer.
    deadline = time.monotonic() + 120
    while gunicorn_answers(small_sndbuf) < answered + 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    # nginx may still be reading the last of it from the socket when gunicorn logs it
    # (seen once on a loaded machine): wait for its file, a few seconds at most.
    held = open_files(small_sndbuf)
    while not held and time.monotonic() < deadline + 5:
        time.sleep(0.1)
        held = open_files(small_sndbuf)
    received = bytearray()
    while chunk := sock.recv(65536):
        received += chunk
    sock.close()

    head, _, content = bytes(received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), head
    assert len(content) > 3_000_000
    # The answer beyond nginx's memory was in a (deleted) file on the tmpfs, and only there.
    answers = str(small_sndbuf.answers)
    assert filesystem_type(small_sndbuf.answers) == "tmpfs"
    assert [path for path in held if not path.startswith(answers + "/")] == []
    assert len(held) == 1 and held[0].endswith(" (deleted)")
    spilled = [line for line in error_log(small_sndbuf).splitlines() if "temporary file" in line]
    assert len(spilled) == 1 and f"buffered to a temporary file {answers}/" in spilled[0]
    # Nothing is left there once it is read; no body went to a file.
    assert list(small_sndbuf.answers.rglob("*")) == []
    assert list((small_sndbuf.workdir / "body").rglob("*")) == []


def test_nginxs_access_log_holds_no_query_string(documented):  # noqa: F811
    query = urllib.parse.urlencode({"user_id": USER_ID, "user_password": PASSWORD})
    connection = http.client.HTTPConnection("127.0.0.1", documented.port, timeout=60)
    connection.request("POST", f"/api?{query}", b"", {"Content-Type": "text/plain"})
    status = connection.getresponse().status
    connection.close()
    documented.stop()  # flushes the log

    assert status == 400
    combined = documented.workdir / "combined.log"
    assert not combined.exists() or PASSWORD not in combined.read_text()
    logged = (documented.workdir / "access.log").read_text()
    assert "POST /api " in logged
    assert PASSWORD not in logged and "?" not in logged


def test_a_clients_scheme_headers_never_reach_gunicorn(documented):  # noqa: F811
    """Red team (second attack): X-Forwarded-Ssl or X-Forwarded-Protocol from a client
    contradicted nginx's X-Forwarded-Proto, and gunicorn answered a bare HTML 400 instead of
    the API's envelope."""
    connection = http.client.HTTPConnection("127.0.0.1", documented.port, timeout=60)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Forwarded-Ssl": "on",
        "X-Forwarded-Protocol": "ssl",
    }
    connection.request("POST", "/api", b"type=customers_batch", headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()

    assert response.getheader("Content-Type", "").startswith("application/xml")
    assert b'<response status="error">' in body
