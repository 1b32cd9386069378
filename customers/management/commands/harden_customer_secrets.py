"""Raise the interim hashes of customer passwords and PINs to full-strength PBKDF2, in the
customer rows and in the undo data."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Account
from customers.hardening import BATCH_SIZE, harden_customer_secrets

UNKNOWN_ACCOUNT = "No account with the slug {slug}."
ACCOUNT_HARDENED = "{slug}: {passwords} password(s) and {pins} PIN(s) hardened."
TOTAL_HARDENED = "{passwords} password(s) and {pins} PIN(s) hardened."
UNDO_HARDENED = "{slug}: {values} password(s) and PIN(s) in undo data hardened."


class Command(BaseCommand):
    help = (
        "Wrap every customer password and PIN still stored as an interim (bulk import) hash "
        "in full-strength PBKDF2, without the plaintext, in the customers and in the undo data "
        "of their imports. Safe to run again and while imports run."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--account", metavar="SLUG", help="Only this account.")
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE, help="Customers per transaction."
        )

    def handle(
        self, *args, account: str | None = None, batch_size: int, verbosity: int, **options
    ) -> None:
        accounts = Account.objects.order_by("slug")
        if account is not None:
            accounts = accounts.filter(slug=account)
            if not accounts.exists():
                raise CommandError(UNKNOWN_ACCOUNT.format(slug=account))
        passwords = pins = 0
        for each in accounts:
            done = [0, 0]
            undo_values = 0
            for batch in harden_customer_secrets(account=each, batch_size=batch_size):
                done[0] += batch.passwords
                done[1] += batch.pins
                undo_values += batch.undo_values
                if verbosity > 1:
                    self.stdout.write(f"{each.slug}: {done[0]} passwords, {done[1]} PINs so far")
            if undo_values:
                self.stdout.write(UNDO_HARDENED.format(slug=each.slug, values=undo_values))
            if any(done):
                self.stdout.write(
                    ACCOUNT_HARDENED.format(slug=each.slug, passwords=done[0], pins=done[1])
                )
            passwords += done[0]
            pins += done[1]
        self.stdout.write(TOTAL_HARDENED.format(passwords=passwords, pins=pins))
