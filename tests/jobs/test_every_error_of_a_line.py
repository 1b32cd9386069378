"""A background import answers a line's several errors exactly as the synchronous call
does, the cap on listed lines included (issue 14, M2)."""

import pytest

from tests.jobs.test_background_import import sync_answer, without_undo_state

from .conftest import run_db_worker

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = ("code", "first_name", "email")
# Every line but the first has a bad email and a too-long name.
DATA = "C1|Jane|jane@example.com\n" + "\n".join(f"C{n}|{'x' * 101}|bad{n}" for n in range(2, 6))


def test_a_job_answers_every_error_of_a_line_as_the_synchronous_call_does(
    api, submit, status_of, second_account, settings
):
    settings.LOYALTY = {**settings.LOYALTY, "LINE_ERRORS_LISTED": 3, "IMPORT_CHUNK_ROWS": 2}
    _, queued = submit(DATA, headers=HEADERS)
    run_db_worker()
    _, done = status_of(queued["batch"]["job_id"])
    _, sync = sync_answer(api, DATA)

    assert without_undo_state(done) == without_undo_state(sync)
    assert done["batch"]["customers"]["failed"] == 4
    assert [(e["line"], e["field"]) for e in done["batch"]["errors"]] == [
        (2, "first_name"),
        (2, "email"),
        (3, "first_name"),
        (3, "email"),
        (4, "first_name"),
        (4, "email"),
    ]
    assert done["batch"]["errors_not_listed"] == 1
