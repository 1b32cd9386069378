"""SQLite's one write lock, seen by its callers: whether an error is its busy timeout running
out behind another connection's write, and a short write done again while it is."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError

logger = logging.getLogger("loyalty.database")

T = TypeVar("T")

FIRST_PAUSE_SECONDS = 0.1
LONGEST_PAUSE_SECONDS = 2.0


def is_database_busy(error: BaseException) -> bool:
    """SQLite's busy timeout ran out: the statement's transaction was rolled back and the
    same work may simply be done again later. PostgreSQL waits for its row locks instead."""
    return isinstance(error, OperationalError) and "database is locked" in str(error)


def while_database_busy(write: Callable[[], T], *, give_up_after: float) -> T:
    """write() (one whole transaction), done again while the database is busy, with pauses
    doubling from 0.1 s to 2 s, until `give_up_after` seconds have passed: then the busy
    error is raised. Any other error is raised at once."""
    deadline = time.monotonic() + give_up_after
    pause = FIRST_PAUSE_SECONDS
    while True:
        try:
            return write()
        except OperationalError as error:
            if not is_database_busy(error) or time.monotonic() + pause > deadline:
                raise
        logger.info("database busy; trying again in %.1f s", pause)
        time.sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
