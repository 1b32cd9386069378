"""What one request can make the server hold and store is bounded: an answer lists at most
LINE_ERRORS_LISTED line errors and counts the rest, the errors beyond them are not held in
memory, a stored request_id reply is as small, and replies expire and are deleted. And
malformed requests (too many file parts, too many campaigns, a Content-Length that is not
a number under the development server) get a 4xx with the error envelope, never a 500."""

import datetime
import json
import os
import socket
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test.client import BOUNDARY, encode_multipart
from django.utils import timezone
from lxml import etree

from api.parsers import TOO_MANY_FILES
from customers.batch import messages as m
from customers.batch.params import MAX_CAMPAIGNS
from customers.models import Customer, ImportRequest, UndoState
from tests.conftest import batch_params

ROOT = Path(__file__).resolve().parents[2]
LISTED = 5


@pytest.fixture
def small_cap(settings):
    settings.LOYALTY = {**settings.LOYALTY, "LINE_ERRORS_LISTED": LISTED, "IMPORT_CHUNK_ROWS": 4}


def failing_lines(count: int, start: int = 0) -> str:
    # One value where the headers read two: every line fails.
    return "\n".join(f"F{n}" for n in range(start, start + count))


# --- the answer ---------------------------------------------------------------------------


def test_an_xml_answer_lists_the_first_errors_and_says_how_many_are_not_listed(
    post_batch, small_cap
):
    response = post_batch(data="C1|Ann\n" + failing_lines(12))

    root = etree.fromstring(response.content)
    batch = root.find("batch")
    assert response.status_code == 200
    assert batch.findtext("customers/failed") == "12"
    # <errors> keeps its shape: an integration that reads it sees the first LISTED.
    assert [error.get("line") for error in batch.find("errors")] == ["2", "3", "4", "5", "6"]
    assert batch.findtext("errors_not_listed") == "7"


def test_a_json_answer_lists_the_first_errors_and_counts_the_rest(post_batch, small_cap):
    response = post_batch(data=failing_lines(12) + "\nC1|Ann", output="JSON")

    batch = json.loads(response.content)["batch"]
    assert batch["customers"] == {"new": 1, "updated": 0, "ignored": 0, "failed": 12}
    assert len(batch["errors"]) == LISTED
    assert batch["errors_not_listed"] == 12 - LISTED


def test_an_answer_within_the_cap_has_no_errors_not_listed(post_batch, small_cap):
    batch = json.loads(post_batch(data=failing_lines(LISTED), output="JSON").content)["batch"]

    assert len(batch["errors"]) == LISTED
    assert "errors_not_listed" not in batch


def test_all_or_nothing_rejects_on_errors_beyond_the_listed_ones_too(post_batch, small_cap):
    response = post_batch(data=failing_lines(12), all_or_nothing="yes", output="JSON")

    body = json.loads(response.content)
    assert response.status_code == 400
    assert body["batch"]["errors_not_listed"] == 12 - LISTED
    assert not Customer.objects.exists()


def test_memory_for_failing_lines_does_not_grow_with_their_errors(
    client, user, campaigns, settings
):
    """A failing line costs the server what its text costs, not an error object and an
    answer element each: twice the failing lines cost about twice the body."""
    settings.LOYALTY = {**settings.LOYALTY, "IMPORT_CHUNK_ROWS": 1000, "LINE_ERRORS_LISTED": 100}

    def peak(count: int) -> int:
        params = batch_params(data=failing_lines(count), output="JSON")
        tracemalloc.start()
        try:
            response = client.post("/api", params)
            _, top = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert json.loads(response.content)["batch"]["customers"]["failed"] == count
        return top

    peak(1000)  # the first request's one-off costs (lazy imports, caches) are not per line
    small, large = peak(10_000), peak(30_000)

    # Per extra failing line (about 8 bytes of body): well under what an error held per
    # line cost (a LineError, its message, its answer element: about 700 bytes).
    assert (large - small) / 20_000 < 250, (small, large)


# --- stored replies -------------------------------------------------------------------------


def test_a_stored_reply_lists_at_most_the_cap_and_is_replayed_as_answered(post_batch, small_cap):
    first = post_batch(data=failing_lines(12), request_id="r-1", output="JSON")
    again = post_batch(data=failing_lines(12), request_id="r-1", output="JSON")

    stored = ImportRequest.objects.get(request_id="r-1").response
    assert len(stored["errors"]) == LISTED
    assert json.loads(again.content) == json.loads(first.content)
    assert UndoState.objects.count() == 1


def test_a_stored_reply_keeps_every_generated_identity_compressed(post_batch):
    lines = "\n".join(f"|First{number}" for number in range(3000))
    params = {"card_number_generate": "12", "request_id": "r-gen", "output": "JSON"}

    first = post_batch(data=lines, **params)
    again = post_batch(data=lines, **params)

    answer = json.loads(first.content)
    assert len(answer["batch"]["generated"]) == 3000
    assert json.loads(again.content) == answer
    record = ImportRequest.objects.get(request_id="r-gen")
    assert len(record.response["generated"]) == 3000
    # Random digits do not compress below about 0.42 bytes each; the rest of the JSON does.
    assert len(bytes(record.packed_response)) < len(json.dumps(record.response)) / 2


def age(request_id: str, hours: float) -> None:
    moment = timezone.now() - datetime.timedelta(hours=hours)
    ImportRequest.objects.filter(request_id=request_id).update(created_at=moment)


def test_expired_replies_are_deleted_by_the_next_request_id_import(post_batch):
    post_batch(data="C1|Ann", request_id="old")
    post_batch(data="C2|Bob", request_id="recent")
    age("old", 25)
    age("recent", 23)

    post_batch(data="C3|Cy", request_id="new")

    assert set(ImportRequest.objects.values_list("request_id", flat=True)) == {"recent", "new"}


def test_a_retry_after_its_reply_expired_is_a_new_request(post_batch):
    post_batch(data="C1|Ann", request_id="nightly", output="JSON")
    age("nightly", 25)

    response = post_batch(data="C1|Anna", request_id="nightly", overwrite_duplicates="update")

    assert etree.fromstring(response.content).findtext("batch/customers/updated") == "1"
    assert Customer.objects.get().first_name == "Anna"
    assert UndoState.objects.count() == 2


def test_prune_request_ids_deletes_expired_replies(post_batch, settings, capsys):
    settings.LOYALTY = {**settings.LOYALTY, "REQUEST_ID_TTL_SECONDS": 3600}
    post_batch(data="C1|Ann", request_id="a")
    post_batch(data="C2|Bob", request_id="b")
    age("a", 2)

    call_command("prune_request_ids")

    assert list(ImportRequest.objects.values_list("request_id", flat=True)) == ["b"]
    assert "1 expired request_id reply(ies) deleted." in capsys.readouterr().out


# --- malformed requests: a 4xx with the envelope, never a 500 ---------------------------------


def envelope_error(response) -> str:
    body = (
        json.loads(response.content)
        if response["Content-Type"].startswith("application/json")
        else None
    )
    if body is not None:
        assert body["status"] == "error"
        return body["error"]
    root = etree.fromstring(response.content)
    assert root.get("status") == "error"
    return root.findtext("error")


@pytest.mark.parametrize("extra", [1, 5000], ids=["one more", "5,000"])
def test_more_file_parts_than_allowed_is_a_400_with_the_envelope(
    client, user, campaigns, settings, extra
):
    # Seventh red team: 5,000 file parts once answered "type is required".
    params = batch_params(data="C1|Ann", output="JSON")
    files = b"".join(
        (
            f"--{BOUNDARY}\r\n"
            f'Content-Disposition: form-data; name="f{n}"; filename="f{n}.txt"\r\n'
            "Content-Type: text/plain\r\n\r\nx\r\n"
        ).encode()
        for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + extra)
    )
    body = encode_multipart(BOUNDARY, params)
    body = body[: -len(f"--{BOUNDARY}--\r\n")] + files + f"--{BOUNDARY}--\r\n".encode()

    # Not MULTIPART_CONTENT itself, which makes the test client encode a dict.
    response = client.post("/api", body, content_type=f"multipart/form-data;boundary={BOUNDARY}")

    assert response.status_code == 400
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    assert envelope_error(response) == TOO_MANY_FILES.format(limit=limit)
    assert not Customer.objects.exists()


@pytest.mark.parametrize("count", [MAX_CAMPAIGNS + 1, 250_000])
def test_more_campaigns_than_the_cap_is_a_400_naming_the_cap(post_batch, count):
    ids = "|,|".join(str(900_000 + n) for n in range(count))

    response = post_batch(data="C1|Ann", campaigns_to_include=ids, output="JSON")

    assert response.status_code == 400
    expected = m.TOO_MANY_CAMPAIGNS.format(count=count, limit=MAX_CAMPAIGNS)
    assert envelope_error(response) == expected
    assert not Customer.objects.exists()


def test_campaigns_up_to_the_cap_are_looked_up(post_batch):
    ids = "|,|".join(str(900_000 + n) for n in range(MAX_CAMPAIGNS))

    response = post_batch(data="C1|Ann", campaigns_to_include=ids, output="JSON")

    # Looked up (no such campaigns here), not refused for their number.
    assert response.status_code == 400
    assert envelope_error(response).startswith("Unknown or inactive campaigns")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def runserver(tmp_path_factory):
    """Django's development server (DEBUG on, its own SQLite file) on a free port."""
    database = tmp_path_factory.mktemp("runserver") / "db.sqlite3"
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{database}",
    }
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    port = _free_port()
    process = subprocess.Popen(
        [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--nothreading"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("runserver did not start")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def raw_post(port: int, content_length: bytes, body: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(
            b"POST /api HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: " + content_length + b"\r\nConnection: close\r\n\r\n" + body
        )
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


# The development server runs on a SQLite file of its own whichever database the suite uses.
@pytest.mark.once
@pytest.mark.parametrize("content_length", [b"abc", b"-5", b"1e3", b"12, 12", b"+7"])
def test_a_content_length_that_is_not_a_number_is_a_400_under_the_development_server(
    runserver, content_length
):
    answer = raw_post(runserver, content_length, b"type=customers_batch&output=JSON")

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), head
    root = etree.fromstring(body)
    assert root.get("status") == "error"
    assert "Content-Length" in root.findtext("error")
