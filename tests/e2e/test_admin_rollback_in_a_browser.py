"""End to end, in a real browser (Debian's Chromium driven by Playwright): log in to the
admin, import through the API, open the undo state, confirm the rollback, see the customers
gone; roll back two imports newest-first with no conflict shown; open the rollback page of
a 100,000-row import. Screenshots go to $LOYALTY_SCREENSHOT_DIR when set (conftest.py; the
README's come from here)."""

import json
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import F

from customers.models import Customer, UndoState
from tests.conftest import batch_params

# The browser's view of the admin; rollbacks are tested on both databases.
pytestmark = pytest.mark.once


def post_to_api(base_url: str, params: dict) -> dict:
    body = urllib.parse.urlencode(params).encode()
    with urllib.request.urlopen(f"{base_url}/api", data=body, timeout=120) as response:
        return json.loads(response.read())


def log_in(page, base_url: str) -> None:
    get_user_model().objects.create_superuser("admin", password="admin")
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def import_lines(base_url: str, data: str) -> int:
    answer = post_to_api(
        base_url,
        batch_params(("code", "first_name"), data, output="JSON", overwrite_duplicates="update"),
    )
    return answer["batch"]["undo_state"]


def roll_back_in_the_browser(page, base_url: str, undo_state: int) -> None:
    page.goto(f"{base_url}/admin/customers/undostate/{undo_state}/change/")
    page.click("a.rollback-link")
    page.wait_for_selector("#rollback-summary")
    assert page.locator("#rollback-no-conflicts").is_visible()
    assert page.locator("#rollback-conflicts").count() == 0
    page.click("#confirm-rollback")
    page.wait_for_selector(".messagelist")
    assert "rolled back" in page.inner_text(".messagelist")


def test_an_import_is_rolled_back_from_the_admin(
    # The database first: set up before the (session-wide) live server, so it is torn
    # down after the server thread and its connection are gone.
    transactional_db,
    live_server,
    browser_page,
    screenshot,
    user,
    campaigns,
):
    get_user_model().objects.create_superuser("admin", password="admin")
    page = browser_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")

    answer = post_to_api(
        live_server.url,
        batch_params(
            ("code", "first_name", "last_name"),
            "11223344|Jane|Doe\n22334455|Jim|McDoe\n33445566|Larry|Smith\n",
            output="JSON",
        ),
    )
    assert answer["batch"]["customers"]["new"] == 3
    undo_state = answer["batch"]["undo_state"]

    page.goto(f"{live_server.url}/admin/customers/undostate/{undo_state}/change/")
    screenshot(page, "undo-state")
    page.click("a.rollback-link")
    page.wait_for_selector("#rollback-summary")
    screenshot(page, "rollback-confirmation")
    page.click("#confirm-rollback")
    page.wait_for_selector(".messagelist")
    assert "rolled back" in page.inner_text(".messagelist")

    page.goto(f"{live_server.url}/admin/customers/customer/")
    screenshot(page, "customers-after-rollback")
    assert "0 customers" in page.inner_text("#changelist")
    assert not Customer.objects.exists()
    assert UndoState.objects.get(pk=undo_state).status == UndoState.Status.ROLLED_BACK
    # The ORM calls above ran inside Playwright's context, on a connection of their own:
    # closed here, or the test database cannot be dropped at the end of the run.
    connections.close_all()


def test_two_imports_are_rolled_back_newest_first_with_no_conflict_shown(
    transactional_db, live_server, browser_page, screenshot, user, campaigns
):
    page = browser_page
    log_in(page, live_server.url)
    first = import_lines(live_server.url, "R1|first\nR2|first")
    second = import_lines(live_server.url, "R1|second\nR2|second")

    roll_back_in_the_browser(page, live_server.url, second)
    assert set(Customer.objects.values_list("first_name", flat=True)) == {"first"}
    roll_back_in_the_browser(page, live_server.url, first)
    screenshot(page, "undo-state-rolled-back")
    assert "2 customers this import added were deleted." in page.inner_text("#rollback-done")

    page.goto(f"{live_server.url}/admin/customers/undostate/")
    screenshot(page, "undo-states")
    # At 1280 px every column of the list is shown, the last (Status) too: none is
    # scrolled out of the list's box.
    shown = page.locator("#changelist-form .results").bounding_box()
    for column in ("ignored_said", "failed_said", "status_said"):
        header = page.locator(f"th.column-{column}").bounding_box()
        assert header is not None and shown is not None
        assert header["x"] + header["width"] <= shown["x"] + shown["width"], column
    assert not Customer.objects.exists()
    connections.close_all()


def test_the_rollback_page_of_a_100000_row_import_opens_with_its_confirmation_at_the_top(
    transactional_db, live_server, browser_page, screenshot, user, campaigns
):
    page = browser_page
    log_in(page, live_server.url)
    undo_state = import_lines(live_server.url, "\n".join(f"C{i}|Name{i}" for i in range(100_000)))
    # Every customer changed since: 100,000 conflicts.
    Customer.objects.update(version=F("version") + 1)

    response = page.goto(f"{live_server.url}/admin/customers/undostate/{undo_state}/rollback/")

    assert len(response.body()) < 100_000
    screenshot(page, "rollback-confirmation-100000")
    assert "100,000 customers of this import were changed after it" in page.inner_text(
        "#rollback-conflict-count"
    )
    assert page.locator("#rollback-conflicts li").count() == 20
    # The checkbox and the button are in the first screenful.
    for selector in ("#id_overwrite_conflicts", "#confirm-rollback"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 900
    with page.expect_download() as download:
        page.click("#rollback-conflicts-download")
    lines = Path(download.value.path()).read_text().splitlines()
    assert len(lines) == 100_001
    connections.close_all()
