"""request_id: a retried request gets the first response and changes nothing.

A reply is kept for LOYALTY["REQUEST_ID_TTL_SECONDS"] (24 hours) after the request that
claimed its id. Then it has expired: a request with the same id is a new request, and the
row is deleted, after any import with a request_id (outside its transaction) and by the
prune_request_ids command. A reply lists at most LOYALTY["LINE_ERRORS_LISTED"] line errors,
so its row stays small however many lines failed; it lists every generated code and card
number (the retry must learn them too), compressed (ImportRequest.packed_response)."""

import datetime

from django.conf import settings

from accounts.models import Account
from customers.models import ImportRequest

from .types import ImportResult


def reply_lifetime() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.LOYALTY["REQUEST_ID_TTL_SECONDS"])


def kept_reply(record: ImportRequest, now: datetime.datetime) -> ImportResult | None:
    """The reply `record` holds, unless it has none or it has expired."""
    if record.response is None or record.created_at <= now - reply_lifetime():
        return None
    return ImportResult.from_dict(record.response)


def claim_request_id(
    *, account: Account, request_id: str, now: datetime.datetime
) -> tuple[ImportRequest, ImportResult | None]:
    """Claim `request_id` for this transaction, or return the response it already got.

    The row is inserted with ON CONFLICT DO NOTHING, so a concurrent request with the same
    id waits for the first one's transaction and then finds its response.
    """
    ImportRequest.objects.bulk_create(
        [ImportRequest(account=account, request_id=request_id, created_at=now)],
        ignore_conflicts=True,
    )
    record = ImportRequest.objects.select_for_update().get(account=account, request_id=request_id)
    reply = kept_reply(record, now)
    if reply is not None:
        return record, reply
    if record.response is not None:
        record.created_at = now
        record.response = None
        record.save(update_fields=["created_at", "packed_response"])
    return record, None


def stored_reply(
    *, account: Account, request_id: str, now: datetime.datetime
) -> ImportResult | None:
    """The response `request_id` got, if it is kept and not expired, without claiming the id:
    a background submission retried with it is answered at once (jobs/service.py)."""
    record = ImportRequest.objects.filter(account=account, request_id=request_id).first()
    return None if record is None else kept_reply(record, now)


def remember_response(*, record: ImportRequest, result: ImportResult) -> None:
    record.response = result.to_dict()
    record.save(update_fields=["packed_response"])


def delete_expired_replies(*, now: datetime.datetime) -> int:
    """Delete every account's replies older than their lifetime; returns how many."""
    deleted, _ = ImportRequest.objects.filter(created_at__lte=now - reply_lifetime()).delete()
    return deleted
