"""The admin's export of a large list: its rows are the command line's (export_customers),
read in a fixed number of queries and written a block at a time (a red team's finding: an
account of 270,000 customers ran past gunicorn's timeout in XLSX; customers/admin_export.py).

The blocks are made small here, so a few dozen customers cross several of them."""

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers import admin_export, workbook
from customers.models import Customer
from customers.resources import ADMIN_EXPORT_HEADERS
from customers.spreadsheet import neutralised
from customers.workbook import EXPORT_FAILED, MAX_ROWS, TOO_MANY_ROWS, text_workbook
from tests.admin import test_export_formulas as formulas
from tests.admin.test_export_formulas import EXPORT_URL, command_export, csv_rows

# The superuser's client (a fixture) and the export with every column ticked.
boss, exported = formulas.boss, formulas.admin_export

CUSTOMERS = 23
HEADERS = ("code", "first_name", "last_name", "street1", "custom_date", "city")


def line(n: int) -> str:
    """Customer n's values of HEADERS, pipe-delimited: formulas, quotes, a separator, XML's
    own characters, a date, and none."""
    values = (
        f"C{n:03d}",
        f"=1+{n}" if n % 3 == 0 else "Ann",
        "O'Brien" if n % 4 == 0 else f"+44 {n}",
        "a&b <c>" if n % 5 == 0 else "",
        "1970-07-14" if n % 2 else "",
        '"Paris, France"' if n % 6 == 0 else "@home",
    )
    return "|".join(values)


LINES = "\n".join(line(n) for n in range(CUSTOMERS))


@pytest.fixture
def blocks(monkeypatch):
    """Blocks of 5 rows, for the CSV and the sheet's XML."""
    monkeypatch.setattr(admin_export, "BLOCK_ROWS", 5)
    monkeypatch.setattr(workbook, "BLOCK_ROWS", 5)


@pytest.fixture
def customers(run_import, account):
    run_import(HEADERS, LINES)
    assert Customer.objects.filter(account=account).count() == CUSTOMERS
    return account


def sheet_values(content: bytes) -> list[list[str]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    # A date cell as the text the import reads it as (YYYY-MM-DD).
    return [
        [
            ""
            if cell.value is None
            else cell.value.date().isoformat()
            if cell.is_date
            else cell.value
            for cell in row
        ]
        for row in book.active
    ]


def test_the_admins_csv_export_holds_the_command_lines_rows_after_its_account_column(
    boss, customers, blocks
):
    rows = csv_rows(exported(boss, "csv"))

    assert rows[0] == list(ADMIN_EXPORT_HEADERS)
    assert {row[0] for row in rows[1:]} == {"greatwidgets"}
    # The same rows below the header (the admin's headed by its labels, the command's by
    # the API's names).
    assert [row[1:] for row in rows[1:]] == csv_rows(command_export("--format=csv").encode())[1:]


def test_the_admins_xlsx_export_holds_the_command_lines_raw_rows_after_its_account_column(
    boss, customers, blocks
):
    values = sheet_values(exported(boss, "xlsx"))

    assert values[0] == list(ADMIN_EXPORT_HEADERS)
    assert {row[0] for row in values[1:]} == {"greatwidgets"}
    # Text cells hold the values as stored: the command's --raw values.
    raw = csv_rows(command_export("--format=csv", "--raw").encode())
    assert [row[1:] for row in values[1:]] == raw[1:]
    neutral = csv_rows(command_export("--format=csv").encode())
    assert [[neutralised(value) for value in row[1:]] for row in values[1:]] == neutral[1:]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_only_the_ticked_columns_are_exported_in_the_forms_order(boss, customers, file_format):
    ticked = ("city", "code", "account")
    response = boss.post(
        EXPORT_URL,
        {
            "format": {"csv": "0", "xlsx": "1"}[file_format],
            "resource": "0",
            **{f"customerexportresource_{name}": "on" for name in ticked},
        },
    )

    content = response.getvalue()
    rows = csv_rows(content) if file_format == "csv" else sheet_values(content)
    assert rows[0] == ["Account", "Code", "City"]
    assert rows[1] == ["greatwidgets", "C000", "Paris, France"]
    assert rows[2] == ["greatwidgets", "C001", "'@home" if file_format == "csv" else "@home"]
    assert len(rows) == CUSTOMERS + 1


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_of_many_customers_costs_as_many_queries_as_of_one(
    boss, run_import, account, file_format
):
    run_import(("code",), "ONE")
    with CaptureQueriesContext(connection) as one:
        exported(boss, file_format)
    run_import(("code",), "\n".join(f"M{n}" for n in range(40)))

    with CaptureQueriesContext(connection) as many:
        content = exported(boss, file_format)

    assert len(many) == len(one)
    rows = csv_rows(content) if file_format == "csv" else sheet_values(content)
    assert len(rows) == 42


def test_the_csv_export_is_sent_as_it_is_written_and_the_xlsx_from_a_file(boss, customers):
    csv_response = boss.post(
        EXPORT_URL,
        {"format": "0", "resource": "0", "customerexportresource_code": "on"},
    )
    xlsx_response = boss.post(
        EXPORT_URL,
        {"format": "1", "resource": "0", "customerexportresource_code": "on"},
    )

    assert csv_response.streaming and xlsx_response.streaming
    assert csv_response["Content-Disposition"].startswith('attachment; filename="Customer-')
    assert xlsx_response["Content-Disposition"].endswith('.xlsx"')
    assert b"".join(csv_response.streaming_content).startswith(b"\xef\xbb\xbfCode\r\nC000\r\n")


def test_a_value_a_workbook_cannot_hold_fails_the_xlsx_export_with_its_reason(boss, customers):
    # Stored before the rules refused control characters: the API takes none.
    Customer.objects.filter(code="C007").update(first_name="bell\x07")

    response = boss.post(
        EXPORT_URL, {"format": "1", "resource": "0", "customerexportresource_code": "on"}
    )
    assert response.streaming  # the code alone: nothing it cannot hold
    response = boss.post(
        EXPORT_URL,
        {"format": "1", "resource": "0", **{"customerexportresource_first_name": "on"}},
    )

    assert response.status_code == 200
    assert "Content-Disposition" not in response
    assert [str(message) for message in response.context["messages"]] == [EXPORT_FAILED]


@pytest.mark.parametrize(
    "value",
    ["a\rb", "a\r\nb\nc", "x & y < z > w", "  spaces kept  ", "\ttab", "é ü 漢字 🙂", "]]>"],
)
def test_a_workbook_cell_holds_its_text_exactly(value):
    book = openpyxl.load_workbook(io.BytesIO(text_workbook(["a", "b"], [[value, "last"]])))

    (cell, last) = book.active[2]
    assert (cell.value, cell.data_type, last.value) == (value, "s", "last")


def test_a_list_longer_than_a_sheet_is_refused_with_its_reason(monkeypatch):
    monkeypatch.setattr(workbook, "MAX_ROWS", 3)

    with pytest.raises(ValueError) as refused:
        text_workbook(["code"], [[f"C{n}"] for n in range(4)])

    assert str(refused.value) == TOO_MANY_ROWS.format(limit=3)
    assert MAX_ROWS == 1_048_575
