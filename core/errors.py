"""The domain's errors: what could not be done and why, in the contract's words, with no
HTTP in them.

The engine, the rollback, the selectors and the credential checks raise these; the API's
one exception handler (api/exceptions.py) maps each kind to a status and the envelope, the
admin and the management commands show `message` to their users. Each kind has a `code`,
a stable name for it that callers can compare against without parsing the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self


class DomainError(Exception):
    """An operation was refused and nothing was done; `message` says why and what to do.

    An error made with `worded` also keeps the message's `template` and the `details` it
    was filled with, so a caller whose users read other words (the admin's shop staff
    read their file's columns, not API parameters) can say the same thing its own way."""

    code: ClassVar[str] = "error"

    def __init__(
        self,
        message: str,
        *,
        template: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.template = template
        self.details: Mapping[str, Any] = details or {}

    @classmethod
    def worded(cls, template: str, **details: Any) -> Self:
        """The error whose message is `template` filled with `details` (a detail the
        template does not name is kept for other wordings only)."""
        return cls(template.format(**details), template=template, details=details)


class InvalidRequest(DomainError):
    """The request as a whole cannot be carried out: a bad or missing parameter, an unknown
    campaign, more lines than one request may hold."""

    code = "invalid_request"


class NotAuthenticated(DomainError):
    """The credentials do not let this user import into the account they name. The message
    is the same for every reason, so it does not reveal which users or accounts exist."""

    code = "not_authenticated"


class Throttled(DomainError):
    """Too many failed credential checks recently; `retry_after` seconds are left."""

    code = "throttled"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OverLimit(DomainError):
    """The account holds as much of a shared resource as it may (background jobs queued or
    running, their saved bodies): nothing was done, and the same request succeeds once
    some of it is released (a job ends)."""

    code = "over_limit"


class Refused(DomainError):
    """The data is not in a state that allows the operation (a rollback whose customers
    were changed since, an undo state already rolled back)."""

    code = "refused"
