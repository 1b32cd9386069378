"""Helpers of the command line tests: running import_customers on a file written for the
test, and a snapshot of an account's customers."""

import io
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.management.commands.import_customers import LINES_FAILED_RETURN_CODE
from customers.models import Customer
from tests.conftest import POINTS

# Every customer column but those any write changes on purpose.
SNAPSHOT_COLUMNS = tuple(
    f.attname for f in Customer._meta.concrete_fields if f.attname not in ("version", "updated_at")
)


@dataclass
class Ran:
    stdout: str
    stderr: str
    # The exit status the command line would end with.
    returncode: int = 0


@pytest.fixture
def data_file(tmp_path):
    """data_file(text, name=...) -> the path of a file holding exactly `text` (UTF-8) or
    the bytes given; data_file.last is the latest path."""

    def write(text: str | bytes, name: str = "customers.csv") -> str:
        path = tmp_path / name
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        write.last = str(path)
        return write.last

    return write


@pytest.fixture
def import_file(campaigns, data_file):
    """import_file(text, *arguments, account=..., campaigns=..., delimiter=..., overwrite=...)
    -> Ran: import_customers on a file holding `text`, with --first-line-headers unless
    --headers is among the arguments. An import whose lines failed returns its Ran with
    returncode 2 (the exit status it ends with); import_file.last is the latest Ran, also
    when the command raised."""

    def run(
        text: str | bytes,
        *arguments: str,
        account="greatwidgets",
        campaigns=POINTS,
        delimiter="comma",
        overwrite="update",
    ) -> Ran:
        if not any(argument.startswith("--headers") for argument in arguments):
            arguments = ("--first-line-headers", *arguments)
        out, err = io.StringIO(), io.StringIO()
        returncode = 0
        try:
            call_command(
                "import_customers",
                data_file(text),
                f"--account={account}",
                f"--campaigns={campaigns}",
                f"--delimiter={delimiter}",
                f"--overwrite={overwrite}",
                *arguments,
                stdout=out,
                stderr=err,
            )
        except CommandError as error:
            if error.returncode != LINES_FAILED_RETURN_CODE:
                raise
            returncode = error.returncode
        finally:
            run.last = Ran(out.getvalue(), err.getvalue(), returncode)
        return run.last

    return run


def snapshot(account) -> list[tuple]:
    """The account's customers, every column but version and updated_at, in code order."""
    return list(
        Customer.objects.filter(account=account).order_by("code").values_list(*SNAPSHOT_COLUMNS)
    )
