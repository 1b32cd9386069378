"""The rollback confirmation page of a 100,000-row import: counts, the first few conflicts
and a download of them all; the confirmation at the top; its size does not grow with the
import (the hidden field is a fixed-size digest)."""

import csv
import io
import re

import pytest
from django.db.models import F
from django.urls import reverse

from core.wording import say
from customers.admin import SHOWN_CONFLICTS
from customers.models import Customer, UndoState
from customers.rollback_messages import CONFLICTS_SHOWN

ROWS = 100_000
# The page of a 100-row import is about 15 kB; 100,000 conflicts must not make it larger
# than a few times that.
MOST_BYTES = 100_000


@pytest.fixture
def large_import(run_import):
    """A 100,000-row import, then every customer edited since: 100,000 conflicts."""
    result = run_import(data="\n".join(f"C{i}|Name{i}" for i in range(ROWS)))
    Customer.objects.update(version=F("version") + 1)
    return UndoState.objects.get(pk=result.undo_state_id)


def test_a_100000_row_rollback_page_shows_counts_and_the_first_conflicts(
    admin_client, large_import
):
    url = reverse("admin:customers_undostate_rollback", args=[large_import.pk])

    response = admin_client.get(url)

    html = response.content.decode()
    assert len(response.content) < MOST_BYTES
    assert f"{ROWS:,} customers of this import were changed after it" in html
    listed = re.search(r'<ul id="rollback-conflicts"[^>]*>(.*?)</ul>', html, re.S).group(1)
    assert listed.count("<li>") == SHOWN_CONFLICTS
    assert say(CONFLICTS_SHOWN, shown=SHOWN_CONFLICTS, count=ROWS) in html
    # The confirmation comes before the list, not after 100,000 lines of it.
    assert html.index('id="rollback-form"') < html.index('id="rollback-conflicts"')
    hidden = re.findall(r'<input type="hidden" name="seen_conflicts" value="([^"]*)"', html)
    assert [len(value) for value in hidden] == [64]


def test_every_conflict_of_a_100000_row_import_is_in_the_download(admin_client, large_import):
    url = reverse("admin:customers_undostate_rollback_conflicts", args=[large_import.pk])

    response = admin_client.get(url)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    content = b"".join(response.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")  # a BOM, for Excel
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["customer code", "conflict", "what the rollback does"]
    assert len(rows) == ROWS + 1
    assert {row[0] for row in rows[1:]} == {f"C{i}" for i in range(ROWS)}


def test_confirming_a_100000_row_rollback_with_the_digest_rolls_it_back(
    admin_client, large_import, settings
):
    # In the request: above LOYALTY_ADMIN_BACKGROUND_LINES the rollback is a job, whose
    # confirmation and run tests/jobs/test_rollback_as_job.py pins with small imports.
    settings.LOYALTY = {**settings.LOYALTY, "ADMIN_BACKGROUND_LINES": ROWS}
    url = reverse("admin:customers_undostate_rollback", args=[large_import.pk])
    page = admin_client.get(url)

    response = admin_client.post(
        url,
        {
            "seen_conflicts": page.context["form"]["seen_conflicts"].value(),
            "overwrite_conflicts": "on",
        },
    )

    assert response.status_code == 302
    large_import.refresh_from_db()
    assert large_import.status == UndoState.Status.ROLLED_BACK
    assert not Customer.objects.exists()
