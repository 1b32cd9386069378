"""Counts on the import's pages have thousands separators, as the admin's lists and
messages write them ("New 1,200", not "New 1200"; shop owner: "New 100000")."""

import re
from html import unescape

from customers.models import UndoState
from tests.admin import confirm, post_file

LINES = 1200
FILE = "code,first_name\n" + "".join(f"S{n},Ann\n" for n in range(LINES))


def test_the_previews_counts_have_thousands_separators(boss, account):
    html = unescape(post_file(boss, account, FILE).content.decode())

    assert "<tr><th>New</th><td>1,200</td></tr>" in html


def test_the_imports_page_counts_have_thousands_separators(boss, account):
    confirm(boss, post_file(boss, account, FILE))
    state = UndoState.objects.get()

    html = unescape(boss.get(f"/admin/customers/undostate/{state.pk}/change/").content.decode())

    assert "<h3>Customers it added: 1,200</h3>" in html
    assert "<h3>Campaign enrollments it added: 1,200</h3>" in html
    assert re.search(r"Only the first [\d,]+ are listed", html)
