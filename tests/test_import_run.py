"""ImportRun: the request (one transaction) and the stream (a transaction per chunk) are
one pipeline: the same lines give the same counts, line errors and progress either way."""

import io

import pytest

from customers.batch.params import parse_batch_request
from customers.batch.service import import_customers
from customers.batch.stream import import_customers_in_chunks
from customers.models import Customer, UndoState
from tests.conftest import POINTS, batch_params

LINES = "C1|Ann\nC2|Bob\nC3|x|too many\n\nC4|Dan\nC1|Anne\n"


@pytest.fixture(autouse=True)
def _chunks_of_two(settings):
    settings.LOYALTY = {**settings.LOYALTY, "IMPORT_CHUNK_ROWS": 2}


def request(data: str = ""):
    params = batch_params(("code", "first_name"), data, overwrite_duplicates="update")
    return parse_batch_request({key.lower(): value for key, value in params.items()})


def progress_of(seen) -> list[tuple]:
    return [
        (p.chunks, p.lines, p.last_line, p.new, p.updated, p.failed, len(p.chunk_errors))
        for p in seen
    ]


EXPECTED_PROGRESS = [
    (1, 2, 2, 2, 0, 0, 0),
    (2, 4, 5, 3, 0, 1, 1),
    (3, 5, 6, 3, 1, 1, 0),
]


def test_a_request_reports_its_progress_after_each_chunk(account, user, campaigns):
    seen = []

    result = import_customers(
        account=account,
        user=user,
        request=request(LINES),
        source=UndoState.Source.API,
        on_chunk=seen.append,
    )

    assert progress_of(seen) == EXPECTED_PROGRESS
    assert {p.undo_state_id for p in seen} == {result.undo_state_id}
    assert (result.new, result.updated, result.failed) == (3, 1, 1)


def test_a_stream_gives_the_request_s_counts_errors_and_progress(account, user, campaigns):
    by_request = import_customers(
        account=account, user=user, request=request(LINES), source=UndoState.Source.API
    )
    Customer.objects.all().delete()
    seen = []

    by_stream = import_customers_in_chunks(
        account=account,
        user=user,
        request=request("(streamed)"),
        lines=io.StringIO(LINES),
        source=UndoState.Source.COMMAND,
        on_chunk=seen.append,
    )

    assert progress_of(seen) == EXPECTED_PROGRESS
    assert (by_stream.status, by_stream.new, by_stream.updated, by_stream.failed) == (
        by_request.status,
        by_request.new,
        by_request.updated,
        by_request.failed,
    )
    assert by_stream.errors == by_request.errors
    assert (
        POINTS
        in UndoState.objects.get(pk=by_stream.undo_state_id).parameters["campaigns_to_include"]
    )
