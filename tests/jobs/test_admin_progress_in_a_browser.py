"""The admin's job page in a real browser (Debian's Chromium through Playwright): it shows
a queued job, then, without a reload, the bar full and the result once a worker ran it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from playwright.sync_api import expect

from customers.models import UndoState
from tests.conftest import batch_params
from tests.e2e.conftest import browser_page, screenshot
from tests.e2e.test_admin_rollback_in_a_browser import post_to_api

from .conftest import run_db_worker

__all__ = ["browser_page", "screenshot"]  # fixtures, used by name

pytestmark = pytest.mark.django_db(transaction=True)


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
    job_id = post_to_api(live_server.url, params)["job"]["id"]

    page.goto(f"{live_server.url}/admin/jobs/importjob/{job_id}/progress/")
    queued = page.text_content("#job-status")
    screenshot(page, "job-queued")
    run_db_worker()
    # A locator's wait, not wait_for_function: the page's Content-Security-Policy refuses
    # the eval that evaluating a string needs.
    expect(page.locator("#job-status")).to_have_text("done", timeout=15_000)
    screenshot(page, "job-done")
    text = {name: page.text_content(f"#job-{name}") for name in ("lines", "summary", "undo")}
    bar = page.eval_on_selector("#job-bar", "bar => bar.value")
    failed_lines_hidden = page.is_hidden("#job-failed-lines")

    assert queued == "queued"
    assert text["lines"] == "2 of 2 lines"
    assert bar == 2
    assert text["summary"] == "Batch imported: 2 new, 0 updated, 0 ignored, 0 failed."
    assert text["undo"] == f"Undo state {UndoState.objects.get().pk}"
    assert failed_lines_hidden
    # The ORM calls above ran inside Playwright's context, on a connection of their own:
    # closed here, or the test database cannot be dropped at the end of the run.
    connections.close_all()
