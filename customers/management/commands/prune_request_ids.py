"""Delete the stored replies of request_id that have expired."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from customers.batch.replay import delete_expired_replies

DELETED = "{count} expired request_id reply(ies) deleted."


class Command(BaseCommand):
    help = (
        "Delete every account's stored request_id replies older than "
        "LOYALTY['REQUEST_ID_TTL_SECONDS'] (24 hours): a retry after that is a new request. "
        "Imports with a request_id do this too; run it from cron where they are rare."
    )

    def handle(self, *args, **options) -> None:
        count = delete_expired_replies(now=timezone.now())
        self.stdout.write(DELETED.format(count=count))
