"""The admin's job page in a real browser (Debian's Chromium through Playwright): it shows
a queued job, then, without a reload, the bar full and the result once a worker ran it; an
admin import of a file above the threshold leads there, and to its failed lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from playwright.sync_api import expect

from campaigns.models import Campaign
from core.moments import shown_time
from customers.models import UndoState
from jobs.models import ImportJob
from tests.conftest import POINTS, batch_params
from tests.e2e.conftest import browser_page, screenshot
from tests.e2e.test_admin_rollback_in_a_browser import post_to_api

from .conftest import run_db_worker

__all__ = ["browser_page", "screenshot"]  # fixtures, used by name

# The browser's view of the progress page; jobs are tested on both databases.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.once]

CSV = "code,first_name,email\nC1,Jane,jane@example.com\nC2,Jim,not-an-email\nC3,Joe,\n"


def test_the_job_page_follows_the_job_live_until_its_result(
    transactional_db, live_server, browser_page, screenshot, user, campaigns
):
    get_user_model().objects.create_superuser("admin", password="admin")
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")
    page.click("input[type=submit]")
    params = batch_params(data="C1|Jane\nC2|Jim", output="JSON", run_in_background="yes")
    job_id = post_to_api(live_server.url, params)["batch"]["job_id"]

    page.goto(f"{live_server.url}/admin/jobs/importjob/{job_id}/progress/")
    queued = page.text_content("#job-status")
    screenshot(page, "job-queued")
    run_db_worker()
    # A locator's wait, not wait_for_function: the page's Content-Security-Policy refuses
    # the eval that evaluating a string needs.
    expect(page.locator("#job-status")).to_have_text("Done", timeout=15_000)
    screenshot(page, "job-done")
    text = {name: page.text_content(f"#job-{name}") for name in ("lines", "summary", "undo")}
    bar = page.eval_on_selector("#job-bar", "bar => bar.value")
    failed_lines_hidden = page.is_hidden("#job-failed-lines")

    assert queued == "Queued"
    assert text["lines"] == "2 of 2 lines"
    assert bar == 2
    assert text["summary"] == "Imported: 2 new, 0 updated, 0 unchanged, 0 ignored, 0 failed."
    assert text["undo"] == f"Import {UndoState.objects.get().pk}"
    assert failed_lines_hidden
    # The ORM calls above ran inside Playwright's context, on a connection of their own:
    # closed here, or the test database cannot be dropped at the end of the run.
    connections.close_all()


def test_an_admin_import_above_the_threshold_follows_its_job_to_the_failed_lines(
    transactional_db, live_server, browser_page, screenshot, settings, account, campaigns
):
    settings.LOYALTY = {**settings.LOYALTY, "ADMIN_BACKGROUND_LINES": 2}
    get_user_model().objects.create_superuser("admin", password="admin")
    points = Campaign.objects.get(account=account, campaign_id=POINTS)
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")
    page.click("input[type=submit]")

    page.goto(f"{live_server.url}/admin/customers/customer/import-file/")
    page.select_option("#id_campaign", str(points.pk))
    page.set_input_files(
        "#id_import_file",
        files=[{"name": "customers.csv", "mimeType": "text/csv", "buffer": CSV.encode()}],
    )
    page.click("input[value=Preview]")
    page.click("#confirm-import")
    expect(page.locator("#job-status")).to_have_text("Queued", timeout=15_000)
    progress_path = page.url.removeprefix(live_server.url)
    screenshot(page, "admin-import-queued")
    run_db_worker()
    expect(page.locator("#job-status")).to_have_text("Done", timeout=15_000)
    expect(page.locator("#job-failed-lines")).to_be_visible()
    screenshot(page, "admin-import-done")
    summary = page.text_content("#job-summary")
    title = page.text_content("#content h1")
    with page.expect_download() as download:
        page.click("#job-failed-lines a")
    failed_lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()

    assert progress_path == f"/admin/jobs/importjob/{ImportJob.objects.get().pk}/progress/"
    assert summary == "Imported: 2 new, 0 updated, 0 unchanged, 0 ignored, 1 failed."
    # Every value quoted (customers/failed_lines_file.py).
    assert failed_lines[0] == '"line","code","first_name","email","error"'
    assert failed_lines[1].startswith('"3","C2","Jim","not-an-email",')
    job = ImportJob.objects.get()
    assert title == f"Import of customers.csv, {shown_time(job.created_at)}"
    connections.close_all()
