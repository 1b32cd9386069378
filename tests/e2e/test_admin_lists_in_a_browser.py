"""At 1280 x 800, a laptop's screen, the admin's lists show every column whole, in a real
browser (Debian's Chromium driven by Playwright): the customer list beside its filters,
the Import jobs list with its Status and Created-at columns (a shop owner found both cut
off), the undo states list. A column is clipped when it ends past the list's box (the
box then scrolls sideways) or its header's or a cell's text is wider than the cell."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

from customers.models import UndoState
from jobs.models import ImportJob
from tests.conftest import POINTS
from tests.factories import make_customer, make_enrollment

# The browser's view of the admin: no database changes what it draws.
pytestmark = pytest.mark.once

LAPTOP = {"width": 1280, "height": 800}


def log_in(page, base_url: str) -> None:
    get_user_model().objects.create_superuser("admin", password="admin")
    page.set_viewport_size(LAPTOP)
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def clipped_columns(page) -> list[str]:
    """The list's columns (by their header's class) that do not show whole."""
    return page.evaluate(
        """() => {
        const box = document.querySelector('#changelist-form .results');
        const right = box.getBoundingClientRect().right;
        const clipped = [];
        const headers = document.querySelectorAll('#result_list thead th');
        headers.forEach((th, index) => {
            const name = [...th.classList].find(c => c.startsWith('column-')) || th.className;
            const cells = [th, ...document.querySelectorAll(
                `#result_list tbody tr > :nth-child(${index + 1})`)];
            const overflows = cells.some(cell => cell.scrollWidth > cell.clientWidth + 1);
            if (th.getBoundingClientRect().right > right + 0.5 || overflows) clipped.push(name);
        });
        if (box.scrollWidth > box.clientWidth + 1) clipped.push('the list scrolls sideways');
        return clipped;
    }"""
    )


def filters_beside_the_list(page) -> bool:
    """The filter panel is to the right of the list, not over or under it."""
    results = page.locator("#changelist-form .results").bounding_box()
    panel = page.locator("#changelist-filter").bounding_box()
    assert results is not None and panel is not None
    return results["x"] + results["width"] <= panel["x"] and panel["y"] < results["y"] + 200


@pytest.mark.parametrize("accounts", [1, 2])
def test_the_customer_list_fits_beside_its_filters_at_1280_px(
    # The database first: set up before the (session-wide) live server.
    transactional_db,
    live_server,
    browser_page,
    screenshot,
    account,
    other_account,
    campaigns,
    accounts,
):
    """One account: a shop's (no account column); two: the operator's, with it."""
    if accounts == 1:
        other_account.delete()
    else:
        make_customer(account=other_account, code="O1", first_name="Olga")
    for n in range(5):
        customer = make_customer(
            account=account,
            code=f"{4000000000000000 + n}",
            card_number=f"{600000000000 + n}",
            first_name="Marie-Françoise",
            last_name="Vandenberghe-Lefèvre",
            email=f"marie-francoise.vandenberghe-lefevre{n}@example-shop.co.uk",
            phone="+44 7700 900123",
        )
        make_enrollment(campaign=campaigns[POINTS], customer=customer)
    make_customer(
        account=account, code="C9", email="jean.baptiste.delacroix.montgomery@example.com"
    )
    page = browser_page
    log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/customers/customer/")
    screenshot(page, f"customers-at-1280-{accounts}")
    assert page.locator("th.column-account").count() == accounts - 1

    assert clipped_columns(page) == []
    assert filters_beside_the_list(page)
    connections.close_all()


def test_the_import_jobs_list_shows_status_and_created_at_whole_at_1280_px(
    transactional_db, live_server, browser_page, screenshot, account, user
):
    for kind, status in [
        (ImportJob.Kind.IMPORT, ImportJob.Status.RUNNING),
        (ImportJob.Kind.ROLLBACK, ImportJob.Status.DONE),
        (ImportJob.Kind.IMPORT, ImportJob.Status.FAILED),
    ]:
        ImportJob.objects.create(
            kind=kind,
            account=account,
            user=user,
            status=status,
            import_request_id="bench",
            lines_total=1_000_000,
            lines_done=654_321,
        )
    page = browser_page
    log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/jobs/importjob/")
    screenshot(page, "import-jobs-at-1280")

    assert clipped_columns(page) == []
    assert filters_beside_the_list(page)
    connections.close_all()


def test_the_undo_states_list_shows_every_status_whole_at_1280_px(
    transactional_db, live_server, browser_page, screenshot, account, user, run_import
):
    """A shop owner saw Status cut ("Undoa", "Ro ba") and the list scrolling sideways: one
    state of each status, with a long file name and six-digit counts."""
    statuses = list(UndoState.Status)
    for n, status in enumerate(statuses):
        run_import(data=f"R{n}|first\nS{n}|first")
        state = UndoState.objects.latest("id")
        state.status = status
        state.parameters = {
            **state.parameters,
            "file_name": "GreatWidgets_customers_spring_2026_final.csv",
        }
        state.new, state.updated, state.ignored, state.failed = 123_456, 654_321, 98_765, 43_210
        state.unchanged = 12_345
        state.save()
    # And an import that repeated its customers as they were: "Nothing to roll back", as
    # the one whose every line failed.
    run_import(data="R0|first\nS0|first")
    page = browser_page
    log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/customers/undostate/")
    screenshot(page, "undo-states-at-1280")

    assert page.locator("#result_list tbody tr").count() == len(statuses) + 1
    assert page.locator("td.field-status_said", has_text="Nothing to roll back").count() == 2
    assert clipped_columns(page) == []
    connections.close_all()
