"""Rolling back an import: exactly what it did is undone, all or nothing, and customers
changed since are conflicts the operator must confirm."""

import json
import zlib
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from campaigns.models import Enrollment, Transaction
from campaigns.selectors import balances_for
from core.wording import say
from customers.models import Customer, UndoChunk, UndoState
from customers.rollback import (
    ALREADY_ROLLED_BACK,
    CHANGED_CREATED_REASON,
    CHANGED_REASON,
    CONFLICTS,
    CREATED_ENTRIES_REASON,
    DELETED_REASON,
    IDENTITY_TAKEN,
    IDENTITY_TAKEN_REASON,
    PRUNED,
    WRITTEN_ENTRIES_REASON,
    Conflict,
    ConflictCode,
    RollbackRefused,
    RollbackResult,
    find_conflicts,
    roll_back,
)
from tests.conftest import BUYX, EARNED, EVENTS, GIFTCARD, POINTS, USER_ID
from tests.factories import make_transaction

EVERY_FIELD = (
    "code",
    "card_number",
    "first_name",
    "last_name",
    "email",
    "phone",
    "custom_date",
    "street1",
    "street2",
    "city",
    "state",
    "postal_code",
    "country",
    "custom_field",
    "customer_username",
    "customer_password",
    "customer_PIN",
)
EVERY_VALUE = (
    "C1|5001|Ann|Lee|ann@example.com|555-1|1970-04-03|1 Main St|Apt 2|Springfield|IL|62701|US|"
    "vip|ann|secret1|1234"
)


def state_of(result) -> UndoState:
    return UndoState.objects.get(pk=result.undo_state_id)


def customer(code: str) -> Customer:
    return Customer.objects.get(code=code)


def row(code: str) -> dict:
    return Customer.objects.filter(code=code).values().get()


def test_rollback_deletes_created_customers_with_their_enrollments_and_credits(import_batch, user):
    result = import_batch(
        ("code", "first_name", "auto_add"),
        "A1|Ann|10\nA2|Bob|5",
        campaigns_to_include=f"{POINTS}|,|{EVENTS}",
    )
    state = state_of(result)

    outcome = roll_back(undo_state=state, user=user)

    assert outcome == RollbackResult(
        deleted=2, restored=0, enrollments_removed=4, credits_removed=2
    )
    assert not Customer.objects.exists()
    assert not Enrollment.objects.exists()
    assert not Transaction.objects.exists()
    state.refresh_from_db()
    assert state.status == UndoState.Status.ROLLED_BACK
    assert state.rolled_back_by == user
    assert state.rolled_back_at is not None
    assert not state.chunks.exists()


@pytest.mark.parametrize("mode", ["update", "yes"])
def test_written_customers_get_every_field_back(import_batch, account, user, mode):
    account.custom_field_count = 1
    account.save()
    import_batch(EVERY_FIELD, EVERY_VALUE)
    Customer.objects.filter(code="C1").update(custom_fields={"custom_field_1": "blue"})
    before = row("C1")
    result = import_batch(
        (
            "code",
            "first_name",
            "custom_date",
            "customer_username",
            "customer_password",
            "customer_PIN",
            "custom_field_1",
        ),
        "C1|Zed|2020-01-01|zed|newpw|9999|red",
        custom_field_count=1,
        api="1.5",
        allow_undo="yes",
        overwrite_duplicates=mode,
    )
    written = row("C1")
    assert written["customer_username"] == "zed"
    assert written["customer_password"] != before["customer_password"]
    assert written["customer_pin"] != before["customer_pin"]
    assert written["custom_fields"] == {"custom_field_1": "red"}
    assert (written["email"] == "") is (mode == "yes")

    outcome = roll_back(undo_state=state_of(result), user=user)

    assert outcome == RollbackResult(
        deleted=0, restored=1, enrollments_removed=0, credits_removed=0
    )
    restored = row("C1")
    assert restored["version"] == written["version"] + 1
    for values in (before, restored):
        del values["version"], values["updated_at"]
    assert restored == before


@pytest.mark.parametrize(
    ("campaign_id", "auto_add"),
    [(POINTS, "10"), (EVENTS, "2"), (GIFTCARD, "12.50"), (EARNED, "3.25"), (BUYX, "Latte")],
)
def test_rollback_removes_credits_of_every_campaign_type(
    import_batch, account, user, campaign_id, auto_add
):
    headers = ("code", "first_name", "auto_add")
    import_batch(headers, f"C1|Ann|{auto_add}", campaigns_to_include=campaign_id)
    c1 = customer("C1")
    before = balances_for(account=account, customer_id=c1.pk)
    result = import_batch(
        headers,
        f"C1|Ann|{auto_add}\nC1|Ann|{auto_add}",
        campaigns_to_include=campaign_id,
        overwrite_duplicates="update",
    )
    assert balances_for(account=account, customer_id=c1.pk) == {
        campaign_id: before[campaign_id] * 3
    }

    outcome = roll_back(undo_state=state_of(result), user=user)

    assert outcome.credits_removed == 2
    assert balances_for(account=account, customer_id=c1.pk) == before
    assert Transaction.objects.count() == 1


def test_rollback_removes_enrollments_the_import_added_and_keeps_earlier_ones(
    import_batch, user, campaigns
):
    first = import_batch(data="C1|Ann", campaigns_to_include=POINTS)
    second = import_batch(
        data="C1|Anne\nC2|Bob",
        campaigns_to_include=f"{POINTS}|,|{EVENTS}",
        overwrite_duplicates="update",
    )
    assert Enrollment.objects.count() == 4

    outcome = roll_back(undo_state=state_of(second), user=user)

    assert outcome == RollbackResult(
        deleted=1, restored=1, enrollments_removed=3, credits_removed=0
    )
    assert list(Enrollment.objects.values_list("customer__code", "campaign_id", "undo_state")) == [
        ("C1", campaigns[POINTS].pk, first.undo_state_id)
    ]


def test_an_import_that_changed_nothing_restores_nothing_and_removes_its_enrollments(
    import_batch, user, campaigns, snapshot
):
    import_batch(data="C1|Ann", campaigns_to_include=POINTS)
    before = snapshot()
    resent = import_batch(
        data="C1|Ann", campaigns_to_include=f"{POINTS}|,|{EVENTS}", overwrite_duplicates="update"
    )
    assert resent.updated == 1

    outcome = roll_back(undo_state=state_of(resent), user=user)

    assert outcome == RollbackResult(
        deleted=0, restored=0, enrollments_removed=1, credits_removed=0
    )
    assert snapshot() == before


def test_a_later_import_that_changed_nothing_is_no_conflict(import_batch, user):
    import_batch(data="C1|Ann")
    renamed = import_batch(data="C1|Anne", overwrite_duplicates="update")
    import_batch(data="C1|Anne", overwrite_duplicates="update")  # the same file again

    state = state_of(renamed)
    assert find_conflicts(undo_state=state) == []
    roll_back(undo_state=state, user=user)

    assert Customer.objects.get().first_name == "Ann"


def test_a_customer_the_admin_changed_is_a_conflict_and_refuses_the_rollback(
    import_batch, user, snapshot
):
    import_batch(data="C1|Ann\nC2|Bob", no_undo="yes")
    result = import_batch(data="C1|Anna\nC2|Bobby", overwrite_duplicates="update")
    state = state_of(result)
    c1 = customer("C1")
    Customer.objects.filter(pk=c1.pk).update(first_name="Annie", version=F("version") + 1)
    conflicts = [Conflict(c1.pk, ConflictCode.CHANGED, CHANGED_REASON.format(code="C1"))]
    assert find_conflicts(undo_state=state) == conflicts
    unchanged = snapshot()

    with pytest.raises(RollbackRefused) as refused:
        roll_back(undo_state=state, user=user)

    assert refused.value.message == say(CONFLICTS, count=1)
    assert refused.value.conflicts == tuple(conflicts)
    assert snapshot() == unchanged
    state.refresh_from_db()
    assert state.status == UndoState.Status.UNDOABLE

    outcome = roll_back(undo_state=state, user=user, overwrite_conflicts=True)

    assert outcome.conflicts == tuple(conflicts)
    assert outcome.restored == 2
    assert sorted(Customer.objects.values_list("code", "first_name")) == [
        ("C1", "Ann"),
        ("C2", "Bob"),
    ]


def test_a_customer_a_later_import_wrote_is_a_conflict(import_batch, user, snapshot):
    result = import_batch(data="N1|Nia")
    import_batch(data="N1|Nina", overwrite_duplicates="update")
    n1 = customer("N1")
    # N1 is one the first import added: the rollback deletes it, later changes and all.
    reason = CHANGED_CREATED_REASON.format(code="N1")
    conflicts = [Conflict(n1.pk, ConflictCode.CHANGED, reason)]
    unchanged = snapshot()

    with pytest.raises(RollbackRefused) as refused:
        roll_back(undo_state=state_of(result), user=user)

    assert (refused.value.message, refused.value.conflicts) == (
        say(CONFLICTS, count=1),
        tuple(conflicts),
    )
    assert snapshot() == unchanged

    outcome = roll_back(undo_state=state_of(result), user=user, overwrite_conflicts=True)

    assert outcome == RollbackResult(
        deleted=1,
        restored=0,
        enrollments_removed=1,
        credits_removed=0,
        conflicts=tuple(conflicts),
    )
    assert not Customer.objects.exists()
    assert not Enrollment.objects.exists()


def test_later_ledger_entries_are_a_conflict_and_kept_for_written_customers(
    import_batch, user, campaigns, snapshot
):
    import_batch(data="C1|Ann", no_undo="yes")
    result = import_batch(
        ("code", "first_name", "auto_add"),
        "C1|Anna|10\nN1|Nia|5",
        overwrite_duplicates="update",
    )
    c1, n1 = customer("C1"), customer("N1")
    later = timezone.now()
    for who in (c1, n1):
        make_transaction(
            campaign=campaigns[POINTS], customer=who, amount=Decimal(7), created_at=later
        )
    conflicts = [
        Conflict(c1.pk, ConflictCode.LATER_ENTRIES, WRITTEN_ENTRIES_REASON.format(code="C1")),
        Conflict(n1.pk, ConflictCode.LATER_ENTRIES, CREATED_ENTRIES_REASON.format(code="N1")),
    ]
    assert find_conflicts(undo_state=state_of(result)) == conflicts
    unchanged = snapshot()

    with pytest.raises(RollbackRefused) as refused:
        roll_back(undo_state=state_of(result), user=user)

    assert refused.value.message == say(CONFLICTS, count=2)
    assert snapshot() == unchanged

    outcome = roll_back(undo_state=state_of(result), user=user, overwrite_conflicts=True)

    assert outcome == RollbackResult(
        deleted=1, restored=1, enrollments_removed=1, credits_removed=3, conflicts=tuple(conflicts)
    )
    assert list(Transaction.objects.values_list("customer__code", "kind", "amount")) == [
        ("C1", Transaction.Kind.CREDIT, Decimal(7))
    ]


def test_a_created_customer_deleted_later_is_skipped(import_batch, user):
    result = import_batch(data="N1|Nia\nN2|Ned")
    customer("N2").delete()

    assert find_conflicts(undo_state=state_of(result)) == []
    outcome = roll_back(undo_state=state_of(result), user=user)

    assert outcome == RollbackResult(
        deleted=1, restored=0, enrollments_removed=1, credits_removed=0
    )
    assert not Customer.objects.exists()


def test_a_written_customer_deleted_later_is_a_conflict_and_not_brought_back(import_batch, user):
    import_batch(data="C1|Ann\nC2|Bob", no_undo="yes")
    result = import_batch(data="C1|Anna\nC2|Bobby", overwrite_duplicates="update")
    c2 = customer("C2").pk
    Customer.objects.filter(pk=c2).delete()
    conflicts = (Conflict(c2, ConflictCode.DELETED, DELETED_REASON.format(code="C2")),)

    with pytest.raises(RollbackRefused) as refused:
        roll_back(undo_state=state_of(result), user=user)
    assert (refused.value.message, refused.value.conflicts) == (
        say(CONFLICTS, count=1),
        conflicts,
    )

    outcome = roll_back(undo_state=state_of(result), user=user, overwrite_conflicts=True)

    assert (outcome.restored, outcome.conflicts) == (1, conflicts)
    assert list(Customer.objects.values_list("code", "first_name")) == [("C1", "Ann")]


def test_an_identity_another_customer_took_since_refuses_even_when_confirmed(
    import_batch, user, snapshot
):
    import_batch(("code", "first_name", "customer_username"), "C1|Ann|ann", no_undo="yes")
    result = import_batch(data="C1|Ann", overwrite_duplicates="yes")
    import_batch(("code", "customer_username"), "C2|ann", no_undo="yes")
    c1 = customer("C1")
    conflicts = (
        Conflict(
            c1.pk,
            ConflictCode.IDENTITY_TAKEN,
            IDENTITY_TAKEN_REASON.format(code="C1", field="username", value="ann", holder="C2"),
        ),
    )
    unchanged = snapshot()

    with pytest.raises(RollbackRefused) as refused:
        roll_back(undo_state=state_of(result), user=user, overwrite_conflicts=True)

    assert (refused.value.message, refused.value.conflicts) == (
        say(IDENTITY_TAKEN, count=1),
        conflicts,
    )
    assert snapshot() == unchanged


def test_identities_swapped_between_chunks_are_given_back(import_batch, user, settings):
    settings.LOYALTY = {**settings.LOYALTY, "IMPORT_CHUNK_ROWS": 1}
    headers = ("code", "card_number", "customer_username")
    import_batch(headers, "C1|111|ann\nC2|222|bob", no_undo="yes")
    result = import_batch(headers, "C1|333|cat\nC2|111|ann", overwrite_duplicates="update")
    assert sorted(Customer.objects.values_list("code", "card_number", "customer_username")) == [
        ("C1", "333", "cat"),
        ("C2", "111", "ann"),
    ]

    roll_back(undo_state=state_of(result), user=user)

    assert sorted(Customer.objects.values_list("code", "card_number", "customer_username")) == [
        ("C1", "111", "ann"),
        ("C2", "222", "bob"),
    ]


def test_rolling_back_twice_is_refused(import_batch, user, snapshot):
    result = import_batch(data="C1|Ann")
    state = state_of(result)
    roll_back(undo_state=state, user=user)
    unchanged = snapshot()

    with pytest.raises(RollbackRefused) as refused:
        roll_back(undo_state=state_of(result), user=user)

    when = f"{state.rolled_back_at:%Y-%m-%d %H:%M} UTC"
    assert refused.value.message == ALREADY_ROLLED_BACK.format(when=when, who=USER_ID)
    assert snapshot() == unchanged


def test_a_pruned_import_is_refused(import_batch, account, user, settings, snapshot):
    settings.LOYALTY = {**settings.LOYALTY, "UNDO_STATES_KEPT": 1}
    first = import_batch(data="C1|Ann")
    import_batch(data="C2|Bob")  # prunes the first import's undo data
    assert state_of(first).status == UndoState.Status.PRUNED
    unchanged = snapshot()

    with pytest.raises(RollbackRefused) as refused:
        roll_back(undo_state=state_of(first), user=user)

    assert refused.value.message == PRUNED.format(n=1)
    assert snapshot() == unchanged


def test_a_customer_written_in_two_chunks_goes_back_to_its_state_before_the_import(
    import_batch, user, settings, snapshot
):
    settings.LOYALTY = {**settings.LOYALTY, "IMPORT_CHUNK_ROWS": 2}
    import_batch(data="C1|Ann\nC2|Bob\nC3|Cy", no_undo="yes")
    before = snapshot()
    result = import_batch(
        ("code", "first_name", "auto_add"),
        "C1|x|1\nN1|new|2\nC1|y|3\nN1|newer|4\nC2|z|5",
        overwrite_duplicates="update",
    )
    state = state_of(result)
    assert state.chunks.count() == 3
    assert customer("C1").version == 3

    outcome = roll_back(undo_state=state, user=user)

    assert outcome == RollbackResult(
        deleted=1, restored=2, enrollments_removed=1, credits_removed=5
    )
    assert snapshot() == before


def import_rows(import_batch, count: int):
    """An import of `count` lines: half write existing customers, half create new ones, with
    a credit each and two campaigns."""
    existing = "\n".join(f"C{n}|Old{n}|" for n in range(count // 2))
    import_batch(("code", "first_name", "auto_add"), existing, no_undo="yes")
    lines = "\n".join(f"C{n}|New{n}|{n % 5 + 1}" for n in range(count))
    return import_batch(
        ("code", "first_name", "auto_add"),
        lines,
        campaigns_to_include=f"{POINTS}|,|{EVENTS}",
        overwrite_duplicates="update",
    )


# Lock the state, read the chunks, the rollbacks done since the import, lock the customers,
# later entries, later enrollments of the customers it added, 5 deletes, the restore of the
# one chunk (3 statements with PostgreSQL's staging table, COPY unlogged), save the state,
# delete its chunks, and the savepoint pair.
ROLLBACK_QUERIES = 18


@pytest.mark.parametrize("count", [60, 600])
def test_rollback_query_count_does_not_grow_with_rows(
    import_batch, user, count, django_assert_max_num_queries
):
    state = state_of(import_rows(import_batch, count))

    with django_assert_max_num_queries(ROLLBACK_QUERIES):
        outcome = roll_back(undo_state=state, user=user)

    assert outcome == RollbackResult(
        deleted=count // 2,
        restored=count // 2,
        enrollments_removed=3 * count // 2,
        credits_removed=count,
    )


def test_undo_data_recorded_as_dicts_by_an_earlier_version_still_rolls_back(
    import_batch, account, user
):
    import_batch(EVERY_FIELD, EVERY_VALUE)
    before = row("C1")
    result = import_batch(
        ("code", "first_name", "custom_date"), "C1|Zed|2020-01-01", overwrite_duplicates="yes"
    )
    # Rewrite the chunk as chunks were written before "columns": a dict per customer.
    chunk = state_of(result).chunks.get()
    assert "columns" in json.loads(zlib.decompress(bytes(chunk.payload)))
    payload = chunk.unpack()
    assert isinstance(payload["written"][0][2], dict)
    chunk.payload = UndoChunk.pack(payload)
    # Nor had chunks a summary then.
    chunk.summary = None
    chunk.save()
    assert "columns" not in json.loads(zlib.decompress(bytes(chunk.payload)))

    assert find_conflicts(undo_state=state_of(result)) == []
    roll_back(undo_state=state_of(result), user=user)

    restored = row("C1")
    for values in (before, restored):
        del values["version"], values["updated_at"]
    assert restored == before


def test_undo_data_recorded_without_a_summary_finds_conflicts_and_rolls_back(import_batch, user):
    import_batch(data="C1|Ann\nC2|Bob")
    result = import_batch(data="C1|Anna\nC2|Bobby\nC3|Cy", overwrite_duplicates="update")
    UndoChunk.objects.filter(undo_state_id=result.undo_state_id).update(summary=None)
    c2 = customer("C2")
    Customer.objects.filter(pk=c2.pk).update(first_name="Bo", version=F("version") + 1)

    assert [c.customer_id for c in find_conflicts(undo_state=state_of(result))] == [c2.pk]
    roll_back(undo_state=state_of(result), user=user, overwrite_conflicts=True)

    assert sorted(Customer.objects.values_list("code", "first_name")) == [
        ("C1", "Ann"),
        ("C2", "Bob"),
    ]


@pytest.mark.postgres
def test_restoring_customers_scans_no_table_once_per_row_on_stale_statistics(import_batch, user):
    """Statistics from before an import (an import under 10,000 rows does not refresh
    them; autovacuum takes a minute) once made PostgreSQL restore customers with a scan of
    the staging table for every customer: quadratic, 1.7 s for 2,000 rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE customers_customer")  # empty: what the planner will believe
    rows = 300  # over COPY_FROM_ROWS: the staging-table path
    import_batch(("code", "first_name"), "\n".join(f"C{n}|Old" for n in range(rows)))
    result = import_batch(
        ("code", "first_name"),
        "\n".join(f"C{n}|New" for n in range(rows)),
        overwrite_duplicates="update",
    )
    plans = []

    def explaining(execute, sql, params, many, context):
        if not many and sql.lstrip().startswith(("UPDATE", "INSERT")) and "customer" in sql:
            with context["connection"].cursor() as cursor:
                cursor.execute(f"EXPLAIN {sql}", params)
                plans.append("\n".join(line for (line,) in cursor.fetchall()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explaining):
        outcome = roll_back(undo_state=state_of(result), user=user)

    assert outcome.restored == rows
    assert set(Customer.objects.values_list("first_name", flat=True)) == {"Old"}
    assert plans
    for plan in plans:
        nested = plan.split("Nested Loop", 1)
        assert len(nested) == 1 or "Seq Scan" not in nested[1], plan
