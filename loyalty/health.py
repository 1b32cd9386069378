"""GET /healthz: is this app server able to answer? For load balancers and monitoring.

No authentication and no writes: one `SELECT 1` on the default database.
"""

import logging

from django.db import Error, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

logger = logging.getLogger("loyalty.health")


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 {"status": "ok", "database": "ok"}, or 503 when the database does not answer."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Error as error:
        logger.warning("health check: the database is unreachable (%s)", type(error).__name__)
        return _answer({"status": "error", "database": "unreachable"}, 503)
    return _answer({"status": "ok", "database": "ok"}, 200)


def _answer(body: dict[str, str], status: int) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response
