"""Pausing Python's cyclic garbage collector around bulk work.

An import or a rollback of 100,000 rows makes millions of short-lived dicts, lists and
tuples. Each allocation past a threshold starts a collection that walks the young objects,
and the older generations get walked again and again as the import's own data ages into
them: measured in-process on this machine, a fifth of a 100,000-row import and a third of
its rollback. Our bulk code makes no reference cycles (its objects are freed by reference
counting as they go); the database layers leave a little cyclic garbage per statement
(about 40 KB per chunk on PostgreSQL), which waits for the collector to run again after
the block. So pause only around bounded work (a request, a rollback), never around a
stream of unbounded length: the command line's streaming import was tried and its memory
grew with the file.
"""

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_holders = 0  # blocks running collection_paused() now
_was_enabled = True  # whether the collector ran before the first of them


@contextlib.contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic cyclic collection while the block runs (counted, so threads that
    overlap leave it off until the last one is done; left as it was if it was off)."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()
