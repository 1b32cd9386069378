"""End to end, in a real browser (Debian's Chromium driven by Playwright): log in to the
admin, import through the API, open the undo state, confirm the rollback, see the customers
gone. Screenshots go to $LOYALTY_SCREENSHOT_DIR when set (the README's come from here)."""

import json
import os
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from customers.models import Customer, UndoState
from tests.conftest import batch_params


@pytest.fixture
def screenshot(tmp_path):
    folder = Path(os.environ.get("LOYALTY_SCREENSHOT_DIR", tmp_path))

    def take(page, name: str) -> None:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    return take


def post_to_api(base_url: str, params: dict) -> dict:
    body = urllib.parse.urlencode(params).encode()
    with urllib.request.urlopen(f"{base_url}/api", data=body, timeout=30) as response:
        return json.loads(response.read())


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
    page.click(f"input[type=submit][value='Roll back import {undo_state}']")
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
