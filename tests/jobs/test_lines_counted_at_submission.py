"""A background import's lines in all are counted at submission as the import reads them
(lines ending in CR, LF or CRLF; a quoted line break inside its line; blank lines not
counted), so the queued answer's lines_total is the done job's lines_done, and a request
over the line limit (or over it in blank lines) is refused at submission as the synchronous
call refuses it."""

from __future__ import annotations

import pytest

from customers.batch import messages as m
from jobs.models import ImportJob
from tests.conftest import batch_params

from .conftest import run_db_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "data",
    [
        "C1|Jane\rC2|Jim\rC3|Larry\r",
        "C1|Jane\r\nC2|Jim\r\nC3|Larry",
        "C1|Jane\nC2|Jim\nC3|Larry\n",
        '"C1"|"Jane\nJanet"\r"C2"|Jim\r\nC3|"Lar\r\nry"',
        "\ufeff\nC1|Jane\n  \n\t\nC2|Jim\n\n\nC3|Larry\n \u3000 ",
    ],
    ids=["cr", "crlf", "lf", "quoted-line-breaks", "blank-lines-and-a-bom"],
)
def test_the_queued_lines_total_is_the_done_jobs_lines_done(submit, status_of, data):
    _, queued = submit(data)
    run_db_worker()
    _, done = status_of(queued["batch"]["job_id"])

    assert done["batch"]["customers"] == {"new": 3, "updated": 0, "ignored": 0, "failed": 0}
    assert queued["batch"]["lines_total"] == 3
    assert ImportJob.objects.get().lines_done == 3


@pytest.mark.parametrize("ending", ["\r", "\n", "\r\n"])
def test_a_background_request_over_the_line_limit_is_refused_at_submission_as_without(
    api, submit, user, campaigns, settings, ending
):
    settings.LOYALTY = {**settings.LOYALTY, "MAX_BATCH_ROWS": 3}
    data = ending.join(f"C{number}|Jane" for number in range(4))
    status, answer = submit(data)
    sync_status, sync = api(**batch_params(("code", "first_name"), data))

    assert (status, sync_status) == (400, 400)
    assert answer["error"] == sync["error"]
    assert "more than 3 lines" in answer["error"]
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        "C1|Jane" + "\n" * 5,
        "C1|Jane" + "\r\n" * 5,
        "C1|Jane\r \r\t\r\r\u3000\r",
        "\ufeff\n\nC1|Jane\n\n\n",
        '"C1"|Jane' + "\n" * 5,
    ],
    ids=["lf", "crlf", "white-space-cr", "bom-first", "quoted"],
)
def test_a_background_request_of_more_blank_lines_than_the_limit_is_refused_at_submission(
    api, submit, user, campaigns, settings, data
):
    # The submission counted the lines but not the blank lines: the job was queued and
    # refused by the worker, where the synchronous call refused the request at once.
    settings.LOYALTY = {**settings.LOYALTY, "MAX_BATCH_ROWS": 3}
    status, answer = submit(data)
    sync_status, sync = api(**batch_params(("code", "first_name"), data))

    assert (status, sync_status) == (400, 400)
    assert answer == sync == {"status": "error", "error": m.TOO_MANY_BLANK_LINES.format(limit=3)}
    assert not ImportJob.objects.exists()


def test_a_background_request_of_as_many_blank_lines_as_the_limit_is_queued(submit, settings):
    settings.LOYALTY = {**settings.LOYALTY, "MAX_BATCH_ROWS": 3}
    status, queued = submit("C1|Jane" + "\n" * 4)  # a line break ends C1|Jane: 3 blank

    assert status == 200
    assert queued["batch"]["lines_total"] == 1
    assert ImportJob.objects.count() == 1
