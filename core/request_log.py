"""One JSON line per API request on the logger "loyalty.request".

A line holds the method, path, status, duration, client address, the call's `type`, the
`account_id` as sent (only when it is a plain slug or owner id) and whatever the view added
with `note_request` (the authenticated account, the counts). It never holds a credential
or row data: the form is read only for `type` and `account_id`, and noted fields with a
secret's name are dropped.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("loyalty.request")

API_PATHS = frozenset({"/api", "/api.php"})
# An account slug (Django's SlugField) or a 16-digit owner id; anything else is not logged.
PLAIN_ACCOUNT_ID = re.compile(r"[-a-zA-Z0-9_]{1,64}")
PLAIN_TYPE = re.compile(r"[a-z_]{1,40}")
# Fields a view must never note; dropped if one is noted anyway.
SECRET_FIELDS = frozenset(
    {"user_password", "user_api_key", "api_access_key", "password", "profiles_data"}
)
# Kept in the request's WSGI environ (META), an extension key as PEP 3333 allows: a DRF
# Request shares its HttpRequest's META, so a view can note on either.
_NOTES = "loyalty.request_log.notes"


def note_request(request: Any, **fields: Any) -> None:
    """Add `fields` to the log line of `request` (an HttpRequest or a DRF Request, e.g.
    account="greatwidgets", new=3). Values must be JSON-serialisable; secrets and row data
    must never be passed."""
    request.META.setdefault(_NOTES, {}).update(fields)


class RequestLogMiddleware:
    """Logs every request to /api and /api.php once it has been answered."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info not in API_PATHS:
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = (time.perf_counter() - started) * 1000
        line = request_log_line(request, response.status_code, duration_ms)
        level = logging.ERROR if response.status_code >= 500 else logging.INFO
        logger.log(level, json.dumps(line, ensure_ascii=False, default=str))
        return response


def request_log_line(request: HttpRequest, status: int, duration_ms: float) -> dict[str, Any]:
    """The fields logged for `request`, answered with `status` after `duration_ms`."""
    form = _parsed_form(request)
    line: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "method": request.method,
        "path": request.path,
        "status": status,
        "duration_ms": round(duration_ms, 1),
        "client": request.META.get("REMOTE_ADDR", ""),
        "type": _plain(form.get("type", "").strip().lower(), PLAIN_TYPE),
        "account_id": _plain(form.get("account_id", "").strip(), PLAIN_ACCOUNT_ID),
    }
    account = getattr(request, "loyalty_account", None)
    if account is not None:
        line["account"] = getattr(account, "slug", str(account))
    notes = request.META.get(_NOTES, {})
    for name, value in notes.items():
        if name.lower() not in SECRET_FIELDS and name not in line:
            line[name] = value
    return line


def _parsed_form(request: HttpRequest) -> dict[str, str]:
    """`type` and `account_id` of a form the view has already read, names lowercased.

    Never parses the body itself: that would read a body nobody asked for (after a
    redirect) or one too big to read (the view has answered 413 then)."""
    if request.method != "POST" or not hasattr(request, "_post"):
        return {}
    return {
        name.lower(): str(value)
        for name, value in request.POST.items()
        if name.lower() in ("type", "account_id")
    }


def _plain(value: str, pattern: re.Pattern[str]) -> str | None:
    return value if pattern.fullmatch(value) else None
