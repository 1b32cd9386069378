"""The admin's rollback of a large import, handed to a background job.

A confirmed rollback of an import of more than LOYALTY["ADMIN_BACKGROUND_LINES"] rows (the
customers it added and changed: the same threshold as the admin's import, since a rollback
costs about what the import did per row) goes to the handler registered here, the jobs
app's (which the layers put above this one: customers may not import it); up to it, or
without a handler, it runs in the request as before."""

from __future__ import annotations

from typing import Protocol

from django.conf import settings

from accounts.users import User

from .models import UndoState


class BackgroundRollback(Protocol):
    """Queues the rollback of `state` as the operator confirmed it and returns the URL of
    the page that follows it, or raises a DomainError whose message says, in shop words,
    why it was not queued (one is queued already, the account's jobs are at their cap)."""

    def __call__(
        self, *, state: UndoState, user: User, overwrite_conflicts: bool, seen_conflicts: str
    ) -> str: ...


# Set by the jobs app (jobs/apps.py); None: every rollback runs in the request.
_background_rollback: BackgroundRollback | None = None


def register_background_rollback(handler: BackgroundRollback | None) -> None:
    """Hand confirmed rollbacks above the threshold to `handler` (None: to no one)."""
    global _background_rollback
    _background_rollback = handler


def background_rollback(state: UndoState) -> BackgroundRollback | None:
    """The handler that takes the rollback of `state`, if it goes to the background: the
    import wrote more rows than LOYALTY["ADMIN_BACKGROUND_LINES"] (its counts, read from
    the undo state's row, so the POST unpacks no undo data to decide)."""
    limit = settings.LOYALTY["ADMIN_BACKGROUND_LINES"]
    if _background_rollback is None or state.new + state.updated <= limit:
        return None
    return _background_rollback
