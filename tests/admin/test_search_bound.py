"""An admin search asks the database for at most its first 10 words, each cut to 100
characters, and says so (seventh red team: 800 words took 11 s per request)."""

from html import unescape
from importlib import import_module

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.admin_search import SEARCH_MAX_WORD_CHARS, SEARCH_MAX_WORDS, BoundedSearchMixin

CUSTOMERS = reverse("admin:customers_customer_changelist")
UNDO_STATES = reverse("admin:customers_undostate_changelist")
# v has no accented form: each word is the one LIKE both databases compile, as typed.
MANY_WORDS = " ".join(f"v{n:03}" for n in range(800))
CUT_SAID = f"Search uses the first {SEARCH_MAX_WORDS} words"


def searched_sql(admin_client, url: str, term: str) -> tuple[str, str]:
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url, {"q": term})
    assert response.status_code == 200
    return " ".join(query["sql"] for query in queries), unescape(response.content.decode())


@pytest.mark.parametrize("url", [CUSTOMERS, UNDO_STATES])
def test_a_search_of_800_words_queries_only_the_first_10_and_says_so(admin_client, account, url):
    sql, page = searched_sql(admin_client, url, MANY_WORDS)

    assert "v009" in sql
    assert "v010" not in sql and "v799" not in sql
    assert CUT_SAID in page


def test_a_long_search_word_is_cut_to_100_characters(admin_client, account):
    sql, page = searched_sql(admin_client, CUSTOMERS, "x" * SEARCH_MAX_WORD_CHARS + "y" * 3000)

    assert "x" * SEARCH_MAX_WORD_CHARS in sql
    # Not "xy" alone: the session key the request's queries carry may hold it.
    assert "x" * SEARCH_MAX_WORD_CHARS + "y" not in sql
    assert CUT_SAID in page


def test_a_search_within_the_bound_says_nothing_of_it(admin_client, account):
    _, page = searched_sql(admin_client, CUSTOMERS, " ".join(["ann"] * SEARCH_MAX_WORDS))

    assert CUT_SAID not in page


def test_every_admin_with_a_search_is_bounded():
    import_module("loyalty.urls")  # it unregisters the third-party apps' admins
    searchable = [a for a in admin.site._registry.values() if a.search_fields]

    assert searchable
    assert [type(a).__name__ for a in searchable if not isinstance(a, BoundedSearchMixin)] == []
