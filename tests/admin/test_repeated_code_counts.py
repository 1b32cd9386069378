"""A code on several lines of one file: the first line creates the customer, and the admin
counts the later lines as Repeated, not as Updated (or Ignored) customers already here; the
customer is counted once, as New (issue 14, M3). The API's answer keeps the contract's
count (as if the lines were sent one by one): tests/api/test_repeated_codes.py."""

import pytest

from customers.import_counts import COUNTS_HELP, REPEATED_HELP
from customers.models import Customer, UndoState
from tests.admin.test_shop_owner_reports import IMPORT_URL, post_form


def counts(response) -> dict:
    return dict(response.context["counts"])


def test_a_code_an_earlier_line_creates_counts_its_later_line_as_repeated(boss, account):
    response = post_form(boss, account, "code,first_name\nC1,Ann\nC2,Bo\nC1,Annie\n")

    assert counts(response) == {
        "New": 2,
        "Updated": 0,
        "Unchanged": 0,
        "Ignored": 0,
        "Failed": 0,
        "Repeated": 1,
    }
    assert response.context["counts_help"] == COUNTS_HELP + REPEATED_HELP
    assert response.context["repeated_codes"] == [
        "Lines 2 and 4 both have code C1: the later line updates the customer the earlier one "
        "creates."
    ]


def test_a_repeated_line_with_the_same_values_is_repeated_not_unchanged(boss, account):
    response = post_form(boss, account, "code,first_name\nC1,Ann\nC1,Ann\nC1,Ann\n")

    assert counts(response)["New"] == 1
    assert (counts(response)["Unchanged"], counts(response)["Repeated"]) == (0, 2)


def test_in_skip_mode_a_repeated_line_is_repeated_not_ignored(boss, account):
    response = post_form(
        boss, account, "code,first_name\nC1,Ann\nC1,Annie\n", overwrite_duplicates="ignore"
    )

    assert counts(response) == {
        "New": 1,
        "Updated": 0,
        "Unchanged": 0,
        "Ignored": 0,
        "Failed": 0,
        "Repeated": 1,
    }


def test_a_customer_already_here_on_two_lines_is_still_updated_twice(boss, account, run_import):
    run_import(("code", "first_name"), "R1|Old")

    response = post_form(boss, account, "code,first_name\nR1,New\nR1,Newer\n")

    assert counts(response) == {"New": 0, "Updated": 2, "Unchanged": 0, "Ignored": 0, "Failed": 0}
    assert response.context["counts_help"] == COUNTS_HELP


def test_a_repeat_in_a_later_chunk_of_the_file_is_counted_too(boss, account, settings):
    settings.LOYALTY = {**settings.LOYALTY, "IMPORT_CHUNK_ROWS": 2}

    response = post_form(boss, account, "code,first_name\nC1,Ann\nC2,Bo\nC3,Cy\nC1,Annie\n")

    assert (counts(response)["New"], counts(response)["Updated"]) == (3, 0)
    assert counts(response)["Repeated"] == 1


def test_the_confirmed_import_and_its_undo_state_say_the_same_counts(boss, account):
    preview = post_form(boss, account, "code,first_name\nC1,Ann\nC1,Annie\n")

    done = boss.post(IMPORT_URL, {"pending": preview.context["pending"]}, follow=True)

    assert [str(message) for message in done.context["messages"]] == [
        "Imported: 1 new, 0 updated, 0 unchanged, 0 ignored, 0 failed, 1 repeated. This page "
        "shows what the import did; if it changed anything, Roll back undoes it."
    ]
    state = UndoState.objects.get()
    # The row keeps the contract's counts; Repeated is said apart.
    assert (state.new, state.updated, state.unchanged, state.repeated) == (1, 1, 0, 1)
    page = boss.get(f"/admin/customers/undostate/{state.pk}/change/").content.decode()
    assert "Repeated" in page
    assert Customer.objects.get().first_name == "Annie"


@pytest.mark.parametrize("content", ["code,first_name\nC1,Ann\nC2,Bo\n"])
def test_an_undo_state_without_repeated_lines_does_not_show_the_count(boss, account, content):
    boss.post(IMPORT_URL, {"pending": post_form(boss, account, content).context["pending"]})

    page = boss.get(f"/admin/customers/undostate/{UndoState.objects.get().pk}/change/")

    assert "Repeated" not in page.content.decode()
