"""Planner statistics after bulk imports (PostgreSQL).

PostgreSQL plans an import's lookups (customers by code, card number or username) from the
table's statistics. Autovacuum refreshes them about once a minute, and only after a tenth
of the table has changed, so an import sent right after a large one (the same file again
under `update`, say) is planned as if the account had no customers: every chunk then reads
all of the account's customers instead of using the (account, code) index. ANALYZE samples
a fixed number of rows, a fraction of a second, so a large import pays for it itself;
over the API after its response is sent (core.after_response), so the integrator does
not wait for it.
"""

from django.db import connection

from campaigns.models import Enrollment
from core.after_response import after_response

from .models import Customer

# Imports that wrote at least this many customers refresh the statistics.
ANALYZE_AFTER_ROWS = 10_000


def refresh_after_import(*, written: int) -> None:
    """Call after the import's commit: ANALYZE reads committed rows only."""
    if connection.vendor == "postgresql" and written >= ANALYZE_AFTER_ROWS:
        after_response(analyze_import_tables)


def analyze_import_tables() -> None:
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table) for model in (Customer, Enrollment)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")
