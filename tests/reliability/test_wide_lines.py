"""A line of delimiters costs the server about what its text costs: the csv reader held
16 bytes a value (a 64 MB line of '|' used 1.2 GB), so a line of more values than a request
has headers is refused before the reader holds it (customers/batch/parse.py, _Guard)."""

import json
import tracemalloc

import pytest

from customers.batch import messages as m
from customers.batch.params import MAX_HEADER_NUMBER
from tests.conftest import batch_params

BODY = 4 * 1024 * 1024


def peak(client, data: str) -> tuple[int, dict]:
    params = batch_params(headers=("code",), data=data, output="JSON", validate_only="yes")
    tracemalloc.start()
    try:
        response = client.post("/api", params)
        _, top = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return top, json.loads(response.content)


@pytest.mark.parametrize(
    "line", ["1" + "|" * BODY, '"1"' + "|" * BODY, '"1\n2"' + "|" * BODY], ids=str.__len__
)
def test_a_line_of_millions_of_delimiters_costs_a_small_multiple_of_its_text(
    client, user, campaigns, line
):
    peak(client, "C1")  # the first request's one-off costs (lazy imports, caches)

    top, body = peak(client, line)

    # The body is in memory a few times (the request, the form, the text); each value the
    # reader held cost 16 bytes (64 MB for this body).
    assert top < 8 * BODY, top / BODY
    errors = body["batch"]["errors"]
    assert [error["message"] for error in errors] == [
        m.TOO_MANY_VALUES.format(limit=MAX_HEADER_NUMBER)
    ], errors


def test_one_long_value_costs_a_small_multiple_of_its_text(client, user, campaigns):
    peak(client, "C1")

    top, body = peak(client, "C" * BODY)

    assert body["batch"]["errors"], body
    print("peak per body byte", top / BODY)
    assert top < 8 * BODY, top / BODY
