"""export_customers writes an account's customers as delimited text that import_customers
and the API take back unchanged; it never exports secrets nor another account's customers."""

import csv
import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.export import FORMATS
from customers.management.commands import export_customers as command
from customers.models import Customer
from customers.resources import EXPORT_FIELDS
from tests.commands.conftest import snapshot
from tests.factories import make_customer

# Export format -> the import's delimiter name.
DELIMITER_NAMES = {"csv": "comma", "psv": "pipe", "tsv": "tab"}
PASSWORD_HASH = "interim_sha256$salt$0123456789abcdef"
PIN_HASH = "interim_sha256$salt$fedcba9876543210"


@pytest.fixture
def customers(account, other_account):
    """Customers whose values hold every delimiter, quotes and line breaks (a lone CR too,
    which csv does not quote by itself)."""
    make_customer(
        account=account,
        code="C1",
        card_number="0071937715",
        first_name='Ann "The Best", Jr',
        last_name="O|Brien",
        email="ann@example.com",
        phone="+1 555 0100",
        custom_date=datetime.date(1970, 7, 14),
        street1="1 Main St\nApt 2",
        street2="Rear\tdoor\rgate",
        city="Zürich",
        state="ZH",
        postal_code="8001",
        country="CH",
        custom_field='a "quoted" | piped, value\r\nover lines',
        customer_username="ann",
        customer_password=PASSWORD_HASH,
        customer_pin=PIN_HASH,
    )
    make_customer(account=account, code="C2")
    make_customer(account=account, code="0042", first_name="Leading zeros", card_number="0001")
    make_customer(
        account=other_account, code="X1", first_name="Not ours", customer_username="other"
    )
    return Customer.objects.filter(account=account)


def export(file_format: str, *arguments: str, account="greatwidgets") -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "export_customers",
        f"--account={account}",
        f"--format={file_format}",
        *arguments,
        stdout=out,
        stderr=err,
    )
    assert err.getvalue() == command.EXPORTED.format(count=3, account=account) + "\n"
    return out.getvalue()


def test_the_export_is_a_header_line_then_a_line_per_customer_quoted_as_csv(customers):
    text = export("csv")

    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == list(EXPORT_FIELDS)
    # 0042 is kept as text for a spreadsheet (which would read it as 42): import_customers
    # takes the apostrophe off again.
    assert [row[0] for row in rows[1:]] == ["'0042", "C1", "C2"]
    ann = dict(zip(rows[0], rows[2], strict=True))
    assert ann["first_name"] == 'Ann "The Best", Jr'
    assert ann["street1"] == "1 Main St\nApt 2"
    assert ann["custom_date"] == "1970-07-14"
    assert rows[3] == ["C2", *[""] * (len(EXPORT_FIELDS) - 1)]
    assert text.splitlines()[1] == "'0042,'0001,Leading zeros" + "," * (len(EXPORT_FIELDS) - 3)


def test_password_and_pin_hashes_are_never_exported(customers):
    for file_format in FORMATS:
        text = export(file_format)

        assert "customer_password" not in text and "customer_pin" not in text.lower()
        assert PASSWORD_HASH not in text and PIN_HASH not in text
        assert "interim_sha256" not in text


def test_only_the_named_accounts_customers_are_exported(customers, other_account):
    text = export("psv")

    assert "X1" not in text and "Not ours" not in text and "other" not in text
    out = io.StringIO()
    call_command(
        "export_customers",
        "--account=otherwidgets",
        "--format=psv",
        stdout=out,
        stderr=io.StringIO(),
    )
    assert out.getvalue().splitlines()[1:] == ["X1||Not ours||||||||||||other"]


@pytest.mark.parametrize("file_format", list(FORMATS))
def test_import_customers_takes_the_export_back_unchanged(
    file_format, customers, account, import_file
):
    before = snapshot(account)
    versions = dict(customers.values_list("code", "version"))

    ran = import_file(export(file_format), delimiter=DELIMITER_NAMES[file_format])

    assert ran.stdout.splitlines()[0].startswith(
        "Imported into greatwidgets: 0 new, 3 updated, 0 ignored, 0 failed."
    )
    assert snapshot(account) == before
    # Rows that change nothing are counted as updated but not written again.
    assert dict(customers.values_list("code", "version")) == versions


@pytest.mark.parametrize("file_format", list(FORMATS))
def test_the_api_takes_the_raw_export_back_unchanged(file_format, customers, account, post_batch):
    before = snapshot(account)
    # --raw: the API stores values as sent, the apostrophe before "+1 555 0100" included.
    header, data = export(file_format, "--raw").split("\n", 1)

    response = post_batch(
        headers=header.split(FORMATS[file_format]),
        data=data,
        delimiter=DELIMITER_NAMES[file_format],
        overwrite_duplicates="update",
        output="JSON",
    )

    assert response.status_code == 200
    batch = json.loads(response.content)["batch"]
    assert batch["customers"] == {"new": 0, "updated": 3, "ignored": 0, "failed": 0}
    assert snapshot(account) == before


def test_the_accounts_custom_fields_are_exported_and_imported_back(customers, account, import_file):
    account.custom_field_count = 2
    account.save()
    Customer.objects.filter(code="C1").update(custom_fields={"custom_field_2": "blue, green"})
    before = snapshot(account)

    text = export("csv")
    import_file(text)

    assert text.splitlines()[0].endswith(",customer_username,custom_field_1,custom_field_2")
    assert snapshot(account) == before


def test_output_writes_a_utf8_file(customers, tmp_path):
    path = tmp_path / "out.tsv"

    call_command(
        "export_customers",
        "--account=greatwidgets",
        "--format=tsv",
        f"--output={path}",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    assert path.read_bytes().decode("utf-8") == export("tsv")


def test_an_unknown_account_is_refused(customers):
    with pytest.raises(CommandError) as refused:
        export("csv", account="nosuchshop")

    assert str(refused.value) == command.UNKNOWN_ACCOUNT.format(account="nosuchshop")
