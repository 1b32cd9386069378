"""A running job's lines done and its lease, kept in the jobs cache (Redis, or files in
JOBS_DIR on one machine) rather than in the database: the import writes in one
transaction, which on SQLite holds the database's only write lock until it commits, so
no other connection could record progress in the meantime (docs/decisions.md)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from types import TracebackType

from django.conf import settings
from django.core.cache import BaseCache, caches

from customers.batch.pipeline import ImportProgress

logger = logging.getLogger("loyalty.jobs")


@dataclass(frozen=True)
class Beat:
    """What the running attempt last said: lines done, and when (a Unix time)."""

    attempt: int
    lines_done: int
    at: float
    # A rollback's customers in all, counted once it read its undo data (None: an import,
    # whose lines in all are counted at submission).
    lines_total: int | None = None


def board() -> BaseCache:
    return caches["jobs"]


def _key(job_id: str) -> str:
    return f"job:{job_id}"


def last_beat(job_id: str) -> Beat | None:
    value = board().get(_key(job_id))
    if not isinstance(value, dict):
        return None
    return Beat(
        attempt=value["attempt"],
        lines_done=value["lines_done"],
        at=value["at"],
        lines_total=value.get("lines_total"),
    )


def forget(job_id: str) -> None:
    board().delete(_key(job_id))


class Heartbeat:
    """While its `with` block runs, renews the attempt's lease every JOB_HEARTBEAT_SECONDS
    from a thread of its own (a chunk can take longer than that); `on_chunk` (an import's)
    and `on_progress` (a rollback's) record the lines done after each chunk as well."""

    def __init__(self, job_id: str, attempt: int):
        self.job_id = job_id
        self.attempt = attempt
        self.lines_done = 0
        self.lines_total: int | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._beat, name=f"job-{job_id}-beat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._write()
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def on_chunk(self, progress: ImportProgress) -> None:
        # commit_once runs the whole import again after a conflict: its count starts over.
        self.lines_done = progress.lines
        self._write()

    def on_progress(self, done: int, total: int) -> None:
        # A rollback run again after a conflict starts over too.
        self.lines_done, self.lines_total = done, total
        self._write()

    def _beat(self) -> None:
        interval = settings.LOYALTY["JOB_HEARTBEAT_SECONDS"]
        while not self._stop.wait(interval):
            self._write()

    def _write(self) -> None:
        """Write the beat; a cache that is down for a moment is logged, never raised: it
        must neither fail the import (after a chunk) nor end the beat for good."""
        timeout = settings.LOYALTY["JOB_LEASE_SECONDS"] * 10
        with self._lock:
            value = {
                "attempt": self.attempt,
                "lines_done": self.lines_done,
                "lines_total": self.lines_total,
                "at": time.time(),
            }
            try:
                board().set(_key(self.job_id), value, timeout=timeout)
            except Exception:
                logger.warning("heartbeat of import job %s not written", self.job_id, exc_info=True)
