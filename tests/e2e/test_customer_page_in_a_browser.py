"""The customer and import pages as a shop owner reads them in a real browser (Debian's
Chromium driven by Playwright): each value beside its label, the balances and an import's
parameters too (a shop owner found the balances far to the right of "Balances:", where the
admin's form styles put a list)."""

import pytest
from django.db import connections

from customers.models import Customer
from tests.conftest import EVENTS, POINTS
from tests.e2e.test_admin_lists_in_a_browser import log_in
from tests.factories import make_customer, make_enrollment, make_transaction

# The browser's view of the admin: no database changes what it draws.
pytestmark = pytest.mark.once

# How far a value may start from the end of its label: the admin's own gap is about 10 px.
BESIDE = 40


def gap_after_label(page, field: str) -> float:
    """Pixels between the end of a readonly field's label and the start of its value's text."""
    return page.evaluate(
        """(field) => {
        const row = document.querySelector(`.form-row.field-${field}`);
        const label = row.querySelector('label').getBoundingClientRect();
        const value = row.querySelector('.readonly');
        const range = document.createRange();
        range.selectNodeContents(value);
        return range.getClientRects()[0].left - label.right;
    }""",
        field,
    )


def test_the_balances_stand_beside_their_label(
    transactional_db, live_server, browser_page, screenshot, account, campaigns
):
    customer = make_customer(account=account, code="C1", first_name="Ann", phone="555")
    for campaign_id in (POINTS, EVENTS):
        make_enrollment(campaign=campaigns[campaign_id], customer=customer)
    make_transaction(campaign=campaigns[POINTS], customer=customer, amount=120)
    page = browser_page
    log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/customers/customer/{customer.pk}/change/")
    screenshot(page, "customer-page-balances")

    assert 0 <= gap_after_label(page, "balances") < BESIDE
    assert gap_after_label(page, "balances") <= gap_after_label(page, "created_at") + 5
    assert Customer.objects.count() == 1
    connections.close_all()


def test_an_imports_parameters_stand_beside_their_label(
    transactional_db, live_server, browser_page, run_import
):
    result = run_import(("code", "first_name"), "C1|Ann")
    page = browser_page
    log_in(page, live_server.url)

    page.goto(f"{live_server.url}/admin/customers/undostate/{result.undo_state_id}/change/")

    assert 0 <= gap_after_label(page, "parameters_shown") < BESIDE
    connections.close_all()
