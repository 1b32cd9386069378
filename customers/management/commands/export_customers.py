"""Export an account's customers as delimited text that import_customers and the API take
back unchanged."""

from django.core.management.base import BaseCommand, CommandError

from accounts.selectors import account_by_identifier
from customers.export import FORMATS, export_customers

UNKNOWN_ACCOUNT = "No account with the slug or owner id {account}."
CANNOT_WRITE = "Cannot write {file}: {reason}"
EXPORTED = "{count} customer(s) of {account} exported."


class Command(BaseCommand):
    help = (
        "Export an account's customers: a header line of the API's field names, then a line "
        "per customer, quoted as CSV does. Imports back unchanged with import_customers "
        "--first-line-headers (--delimiter comma, pipe or tab for csv, psv or tsv) or the "
        "API's customers_batch with --raw. Password and PIN hashes are never exported. A "
        "value a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a "
        "carriage return) is written with an apostrophe in front, which import_customers "
        "takes off again; --raw writes every value as stored."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--account", required=True, metavar="SLUG", help="The account's slug or owner id."
        )
        parser.add_argument("--format", dest="file_format", required=True, choices=list(FORMATS))
        parser.add_argument(
            "--output", metavar="FILE", help="Write here (UTF-8) instead of standard output."
        )
        parser.add_argument(
            "--raw",
            action="store_true",
            help="No apostrophe in front of values that look like formulas: a file for the "
            "API or import_customers --raw, never to be opened in a spreadsheet.",
        )

    def handle(
        self,
        *args,
        account: str,
        file_format: str,
        output: str | None,
        raw: bool,
        verbosity: int,
        **options,
    ) -> None:
        target = account_by_identifier(account)
        if target is None:
            raise CommandError(UNKNOWN_ACCOUNT.format(account=account))
        if output is None:
            count = export_customers(
                account=target, out=_Unended(self.stdout), file_format=file_format, raw=raw
            )
        else:
            try:
                with open(output, "w", encoding="utf-8", newline="") as out:
                    count = export_customers(
                        account=target, out=out, file_format=file_format, raw=raw
                    )
            except OSError as error:
                raise CommandError(
                    CANNOT_WRITE.format(file=output, reason=error.strerror)
                ) from None
        if verbosity > 0:
            # On stderr: standard output may be the export itself.
            message = EXPORTED.format(count=count, account=target.slug)
            self.stderr.write(message, style_func=self.style.SUCCESS)


class _Unended:
    """The command's stdout for csv.writer: written as given, no line end added."""

    def __init__(self, out):
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text, ending="")
