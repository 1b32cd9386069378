"""A rollback in the admin's log (Home's Recent actions, the import's History page), as
what it was: "Rolled back Import 6 of spring.csv into Great Widgets", with the rollback's
counts as its change message. Written for a rollback confirmed in the admin, run at once
(customers/admin.py) or by a background job (jobs/tasks.py): a large import's History
page said "This object doesn't have a change history" (shop owner, thirteenth run)."""

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

from .models import UndoState

# It read "Import 6 into Great Widgets", a change like any edit.
ROLLED_BACK_LOGGED = "Rolled back {state}"


def log_rollback(*, user_id: int, state: UndoState, message: str) -> None:
    """Log the rollback of `state` by `user_id`, once: a job's attempt that finds the
    rollback done by an earlier attempt logs it only if that attempt did not."""
    content_type = ContentType.objects.get_for_model(UndoState)
    logged = LogEntry.objects.filter(
        content_type=content_type,
        object_id=str(state.pk),
        object_repr__startswith=ROLLED_BACK_LOGGED.format(state="").strip(),
    )
    if logged.exists():
        return
    LogEntry.objects.create(
        user_id=user_id,
        content_type=content_type,
        object_id=str(state.pk),
        object_repr=ROLLED_BACK_LOGGED.format(state=state)[: LogEntry.object_repr.field.max_length],
        action_flag=CHANGE,
        change_message=message,
    )
