"""What one client address, and the whole server, can make nginx hold in memory
(deploy/nginx.conf; docs/deploy.md, "Memory nginx can be made to hold"). nginx keeps every
body in memory, never on disk: so at most 2 large bodies (1,000,000 bytes or more, or
chunked) per address and 16 on the server are read at once, and one over a limit gets 429
as soon as its headers are read (seventh red team: 20 x 60 MB per address pinned 1.2 GB)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from .server import request

pytestmark = pytest.mark.once

LARGE_PER_CLIENT = 2
LARGE_ON_SERVER = 16
DECLARED = 60_000_000


def held_open(port: int, source: str, *, chunked: bool = False) -> socket.socket:
    """A connection from `source` that sends a large body's headers and its first bytes,
    then nothing more (nginx is reading its body)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
    length = b"Transfer-Encoding: chunked\r\n" if chunked else b"Content-Length: %d\r\n" % DECLARED
    sock.sendall(
        b"POST /api HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        + length
        + b"\r\n"
        + (b"2\r\nx=\r\n" if chunked else b"x=")
    )
    return sock


def answer_status(sock: socket.socket) -> bytes:
    """The status line nginx answers with, within 10 s (b"" for none)."""
    try:
        return sock.recv(64).split(b"\r\n", 1)[0]
    except TimeoutError:
        return b""


@pytest.fixture
def connections() -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    yield opened
    for sock in opened:
        sock.close()


@pytest.mark.parametrize("chunked", [False, True], ids=["declared length", "chunked"])
def test_an_address_gets_429_for_a_third_large_body_before_it_is_read(
    documented,  # noqa: F811
    connections,
    chunked,
):
    connections += [held_open(documented.port, "127.0.0.2", chunked=chunked) for _ in range(2)]

    third = held_open(documented.port, "127.0.0.2", chunked=chunked)
    connections.append(third)

    assert answer_status(third) == b"HTTP/1.1 429 Too Many Requests"
    assert request(documented.port, "GET", "/healthz").status == 200


def test_the_server_gets_429_for_a_17th_large_body_from_any_address(documented, connections):  # noqa: F811
    for number in range(LARGE_ON_SERVER // LARGE_PER_CLIENT):
        for _ in range(LARGE_PER_CLIENT):
            connections.append(held_open(documented.port, f"127.0.0.{10 + number}"))

    another = held_open(documented.port, "127.0.0.99")
    connections.append(another)

    assert answer_status(another) == b"HTTP/1.1 429 Too Many Requests"


def test_the_held_large_bodies_are_still_being_read(documented, connections):  # noqa: F811
    held = [held_open(documented.port, "127.0.0.3") for _ in range(LARGE_PER_CLIENT)]
    connections += held
    for sock in held:
        sock.settimeout(1)

    assert [answer_status(sock) for sock in held] == [b"", b""]
