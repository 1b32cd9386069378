"""A file imported twice: the preview of the second upload says that the same bytes were
imported already and are not rolled back, and what confirming gives again (shop owner:
"Unchanged 10 ... 100 points" and confirmed, doubling the credits). Confirming is allowed."""

import hashlib
from html import unescape

from campaigns.models import Campaign, Transaction
from core.moments import shown_time
from customers.models import UndoState
from customers.rollback import roll_back
from tests.admin import confirm, post_file
from tests.conftest import POINTS

FILE = "code,first_name,auto_add\n" + "".join(f"S{n},Ann,10\n" for n in range(10))


def warning_of(response) -> str:
    html = unescape(response.content.decode())
    if 'id="import-same-file"' not in html:
        return ""
    start = html.index('id="import-same-file"')
    return html[html.index(">", start) + 1 : html.index("</li>", start)]


def imported(client, account, content=FILE, name="clients.csv") -> UndoState:
    confirm(client, post_file(client, account, content, name=name))
    return UndoState.objects.filter(account=account).latest("id")


def test_a_preview_of_a_file_already_imported_says_so_and_what_confirming_gives_again(
    boss, account
):
    first = imported(boss, account)

    again = post_file(boss, account, FILE, name="clients (1).csv")

    points = Campaign.objects.get(account=account, campaign_id=POINTS).display_name
    assert warning_of(again) == (
        f"This file is the same as import {first.pk} of clients.csv, made "
        f"{shown_time(first.created_at)} by boss, which is not rolled back: confirming "
        f"imports it again and gives its 100 points in {points} again."
    )
    confirm(boss, again)
    assert Transaction.objects.filter(kind=Transaction.Kind.AUTO_ADD).count() == 20


def test_the_import_records_the_files_sha256(boss, account):
    state = imported(boss, account)

    assert state.parameters["file_sha256"] == hashlib.sha256(FILE.encode()).hexdigest()


def test_a_file_of_the_same_name_and_other_content_is_not_warned_of(boss, account):
    imported(boss, account)

    again = post_file(boss, account, FILE.replace("Ann", "Bea"), name="clients.csv")

    assert warning_of(again) == ""


def test_a_file_whose_import_was_rolled_back_is_not_warned_of(boss, account, django_user_model):
    first = imported(boss, account)
    roll_back(undo_state=first, user=django_user_model.objects.get(username="boss"))

    assert warning_of(post_file(boss, account, FILE)) == ""


def test_another_accounts_import_of_the_same_file_is_not_warned_of(
    boss, account, other_account, campaigns
):
    first = imported(boss, account)
    UndoState.objects.filter(pk=first.pk).update(account=other_account)

    assert warning_of(post_file(boss, account, FILE)) == ""


def test_a_file_without_credits_says_only_that_it_is_imported_again(boss, account):
    plain = "code,first_name\nS1,Ann\n"
    first = imported(boss, account, plain)

    assert warning_of(post_file(boss, account, plain)).endswith(
        f"import {first.pk} of clients.csv, made {shown_time(first.created_at)} by boss, "
        "which is not rolled back: confirming imports it again."
    )
