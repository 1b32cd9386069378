"""A Content-Security-Policy on the admin and the API docs page (issue 13, item 12): scripts
only from this server's own files, never inline; and the pages still load every script
they use under it (tests/e2e/test_content_security_policy_in_a_browser.py runs them)."""

import base64
import hashlib
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.conftest import POINTS

ADMIN_PAGES = (
    "admin:index",
    "admin:customers_customer_changelist",
    "admin:customers_customer_add",
    "admin:customers_customer_import_file",
    "admin:customers_customer_export",
    "admin:customers_undostate_changelist",
    "admin:accounts_apikey_add",
    "admin:accounts_account_changelist",
)


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed = {}
    for directive in header.split(";"):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


class _Scripts(HTMLParser):
    """The src of each script a page runs, None for an inline one (data blocks of type
    application/json are not run), and the hash source of each inline event handler."""

    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str | None] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and attributes.get("type") != "application/json":
            self.sources.append(attributes.get("src"))
        for name, value in attrs:
            if name.startswith("on"):
                digest = base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()
                self.handlers.append(f"'sha256-{digest}'")


def scripts_of(response) -> list[str | None]:
    parser = _Scripts()
    parser.feed(response.content.decode())
    # An inline event handler runs only if the policy lists its hash.
    allowed = directives(response)["script-src"]
    assert all(handler in allowed for handler in parser.handlers), parser.handlers
    return parser.sources


def assert_scripts_from_this_server_only(policy: dict[str, list[str]]) -> None:
    # This server's files, and inline handlers by their hash only: no 'unsafe-inline',
    # no other host, no wildcard, no eval.
    self_and_hashes = [
        source for source in policy["script-src"] if not source.startswith("'sha256-")
    ]
    assert self_and_hashes == ["'self'", "'unsafe-hashes'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages_allow_only_this_servers_scripts_and_run_no_inline_script(
    admin_client, page, campaigns
):
    response = admin_client.get(reverse(page))

    assert response.status_code == 200
    assert_scripts_from_this_server_only(directives(response))
    sources = scripts_of(response)
    assert sources and None not in sources
    for source in sources:
        assert source.startswith("/"), source
        assert admin_client.get(source).status_code == 200, source


@pytest.mark.django_db
def test_the_admin_login_page_carries_the_policy_too(client):
    response = client.get(reverse("admin:login"))

    assert_scripts_from_this_server_only(directives(response))
    assert None not in scripts_of(response)


def test_the_docs_page_loads_its_scripts_from_this_server_under_the_policy(client):
    response = client.get("/api/docs/")

    policy = directives(response)
    assert_scripts_from_this_server_only(policy)
    # Swagger UI fetches the document from here and draws its icons from data: URLs.
    assert policy["connect-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    sources = scripts_of(response)
    assert len(sources) == 3 and None not in sources
    start_up = client.get(sources[-1])
    assert start_up.status_code == 200
    assert start_up["Content-Type"] == "application/javascript"
    assert 'url: "/api/schema/"' in start_up.content.decode()


@pytest.mark.django_db
def test_the_api_answers_carry_the_policy(client):
    response = client.post("/api", {"type": "customers_batch", "campaigns_to_include": POINTS})

    assert_scripts_from_this_server_only(directives(response))
