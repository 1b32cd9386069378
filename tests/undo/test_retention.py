"""Undo data is kept for the newest UNDO_STATES_KEPT undoable imports of each account; older
imports stay listed as history, marked pruned."""

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from customers.management.commands.prune_undo_states import (
    ACCOUNT_PRUNED,
    TOTAL_PRUNED,
    UNKNOWN_ACCOUNT,
)
from customers.models import UndoChunk, UndoState
from customers.rollback import find_conflicts, prune_undo_states, roll_back
from tests.factories import make_undo_state

UNDOABLE, PRUNED, ROLLED_BACK = (
    UndoState.Status.UNDOABLE,
    UndoState.Status.PRUNED,
    UndoState.Status.ROLLED_BACK,
)

LONG_AGO = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


@pytest.fixture
def keep_two(settings):
    """Call after the imports: each import prunes too, and these tests prune by hand."""

    def limit():
        settings.LOYALTY = {**settings.LOYALTY, "UNDO_STATES_KEPT": 2}

    return limit


def imports(import_batch, count: int) -> list[int]:
    """`count` imports of one new customer each, oldest first: their undo state ids."""
    return [import_batch(data=f"C{n}|Ann").undo_state_id for n in range(count)]


def statuses(ids: list[int]) -> list[tuple[str, int]]:
    """(status, number of undo chunks) per undo state, in the order of `ids`."""
    states = UndoState.objects.in_bulk(ids)
    return [(states[pk].status, UndoChunk.objects.filter(undo_state_id=pk).count()) for pk in ids]


def test_older_imports_lose_their_undo_data_and_stay_listed(import_batch, account, keep_two):
    ids = imports(import_batch, 4)
    keep_two()

    assert prune_undo_states(account=account) == 2

    assert statuses(ids) == [(PRUNED, 0), (PRUNED, 0), (UNDOABLE, 1), (UNDOABLE, 1)]


def test_each_import_prunes_its_accounts_older_undo_data(import_batch, account, settings):
    settings.LOYALTY = {**settings.LOYALTY, "UNDO_STATES_KEPT": 2}

    ids = imports(import_batch, 3)

    assert statuses(ids) == [(PRUNED, 0), (UNDOABLE, 1), (UNDOABLE, 1)]


def test_pruning_again_prunes_nothing(import_batch, account, keep_two):
    ids = imports(import_batch, 3)
    keep_two()
    prune_undo_states(account=account)

    assert prune_undo_states(account=account) == 0

    assert statuses(ids) == [(PRUNED, 0), (UNDOABLE, 1), (UNDOABLE, 1)]


def test_rolled_back_imports_do_not_count_towards_the_limit(import_batch, account, user, keep_two):
    ids = imports(import_batch, 3)
    keep_two()
    roll_back(undo_state=UndoState.objects.get(pk=ids[2]), user=user)

    assert prune_undo_states(account=account) == 0

    assert statuses(ids) == [(UNDOABLE, 1), (UNDOABLE, 1), (ROLLED_BACK, 0)]


def test_imports_at_the_same_moment_are_ordered_by_id(import_batch, account, keep_two):
    ids = imports(import_batch, 3)
    keep_two()
    UndoState.objects.filter(pk__in=ids).update(created_at=LONG_AGO)

    assert prune_undo_states(account=account) == 1

    assert statuses(ids) == [(PRUNED, 0), (UNDOABLE, 1), (UNDOABLE, 1)]


def test_other_accounts_keep_their_undo_data(import_batch, account, other_account, keep_two):
    # Older than every import of `account`: it would be pruned first if accounts mixed.
    theirs = make_undo_state(account=other_account, created_at=LONG_AGO, chunks=[{}])
    ids = imports(import_batch, 3)
    keep_two()

    assert prune_undo_states(account=account) == 1

    assert statuses([theirs.pk, *ids]) == [(UNDOABLE, 1), (PRUNED, 0), (UNDOABLE, 1), (UNDOABLE, 1)]


def test_the_command_prunes_every_account_and_says_how_many(
    import_batch, account, other_account, keep_two
):
    ids = imports(import_batch, 3)
    keep_two()
    out = StringIO()

    call_command("prune_undo_states", stdout=out)

    assert out.getvalue().splitlines() == [
        ACCOUNT_PRUNED.format(slug="greatwidgets", count=1),
        TOTAL_PRUNED.format(count=1),
    ]
    assert statuses(ids)[0] == (PRUNED, 0)


def test_the_command_prunes_one_account_by_slug(import_batch, account, keep_two):
    imports(import_batch, 4)
    keep_two()
    out = StringIO()

    call_command("prune_undo_states", "--account", "greatwidgets", stdout=out)

    assert out.getvalue().splitlines() == [
        ACCOUNT_PRUNED.format(slug="greatwidgets", count=2),
        TOTAL_PRUNED.format(count=2),
    ]


def test_the_command_refuses_an_unknown_account(db):
    with pytest.raises(CommandError) as refused:
        call_command("prune_undo_states", "--account", "nosuchshop", stdout=StringIO())

    assert str(refused.value) == UNKNOWN_ACCOUNT.format(slug="nosuchshop")


def test_imports_prune_in_batches_of_a_tenth_and_the_command_prunes_to_the_limit(
    import_batch, account, settings
):
    settings.LOYALTY = {**settings.LOYALTY, "UNDO_STATES_KEPT": 10}

    ids = imports(import_batch, 11)
    # One beyond the limit is within the batch (a tenth of 10): the imports left it.
    assert [status for status, _ in statuses(ids)] == [UNDOABLE] * 11

    ids.append(import_batch(data="C11|Ann").undo_state_id)
    # Two beyond: the import pruned down to the limit.
    assert [status for status, _ in statuses(ids)] == [PRUNED] * 2 + [UNDOABLE] * 10

    ids.append(import_batch(data="C12|Ann").undo_state_id)
    call_command("prune_undo_states", stdout=StringIO())
    assert [status for status, _ in statuses(ids)] == [PRUNED] * 3 + [UNDOABLE] * 10


def test_pruning_drops_the_restored_versions_no_undoable_import_can_need(
    import_batch, account, user, keep_two
):
    early = import_batch(data="R1|first", overwrite_duplicates="update").undo_state_id
    later = import_batch(data="R1|second", overwrite_duplicates="update").undo_state_id
    roll_back(undo_state=UndoState.objects.get(pk=later), user=user)
    kept_for_early = UndoState.objects.get(pk=later)
    assert kept_for_early.restored_versions is not None
    newer = imports(import_batch, 3)
    keep_two()

    prune_undo_states(account=account)

    # The early import is pruned: no undoable import is older than that rollback.
    assert UndoState.objects.get(pk=early).status == PRUNED
    assert UndoState.objects.get(pk=later).restored_versions is None
    assert statuses(newer)[-2:] == [(UNDOABLE, 1), (UNDOABLE, 1)]


def test_pruning_keeps_the_restored_versions_an_undoable_import_needs(
    import_batch, account, user, keep_two
):
    early = import_batch(data="R1|first").undo_state_id
    later = import_batch(data="R1|second", overwrite_duplicates="update").undo_state_id
    roll_back(undo_state=UndoState.objects.get(pk=later), user=user)
    keep_two()

    prune_undo_states(account=account)

    assert UndoState.objects.get(pk=later).restored_versions is not None
    assert find_conflicts(undo_state=UndoState.objects.get(pk=early)) == []
