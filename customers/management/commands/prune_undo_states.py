"""Drop the undo data of imports beyond each account's newest UNDO_STATES_KEPT."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from customers.failed_lines import prune_failed_lines
from customers.rollback import prune_undo_states

UNKNOWN_ACCOUNT = "No account with the slug {slug}."
ACCOUNT_PRUNED = "{slug}: {count} undo state(s) pruned."
TOTAL_PRUNED = "{count} undo state(s) pruned."


class Command(BaseCommand):
    help = (
        "Drop the undo data of every account's undoable imports beyond the newest "
        "LOYALTY['UNDO_STATES_KEPT'], and the failed lines of every import beyond them; "
        "they stay listed as history."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--account", metavar="SLUG", help="Only this account.")

    def handle(self, *args, account: str | None = None, **options) -> None:
        accounts = Account.objects.order_by("slug")
        if account is not None:
            accounts = accounts.filter(slug=account)
            if not accounts.exists():
                raise CommandError(UNKNOWN_ACCOUNT.format(slug=account))
        total = 0
        for each in accounts:
            count = prune_undo_states(account=each)
            prune_failed_lines(account=each, everything=True)
            if count:
                self.stdout.write(ACCOUNT_PRUNED.format(slug=each.slug, count=count))
            total += count
        self.stdout.write(TOTAL_PRUNED.format(count=total))
