"""Rolling back an earlier import before a later one (out of order): the earlier import's
rollback deletes the customers it added with whatever a later import gave them. Its page
counts those before, the rollback removes exactly what it counted, and the later import's
page says where what it gave went (shop owner, tenth run: "said 2, removed 3", then
"Credits given: 0")."""

import datetime
import re

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from campaigns.models import Enrollment, Transaction
from core.moments import shown_time
from core.wording import say
from customers.models import Customer, UndoState
from customers.rollback import (
    ConflictCode,
    GivenLater,
    find_conflicts,
    plan_rollback,
    roll_back,
)
from customers.rollback_messages import (
    CREATED_ENROLLMENTS_REASON,
    DID_LEAVE_AS_IS,
    DID_REMOVE,
    TAKEN_BY_ROLLBACK,
    WILL_DELETE,
    WILL_LEAVE_AS_IS,
    WILL_NOT_BRING_BACK,
    WILL_REMOVE,
    WILL_REMOVE_LATER,
    WILL_REMOVE_LATER_IMPORTS,
    WILL_RESTORE,
)
from tests.admin.test_rollback_admin import ROLLBACK_PERMISSIONS
from tests.conftest import EVENTS, POINTS
from tests.undo import clean_up

CREDITED = ("code", "first_name", "auto_add")


def state_of(result) -> UndoState:
    return UndoState.objects.get(pk=result.undo_state_id)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user(*ROLLBACK_PERMISSIONS))
    return client


@pytest.fixture
def out_of_order(run_import):
    """The shop owner's case: the first import adds N1 and N2 and credits both; the second
    credits N1 again (changing nothing else) and adds N3. Returns both undo states."""
    first = run_import(CREDITED, "N1|Nia|5\nN2|Ned|3")
    second = run_import(CREDITED, "N1|Nia|7\nN3|Noa|2", overwrite_duplicates="update")
    return state_of(first), state_of(second)


def test_the_earlier_imports_page_counts_the_later_credits_it_deletes(staff_client, out_of_order):
    first, second = out_of_order

    response = staff_client.get(reverse("admin:customers_undostate_rollback", args=[first.pk]))

    assert response.context["plan"][2:] == [
        say(WILL_REMOVE, enrollments=2, credits=2),
        say(
            WILL_REMOVE_LATER,
            enrollments=0,
            credits=1,
            imports=say(WILL_REMOVE_LATER_IMPORTS, count=1, pks=str(second.pk)),
        ),
    ]


def test_the_rollback_removes_exactly_what_its_page_counted(staff_client, out_of_order, user):
    first, _second = out_of_order
    credits_before = Transaction.objects.count()

    outcome = roll_back(undo_state=first, user=user, overwrite_conflicts=True)

    assert (outcome.credits_removed, outcome.enrollments_removed) == (3, 2)
    assert credits_before - Transaction.objects.count() == 3
    first.refresh_from_db()
    html = staff_client.get(reverse("admin:customers_undostate_change", args=[first.pk]))
    assert say(DID_REMOVE, enrollments=2, credits=3) in html.content.decode()


def test_the_later_imports_page_says_its_credit_went_with_the_earlier_rollback(
    staff_client, out_of_order, user
):
    first, second = out_of_order
    roll_back(undo_state=first, user=user, overwrite_conflicts=True)

    response = staff_client.get(reverse("admin:customers_undostate_change", args=[second.pk]))

    effects = response.context["effects"]
    # N3's credit is still there (its rollback removes it); N1's went with N1.
    assert (effects.credits_count, effects.credits_taken, effects.credits_given) == (1, 1, 2)
    html = response.content.decode()
    assert "<h3>Credits given: 2</h3>" in html
    said = say(TAKEN_BY_ROLLBACK, count=1, pk=first.pk)
    assert said == (
        f"1 of them was removed when import {first.pk} was rolled back: it deleted the "
        "customers it was given to."
    )
    # Under the count it explains.
    assert re.search(
        r"<h3>Credits given: 2</h3>\s*<p class=\"taken-by-rollback\">" + re.escape(said), html
    )


def test_a_later_enrollment_of_a_customer_the_import_added_is_a_conflict(run_import, user):
    first = state_of(run_import(data="N1|Nia", campaigns_to_include=POINTS))
    # The later line changes nothing of N1 but enrolls it in a second campaign.
    second = state_of(
        run_import(data="N1|Nia", campaigns_to_include=EVENTS, overwrite_duplicates="update")
    )
    n1 = Customer.objects.get(code="N1")

    conflicts = find_conflicts(undo_state=first)

    assert [(c.customer_id, c.code, c.reason) for c in conflicts] == [
        (n1.pk, ConflictCode.LATER_ENROLLMENTS, CREATED_ENROLLMENTS_REASON.format(code="N1"))
    ]
    assert plan_rollback(undo_state=first).later == GivenLater(
        enrollments=1, credits=0, by_import={second.pk: (1, 0)}
    )
    outcome = roll_back(undo_state=first, user=user, overwrite_conflicts=True)
    assert outcome.enrollments_removed == 2
    assert not Enrollment.objects.exists()


def test_a_credit_by_hand_on_an_added_customer_is_counted_but_not_named_by_import(
    run_import, user, campaigns
):
    first = state_of(run_import(data="N1|Nia"))
    # Booked after the import, as by hand (a credit's time is when it was booked).
    Transaction.objects.create(
        campaign=campaigns[POINTS],
        customer=Customer.objects.get(code="N1"),
        kind=Transaction.Kind.CREDIT,
        amount=4,
        created_at=first.created_at + datetime.timedelta(seconds=1),
    )

    assert plan_rollback(undo_state=first).later == GivenLater(
        enrollments=0, credits=1, by_import={}
    )
    roll_back(undo_state=first, user=user, overwrite_conflicts=True)
    first.refresh_from_db()
    assert "taken_from" not in first.rollback_result


# The property: whatever imports gave whom, in whatever order imports are rolled back,
# each rollback removes exactly what its page said it would, and each import still
# undoable says it gave exactly what it gave when it ran (what is there, and what earlier
# rollbacks took).
codes = st.sampled_from(["R1", "R2", "R3"])
line = st.tuples(codes, st.sampled_from(["", "0", "2"]))
import_step = st.tuples(
    st.just("import"),
    st.lists(line, min_size=1, max_size=3),
    st.sampled_from([POINTS, EVENTS, f"{POINTS}|,|{EVENTS}"]),
)
rollback_step = st.tuples(st.just("rollback"), st.integers(0, 5))
steps = st.lists(st.one_of(import_step, import_step, rollback_step), min_size=2, max_size=8)


@hypothesis_settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_every_rollback_removes_what_its_page_said_and_every_import_keeps_its_count(
    run_import, staff_client, user, steps
):
    clean_up()
    # Undo state id -> (enrollments, credits) it gave when it ran.
    gave: dict[int, tuple[int, int]] = {}
    undone: set[int] = set()
    try:
        for step in steps:
            if step[0] == "import":
                _kind, lines, campaign_ids = step
                counts = Enrollment.objects.count(), Transaction.objects.count()
                data = "\n".join(f"{code}|x|{credit}" for code, credit in lines)
                result = run_import(
                    CREDITED, data, overwrite_duplicates="update", campaigns_to_include=campaign_ids
                )
                gave[result.undo_state_id] = (
                    Enrollment.objects.count() - counts[0],
                    Transaction.objects.count() - counts[1],
                )
                continue
            undoable = [pk for pk in gave if pk not in undone]
            if not undoable:
                continue
            state = UndoState.objects.get(pk=undoable[step[1] % len(undoable)])
            page = staff_client.get(reverse("admin:customers_undostate_rollback", args=[state.pk]))
            effects = page.context["effects"]
            later = plan_rollback(undo_state=state).later
            counts = Enrollment.objects.count(), Transaction.objects.count()
            roll_back(undo_state=state, user=user, overwrite_conflicts=True)
            undone.add(state.pk)
            assert (
                counts[0] - Enrollment.objects.count(),
                counts[1] - Transaction.objects.count(),
            ) == (
                effects.enrollments_count + later.enrollments,
                effects.credits_count + later.credits,
            )
        for pk in set(gave) - undone:
            page = staff_client.get(reverse("admin:customers_undostate_change", args=[pk]))
            effects = page.context["effects"]
            assert (effects.enrollments_given, effects.credits_given) == gave[pk]
    finally:
        clean_up()


def test_the_later_imports_page_counts_only_customers_still_there_to_give_back(
    staff_client, run_import, user
):
    # Shop owner, eleventh run: after import 1's rollback deleted C1, import 2's page still
    # promised "1 customer this import changed gets back the details", then did 0.
    first = state_of(run_import(data="C1|Ann"))
    second = state_of(run_import(data="C1|Anna", overwrite_duplicates="update"))
    roll_back(undo_state=first, user=user, overwrite_conflicts=True)

    page = staff_client.get(reverse("admin:customers_undostate_rollback", args=[second.pk]))

    assert page.context["plan"][:3] == [
        say(WILL_DELETE, count=0),
        say(WILL_RESTORE, count=0),
        say(WILL_NOT_BRING_BACK, count=1),
    ]
    assert roll_back(undo_state=second, user=user, overwrite_conflicts=True).restored == 0


def test_the_later_imports_page_says_a_customer_is_left_as_it_is_and_the_rollback_does(
    staff_client, run_import, user
):
    run_import(data="C1|zero")
    first = state_of(run_import(data="C1|first", overwrite_duplicates="update"))
    second = state_of(run_import(data="C1|second", overwrite_duplicates="update"))
    roll_back(undo_state=first, user=user, overwrite_conflicts=True)

    page = staff_client.get(reverse("admin:customers_undostate_rollback", args=[second.pk]))

    said = say(WILL_LEAVE_AS_IS, count=1, pk=first.pk)
    assert said == (
        f"1 customer this import changed already got back the details it had before import "
        f"{first.pk}, when that import was rolled back; it is left as it is."
    )
    assert said in page.context["plan"]
    assert page.context["conflict_count"] == 0
    roll_back(undo_state=second, user=user)
    second.refresh_from_db()
    html = staff_client.get(reverse("admin:customers_undostate_change", args=[second.pk]))
    assert say(DID_LEAVE_AS_IS, count=1, pk=first.pk) in html.content.decode()
    assert Customer.objects.get().first_name == "zero"


def test_conflict_kinds_counted_twice_say_so(staff_client, run_import):
    first = state_of(run_import(CREDITED, "C1|Ann|5"))
    run_import(CREDITED, "C1|Anna|7", overwrite_duplicates="update")

    page = staff_client.get(reverse("admin:customers_undostate_rollback", args=[first.pk]))

    # One customer, changed and credited since: two kinds, said as possibly both.
    assert page.context["conflict_count_said"] == (
        "1 customer of this import was changed after it. Of these (a customer may be counted "
        "under more than one): 1 changed after the import; 1 with credits booked after the "
        "import."
    )


def test_the_rollback_page_of_an_import_rolled_back_says_when_and_by_whom(
    staff_client, run_import, user
):
    # Thirteenth run: it said only "Import 3 ... cannot be rolled back."
    state = state_of(run_import(data="C1|Ann"))
    roll_back(undo_state=state, user=user)
    state.refresh_from_db()

    page = staff_client.get(reverse("admin:customers_undostate_rollback", args=[state.pk]))

    assert (
        f'<p id="not-undoable">This import was already rolled back on '
        f"{shown_time(state.rolled_back_at)} by {user.username}.</p>"
    ) in page.content.decode()


def test_a_later_import_that_only_credited_a_customer_is_named_to_roll_back_first(
    staff_client, run_import
):
    # Thirteenth run: "Customers C001, C002 were changed later by import 3" left out C004,
    # which import 3 only credited.
    first = state_of(run_import(CREDITED, "C1|Ann|1\nC4|Dee|1"))
    second = state_of(run_import(CREDITED, "C1|Anna|2\nC4|Dee|5", overwrite_duplicates="update"))

    page = staff_client.get(reverse("admin:customers_undostate_rollback", args=[first.pk]))

    (said,) = page.context["later_imports"]
    assert said.startswith(f"Customers C1, C4 were changed later by import {second.pk} ")
