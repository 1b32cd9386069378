"""request_id: a retried request gets the first response and changes nothing."""

import datetime

from django.conf import settings

from accounts.models import Account
from customers.models import ImportRequest

from .types import ImportResult


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
    ttl = datetime.timedelta(seconds=settings.LOYALTY["REQUEST_ID_TTL_SECONDS"])
    if record.response is not None and record.created_at > now - ttl:
        return record, ImportResult.from_dict(record.response)
    if record.response is not None:
        record.created_at = now
        record.response = None
        record.save(update_fields=["created_at", "response"])
    return record, None


def remember_response(*, record: ImportRequest, result: ImportResult) -> None:
    record.response = result.to_dict()
    record.save(update_fields=["response"])
