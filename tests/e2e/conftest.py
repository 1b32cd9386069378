"""The browser of the end-to-end tests: Debian's Chromium driven by Playwright, and their
screenshots."""

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium keeps trying to reach Google's hosts, which this network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser_page(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # (and of its database teardown) are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "1")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: make test installs it (scripts/ensure-chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            yield page
        finally:
            browser.close()


@pytest.fixture
def screenshot(tmp_path):
    """screenshot(page, name): the whole page as name.png, in $LOYALTY_SCREENSHOT_DIR when
    set (the README's images: LOYALTY_SCREENSHOT_DIR=docs/images), else in the test's
    temporary folder."""
    folder = Path(os.environ.get("LOYALTY_SCREENSHOT_DIR", tmp_path))

    def take(page, name: str) -> None:
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)

    return take
