"""The Content-Security-Policy, enforced by a real browser (Chromium): the admin and the API
docs page work under it with no violation (Swagger UI draws the document), and an inline
script put into one of those pages does not run."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connections

# The policy is a header; the database does not change it.
pytestmark = pytest.mark.once

# Recorded before any page script runs (Playwright's init scripts are not subject to CSP).
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + event.blockedURI);
});
"""
INJECT_INLINE_SCRIPT = """
() => {
  const script = document.createElement("script");
  script.textContent = "window.__inlineRan = true;";
  document.head.appendChild(script);
  return new Promise((done) => setTimeout(done, 200));
}
"""


def violations(page) -> list[str]:
    return page.evaluate("window.__violations")


@pytest.fixture
def watched_page(browser_page):
    browser_page.add_init_script(RECORD_VIOLATIONS)
    return browser_page


def test_the_docs_page_draws_the_document_under_the_policy(
    transactional_db, live_server, watched_page
):
    page = watched_page
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")

    assert "Loyalty API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-summary-path")
    assert violations(page) == []
    page.evaluate(INJECT_INLINE_SCRIPT)
    assert page.evaluate("window.__inlineRan") is None
    assert [v.split()[0] for v in violations(page)] == ["script-src-elem"]


def test_the_admin_works_under_the_policy(transactional_db, live_server, watched_page):
    get_user_model().objects.create_superuser("admin", password="admin")
    page = watched_page
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    for path in (
        "/admin/",
        "/admin/customers/customer/",
        "/admin/customers/customer/add/",
        "/admin/customers/customer/export/",
        "/admin/accounts/apikey/add/",
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("load")
        assert violations(page) == [], path
    # The export page's field toggle, the one inline handler the policy allows by its hash.
    page.goto(f"{live_server.url}/admin/customers/customer/export/")
    toggles = page.locator("input[onchange]")
    if toggles.count():
        toggles.first.click()
        assert violations(page) == []
    page.evaluate(INJECT_INLINE_SCRIPT)
    assert page.evaluate("window.__inlineRan") is None
    connections.close_all()
