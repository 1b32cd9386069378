"""Delete the admin import previews that expired unconfirmed (customers/pending.py)."""

from django.core.management.base import BaseCommand

from customers.pending import purge_expired_previews

PURGED = "{count} expired import preview(s) deleted."


class Command(BaseCommand):
    help = (
        "Delete admin import previews older than LOYALTY['IMPORT_PREVIEW_SECONDS'] (an hour) "
        "that were never confirmed. Making a preview purges them too; run this from cron "
        "so none outlive the hour on a quiet server."
    )

    def handle(self, *args, **options) -> None:
        self.stdout.write(PURGED.format(count=purge_expired_previews()))
