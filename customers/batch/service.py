"""import_customers: the customers_batch operation, one database transaction per request.

The steps are customers/batch/pipeline.py's ImportRun, committed once."""

from collections.abc import Callable

from accounts.models import Account
from accounts.users import User
from customers.models import UndoState

from .parse import count_lines
from .pipeline import ImportProgress, ImportRun, PlanHook
from .types import BatchRequest, ImportResult, ValuesRead


def import_customers(
    *,
    account: Account,
    user: User | None,
    request: BatchRequest,
    source: UndoState.Source,
    on_chunk: Callable[[ImportProgress], None] | None = None,
    values_read: ValuesRead | None = None,
    on_plan: PlanHook | None = None,
) -> ImportResult:
    """Import the batch into `account`: all of it that is valid, in one transaction (or
    nothing, for validate_only and for all_or_nothing with a failing line). `on_chunk`
    hears the progress after each chunk, inside the transaction; `values_read` turns each
    line's values as read into those imported (ImportRun); `on_plan` hears each chunk's
    plan (the admin preview's sample of what changes)."""
    if '"' not in request.data:
        # Over the row limit is refused before a line is written: found at the last line, it
        # cost a 1,000,001-line request 20 s and the write lock (integrator's report). Only
        # text without a quote is counted first, in tens of ms; counting quoted text is
        # reading it, which the import does anyway.
        count_lines(request.data, request.delimiter)
    run = ImportRun(
        account=account,
        user=user,
        request=request,
        source=source,
        on_chunk=on_chunk,
        values_read=values_read,
        on_plan=on_plan,
    )
    return run.commit_once()
