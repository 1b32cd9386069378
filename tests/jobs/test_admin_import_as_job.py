"""The admin's import of a file above LOYALTY["ADMIN_BACKGROUND_LINES"] runs as a job: the
confirmation leads to the job's progress page, a worker runs it with the admin's reading
of the file (formula apostrophes off, the file's words for errors), and its result has an
undo state with source "admin" and the failed lines to download. A smaller file is
imported at once, as before."""

from __future__ import annotations

import csv
import io

import lxml.html
import pytest

from campaigns.models import Campaign
from core.moments import shown_time
from customers.admin_import import ADMIN_WORDS, QUEUED
from customers.batch import messages as m
from customers.models import Customer, UndoState
from customers.rollback import roll_back
from jobs.models import ImportJob
from tests.admin import confirm, post_file
from tests.conftest import POINTS

from .conftest import run_db_worker

pytestmark = pytest.mark.django_db(transaction=True)

FILE = "code,first_name,email\nC1,'=Jane,jane@example.com\nC2,Jim,not-an-email\nC3,Joe,\n"


@pytest.fixture
def threshold(settings):
    settings.LOYALTY = {**settings.LOYALTY, "ADMIN_BACKGROUND_LINES": 2}


def test_a_file_above_the_threshold_is_imported_by_a_job_with_its_failed_lines(
    importer, account, threshold
):
    preview = post_file(importer, account, FILE)
    confirmed = confirm(importer, preview)
    job = ImportJob.objects.get()
    page = importer.get(confirmed["Location"])
    waiting = importer.get(f"/admin/jobs/importjob/{job.pk}/progress.json").json()
    customers_before_the_worker = Customer.objects.count()
    run_db_worker()
    done = importer.get(f"/admin/jobs/importjob/{job.pk}/progress.json").json()
    undo_state = UndoState.objects.get()
    failed_lines = importer.get(done["failed_lines_url"])

    assert preview.status_code == 200
    assert confirmed.status_code == 302
    assert confirmed["Location"] == f"/admin/jobs/importjob/{job.pk}/progress/"
    assert page.status_code == 200
    assert QUEUED.format(lines=3) in page.content.decode()
    assert (waiting["status"], waiting["lines_done"], waiting["lines_total"]) == ("queued", 0, 3)
    assert customers_before_the_worker == 0
    assert done["status"] == "done"
    assert done["summary"] == "Imported: 2 new, 0 updated, 0 unchanged, 0 ignored, 1 failed."
    assert done["undo_state"] == undo_state.pk
    assert undo_state.source == UndoState.Source.ADMIN
    assert done["failed_lines_url"] == f"/admin/customers/undostate/{undo_state.pk}/failed-lines/"
    # Read as the admin reads a file: the apostrophe that kept =Jane from running as a
    # formula is taken off.
    assert Customer.objects.get(code="C1").first_name == "=Jane"
    text = b"".join(failed_lines.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert failed_lines.status_code == 200
    # As the file was written (a job keeps how it was read): its line numbers, its words.
    assert rows == [
        ["line", "code", "first_name", "email", "error"],
        [
            "3",
            "C2",
            "Jim",
            "not-an-email",
            'Email: "not-an-email" does not look like an email address.',
        ],
    ]


def test_a_job_refused_when_it_runs_says_so_in_the_files_words(importer, account, threshold):
    Campaign.objects.filter(account=account, campaign_id=POINTS).update(name="Coffee Club")
    confirm(importer, post_file(importer, account, FILE))
    Campaign.objects.filter(account=account, campaign_id=POINTS).update(is_active=False)
    run_db_worker()
    job = ImportJob.objects.get()

    assert job.status == ImportJob.Status.FAILED
    # The campaign by the name the form chose it by, not its id.
    assert job.error == ADMIN_WORDS[m.UNKNOWN_CAMPAIGNS].format(ids="Coffee Club")
    assert not Customer.objects.exists()


def test_a_file_up_to_the_threshold_is_imported_at_once(importer, account, settings):
    settings.LOYALTY = {**settings.LOYALTY, "ADMIN_BACKGROUND_LINES": 3}
    confirmed = confirm(importer, post_file(importer, account, FILE))
    undo_state = UndoState.objects.get()

    assert confirmed["Location"] == f"/admin/customers/undostate/{undo_state.pk}/change/"
    assert not ImportJob.objects.exists()
    assert Customer.objects.count() == 2


def test_a_jobs_result_says_the_counts_as_the_preview_and_the_immediate_import_do(
    importer, account, threshold
):
    confirm(importer, post_file(importer, account, "code,first_name\nU1,Una\nU2,Uli\n"))
    preview = post_file(importer, account, "code,first_name\nU1,Una\nU2,Ugo\nN1,Nell\n")
    confirm(importer, preview)
    job = ImportJob.objects.get()
    run_db_worker()
    done = importer.get(f"/admin/jobs/importjob/{job.pk}/progress.json").json()

    assert [preview.context["counts"][i][1] for i in range(3)] == [1, 1, 1]
    assert done["summary"] == "Imported: 1 new, 1 updated, 1 unchanged, 0 ignored, 0 failed."
    # The job's answer is the API's: its updated holds the unchanged line.
    assert ImportJob.objects.get().result["updated"] == 2


def test_a_jobs_result_says_the_credits_it_gave_as_the_immediate_import_does(
    importer, account, threshold
):
    # Shop owner: a small import's message said "8 credits given", a job's said nothing.
    confirm(importer, post_file(importer, account, "code,auto_add\nU1,5\nU2,5\nU3,\n"))
    run_db_worker()
    done = importer.get(f"/admin/jobs/importjob/{ImportJob.objects.get().pk}/progress.json")

    assert done.json()["summary"] == (
        "Imported: 3 new, 0 updated, 0 unchanged, 0 ignored, 0 failed. 2 credits given."
    )


def test_the_jobs_list_titles_jobs_by_file_and_time_newest_first_and_says_one_was_rolled_back(
    importer, account, threshold
):
    confirm(importer, post_file(importer, account, FILE, name="spring.csv"))
    run_db_worker()
    spring = ImportJob.objects.get()
    confirm(importer, post_file(importer, account, FILE.replace("C", "D"), name="summer.csv"))
    summer = ImportJob.objects.exclude(pk=spring.pk).get()
    state = UndoState.objects.get()
    roll_back(undo_state=state, user=state.user)

    listed = importer.get("/admin/jobs/importjob/")
    page = importer.get(f"/admin/jobs/importjob/{spring.pk}/progress/").content.decode()
    done = importer.get(f"/admin/jobs/importjob/{spring.pk}/progress.json").json()

    rows = [
        [cell.text_content().strip() for cell in row.xpath("./th | ./td")]
        for row in lxml.html.fromstring(listed.content).xpath("//table[@id='result_list']/tbody/tr")
    ]
    assert rows == [
        [
            f"Import of summer.csv, {shown_time(summer.created_at)}",
            "GW",
            "importer",
            "Queued",
            "0 of 3",
        ],
        [
            f"Import of spring.csv, {shown_time(spring.created_at)}",
            "GW",
            "importer",
            "Done, since rolled back",
            "3 of 3",
        ],
    ]
    assert f"<h1>Import of spring.csv, {shown_time(spring.created_at)}</h1>" in page
    assert f"This import was rolled back on {shown_time(state.rolled_back_at)}" in page
    assert (done["status"], done["status_said"]) == ("done", "Done, since rolled back")
