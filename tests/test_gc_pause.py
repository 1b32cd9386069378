"""collection_paused: the cyclic collector is off inside bulk work and back on after it."""

import gc
import threading

import pytest

from core.gc_pause import collection_paused


@pytest.fixture(autouse=True)
def _collector_on():
    gc.enable()
    yield
    gc.enable()


def test_collector_is_off_inside_and_on_again_after():
    with collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_collector_is_on_again_after_an_exception():
    with pytest.raises(ValueError), collection_paused():
        raise ValueError
    assert gc.isenabled()


def test_collector_that_was_off_stays_off():
    gc.disable()
    with collection_paused():
        pass
    assert not gc.isenabled()


def test_overlapping_blocks_in_threads_keep_it_off_until_the_last_ends():
    first_inside, release_first = threading.Event(), threading.Event()

    def first():
        with collection_paused():
            first_inside.set()
            release_first.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    first_inside.wait(5)
    with collection_paused():
        release_first.set()
        thread.join(5)
        assert not gc.isenabled()  # the first block ended, this one still runs
    assert gc.isenabled()


def test_an_import_and_its_rollback_write_with_the_collector_off(run_import, user, monkeypatch):
    from customers import rollback_write
    from customers.batch import write
    from customers.models import UndoState
    from customers.rollback import roll_back

    seen = []

    def spy(module, name):
        original = getattr(module, name)

        def spying(**kwargs):
            seen.append((name, gc.isenabled()))
            return original(**kwargs)

        monkeypatch.setattr(module, name, spying)

    spy(write, "insert_customers")
    spy(rollback_write, "delete_customers")
    result = run_import(data="C1|Ann\n")
    assert gc.isenabled()
    roll_back(undo_state=UndoState.objects.get(pk=result.undo_state_id), user=user)

    assert seen == [("insert_customers", False), ("delete_customers", False)]
    assert gc.isenabled()
