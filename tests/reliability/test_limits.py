"""Limits with clear errors: the request body (413), the number of lines (MAX_BATCH_ROWS),
huge values (a line error, never a 500), and memory that grows at most linearly up to the
largest request the limits allow. (Every field's maximum length, at the limit and one over,
is pinned in tests/api/test_data.py.)"""

import json
import tracemalloc
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.test.utils import CaptureQueriesContext
from lxml import etree

from api.parsers import TOO_BIG
from campaigns.models import Transaction
from customers.batch import messages as m
from customers.models import Customer, UndoState
from tests.conftest import batch_params

LIMIT_BYTES = 20_000


def body(response) -> dict:
    return json.loads(response.content)


def xml_error(response) -> str:
    root = etree.fromstring(response.content)
    assert root.get("status") == "error"
    return root.findtext("error")


def nothing_written() -> bool:
    return not (
        Customer.objects.exists() or Transaction.objects.exists() or UndoState.objects.exists()
    )


@pytest.fixture
def small_body_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT_BYTES


def lines(count: int, start: int = 0) -> str:
    return "\n".join(f"C{n}|Ann{n}|1" for n in range(start, start + count))


# --- the request body -----------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_a_body_over_the_limit_is_refused_with_413_naming_the_limit(
    client, user, campaigns, small_body_limit, encoding
):
    params = batch_params(("code", "first_name", "auto_add"), lines(2000), output="JSON")

    if encoding == "multipart":
        response = client.post("/api", params)
    else:
        form = urlencode(params)
        response = client.post("/api", form, content_type="application/x-www-form-urlencoded")

    # The body is not read, so `output` is not known: the answer is in XML.
    assert (response.status_code, xml_error(response)) == (413, TOO_BIG.format(limit=LIMIT_BYTES))
    assert nothing_written()


def test_a_file_part_over_the_limit_is_refused_with_413_too(
    client, user, campaigns, small_body_limit
):
    """PHP's CURLFile sends Profiles_Data as a file part; the limit is on the body."""
    params = batch_params(("code", "first_name", "auto_add"), None, output="JSON")
    data = encode_multipart(BOUNDARY, params)
    part = (
        (
            f"--{BOUNDARY}\r\n"
            'Content-Disposition: form-data; name="Profiles_Data"; filename="rows.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + lines(2000).encode()
        + b"\r\n"
    )
    data = data.replace(f"--{BOUNDARY}--".encode(), part + f"--{BOUNDARY}--".encode())
    assert len(data) > LIMIT_BYTES

    response = client.generic("POST", "/api", data, content_type=MULTIPART_CONTENT)

    assert response.status_code == 413, response.content
    assert xml_error(response) == TOO_BIG.format(limit=LIMIT_BYTES)
    assert nothing_written()


def test_a_body_just_under_the_limit_is_imported(client, user, campaigns, settings):
    params = batch_params(("code", "first_name", "auto_add"), lines(200), output="JSON")
    size = len(encode_multipart(BOUNDARY, params))
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = size

    response = client.post("/api", params)

    assert response.status_code == 200
    assert body(response)["batch"]["customers"]["new"] == 200


# --- the number of lines --------------------------------------------------------------


@pytest.fixture
def row_limit(settings):
    # Small chunks: the lines over the limit come after chunks were already written.
    settings.LOYALTY = {**settings.LOYALTY, "MAX_BATCH_ROWS": 50, "IMPORT_CHUNK_ROWS": 10}


def test_a_batch_at_the_row_limit_is_imported(post_batch, row_limit):
    # Blank lines do not count.
    data = lines(50).replace("\n", "\n\n", 10)

    response = post_batch(("code", "first_name", "auto_add"), data, output="JSON")

    assert response.status_code == 200
    assert body(response)["batch"]["customers"]["new"] == 50


def test_a_batch_over_the_row_limit_is_refused_naming_the_limit_and_writes_nothing(
    post_batch, row_limit
):
    response = post_batch(("code", "first_name", "auto_add"), lines(51), output="JSON")

    assert response.status_code == 400
    assert body(response) == {"status": "error", "error": m.TOO_MANY_LINES.format(limit=50)}
    assert nothing_written()


def test_a_batch_over_the_row_limit_is_refused_before_any_customer_is_written(
    post_batch, row_limit
):
    # Integrator's report: 1,000,001 lines were refused after 20 s, at the last line, the
    # lines before written and rolled back meanwhile (background jobs refused at once).
    with CaptureQueriesContext(connection) as queries:
        response = post_batch(("code", "first_name", "auto_add"), lines(51), output="JSON")

    assert body(response)["error"] == m.TOO_MANY_LINES.format(limit=50)
    assert not [q["sql"] for q in queries if "customers_customer" in q["sql"]]


def test_the_limits_a_refusal_names_are_written_with_thousands_separators(
    client, post_batch, settings
):
    """Integrator: "more than 1000000 lines" and "larger than the 67108864 bytes", where
    every other message and the docs write 1,000,000."""
    settings.LOYALTY = {**settings.LOYALTY, "MAX_BATCH_ROWS": 1000}
    rows = post_batch(("code", "first_name", "auto_add"), lines(1001), output="JSON")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT_BYTES
    form = urlencode(batch_params(("code", "first_name", "auto_add"), lines(2000)))
    large = client.post("/api", form, content_type="application/x-www-form-urlencoded")

    assert body(rows)["error"] == "Profiles_Data has more than 1,000 lines; split the batch."
    assert xml_error(large) == (
        "The request body is larger than the 20,000 bytes this server accepts."
    )


@pytest.mark.parametrize("validate_only", [None, "yes"])
def test_more_blank_lines_than_the_row_limit_are_refused_naming_the_limit(
    post_batch, row_limit, validate_only
):
    # Seventh red team: "Z1" and 30,000,000 line breaks took 32 s and answered 200.
    data = "Z1|Ann|1" + "\n" * 52

    response = post_batch(
        ("code", "first_name", "auto_add"), data, output="JSON", validate_only=validate_only
    )

    assert response.status_code == 400
    assert body(response)["error"] == m.TOO_MANY_BLANK_LINES.format(limit=50)
    assert nothing_written()


def test_lines_that_fail_count_towards_the_row_limit(post_batch, row_limit):
    data = "\n".join(["C1|Ann|not a number"] * 51)

    response = post_batch(("code", "first_name", "auto_add"), data, output="JSON")

    assert body(response)["error"] == m.TOO_MANY_LINES.format(limit=50)


# --- huge values ----------------------------------------------------------------------


@pytest.mark.parametrize("size", [10_000, 999_999, 2_000_000])
def test_a_huge_value_is_a_line_error_that_does_not_echo_it(post_batch, size):
    data = f"C1|{'x' * size}|1\nC2|Bob|1"

    response = post_batch(("code", "first_name", "auto_add"), data, output="JSON")

    assert response.status_code == 200
    batch = body(response)["batch"]
    assert batch["customers"] == {"new": 1, "updated": 0, "ignored": 0, "failed": 1}
    assert [error["line"] for error in batch["errors"]] == [1]
    assert len(response.content) < 2_000
    assert list(Customer.objects.values_list("code", flat=True)) == ["C2"]


def test_an_unterminated_quote_is_a_line_error_not_a_runaway(post_batch):
    data = 'C1|"Ann|1\n' + "C2|Bob|1\n" * 1000

    response = post_batch(("code", "first_name", "auto_add"), data, output="JSON")

    assert response.status_code == 200
    batch = body(response)["batch"]
    assert batch["customers"]["failed"] >= 1
    assert len(response.content) < 10_000


# --- memory -----------------------------------------------------------------------------


def peak_bytes(client, params: dict) -> int:
    tracemalloc.start()
    try:
        response = client.post("/api", params)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200, response.content[:300]
    return peak


def test_memory_of_a_request_at_the_row_limit_grows_at_most_linearly(
    client, user, campaigns, settings
):
    rows = 4000
    settings.LOYALTY = {**settings.LOYALTY, "MAX_BATCH_ROWS": rows, "IMPORT_CHUNK_ROWS": 1000}
    headers = ("code", "first_name", "email", "auto_add")

    def request(count: int, start: int) -> dict:
        data = "\n".join(f"M{n}|Name {n}|m{n}@example.com|5" for n in range(start, start + count))
        return batch_params(headers, data, no_undo=None, output="JSON")

    half = peak_bytes(client, request(rows // 2, 0))
    full = peak_bytes(client, request(rows, rows))

    assert Customer.objects.count() == rows // 2 + rows
    assert full <= 2.2 * half, (half, full)
    # About what the body, the parsed lines and the answer of one request need, per line.
    assert full / rows < 20_000, full
