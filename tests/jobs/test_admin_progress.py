"""The admin's page of a background import: its progress while queued or running, then
the result with the failed lines to download; scoped to the staff user's accounts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from accounts.models import Membership
from customers.models import UndoState
from jobs.models import ImportJob
from tests.factories import make_member

from .conftest import run_db_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff_client(staff_user):
    client = Client()
    client.force_login(staff_user("view_importjob"))
    return client


def test_the_progress_page_shows_a_queued_job_then_its_result_and_failed_lines(
    submit, staff_client
):
    _, queued = submit(
        "C1|Jane|jane@example.com\nC2|Jim|bad", headers=("code", "first_name", "email")
    )
    job_id = queued["batch"]["job_id"]
    url = f"/admin/jobs/importjob/{job_id}/progress/"
    waiting_page = staff_client.get(url)
    waiting = staff_client.get(f"/admin/jobs/importjob/{job_id}/progress.json").json()
    run_db_worker()
    page = staff_client.get(url).content.decode()
    done = staff_client.get(f"/admin/jobs/importjob/{job_id}/progress.json").json()
    failed_lines = staff_client.get(f"/admin/jobs/importjob/{job_id}/failed-lines.csv")
    undo_state = UndoState.objects.get()

    assert waiting_page.status_code == 200
    assert (waiting["status"], waiting["lines_done"], waiting["lines_total"]) == ("queued", 0, 2)
    assert done["status"] == "done"
    assert done["summary"] == "Imported: 1 new, 0 updated, 0 unchanged, 0 ignored, 1 failed."
    assert done["undo_state"] == undo_state.pk
    # This user may not see undo states: the job's own list of line errors is the link.
    assert done["failed_lines_url"] == f"/admin/jobs/importjob/{job_id}/failed-lines.csv"
    assert done["summary"] in page
    assert f"/admin/customers/undostate/{undo_state.pk}/change/" in page
    lines = failed_lines.content.decode().splitlines()
    assert lines[0] == "line,field,message"
    assert lines[1].startswith("2,email,")
    assert len(lines) == 2


def test_another_accounts_staff_cannot_see_the_job(submit, other_account):
    _, queued = submit("C1|Jane")
    outsider = make_member(
        account=other_account,
        username="outsider",
        password="x",
        role=Membership.Role.STAFF,
        is_staff=True,
    )
    outsider.user_permissions.set(Permission.objects.filter(codename="view_importjob"))
    client = Client()
    client.force_login(outsider)
    job_id = queued["batch"]["job_id"]

    assert client.get(f"/admin/jobs/importjob/{job_id}/progress/").status_code == 404
    assert client.get(f"/admin/jobs/importjob/{job_id}/progress.json").status_code == 404
    assert client.get("/admin/jobs/importjob/").content.decode().count(job_id) == 0
    assert ImportJob.objects.count() == 1


@pytest.mark.parametrize("job_id", ["abc", "1", "00000000-0000-0000-0000-000000000000"])
def test_a_job_page_whose_address_is_no_job_id_is_not_found(staff_client, job_id):
    response = staff_client.get(f"/admin/jobs/importjob/{job_id}/change/")

    assert response.status_code == 404


@pytest.mark.parametrize("page", ["progress/", "progress.json", "failed-lines.csv", "change/"])
def test_staff_without_the_permission_are_forbidden_a_jobs_pages(submit, staff_user, page):
    # The pages raised Python's PermissionError: a 500 (third red team, low).
    _, queued = submit("C1|Jane")
    client = Client(raise_request_exception=False)
    client.force_login(staff_user(username="nopermission"))

    response = client.get(f"/admin/jobs/importjob/{queued['batch']['job_id']}/{page}")

    assert response.status_code == 403


def test_a_done_jobs_page_says_imported_and_links_the_import_by_its_number(submit, admin_client):
    _, queued = submit("C1|Jane")
    run_db_worker()

    page = admin_client.get(f"/admin/jobs/importjob/{queued['batch']['job_id']}/progress/")

    text = page.content.decode()
    assert "Imported: 1 new, 0 updated, 0 unchanged, 0 ignored, 0 failed." in text
    assert f">Import {UndoState.objects.get().pk}</a>" in text
    assert "Batch" not in text
    assert f"Undo state {UndoState.objects.get().pk}" not in text


def test_a_jobs_page_says_its_line_counts_with_thousands_separators(submit, admin_client):
    _, queued = submit("\n".join(f"C{n}|Jane" for n in range(1001)))

    page = admin_client.get(f"/admin/jobs/importjob/{queued['batch']['job_id']}/progress/")

    assert ">0 of 1,001 lines</p>" in page.content.decode()
