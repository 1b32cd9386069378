"""Import of customer files in the admin goes through the API's engine, with a preview;
export gives a file that imports back unchanged. Both stay inside the user's accounts."""

import csv
import datetime
import io
import tracemalloc
from html import unescape

import openpyxl
import pytest

from accounts.models import Membership
from campaigns.models import Enrollment
from customers.admin_import import PENDING_GONE
from customers.batch import messages as m
from customers.file_headers import column_label
from customers.models import Customer, ImportPreview, UndoState
from customers.resources import ADMIN_EXPORT_FIELDS
from tests.admin import IMPORT_URL, post_file
from tests.conftest import POINTS
from tests.factories import make_campaign, make_customer

EXPORT_URL = "/admin/customers/customer/export/"
FILE = "code,first_name,custom_date,auto_add\nC1,Ann,1970-07-14,5\nC2,Bob,04-03-2010,\n"


@pytest.fixture
def admin_user_client(client, django_user_model, account, campaigns):
    admin = django_user_model.objects.create_superuser("boss", password="pw")
    client.force_login(admin)
    return client


def preview(client, account, content=FILE, **fields):
    return post_file(client, account, content, **fields)


def test_preview_reports_what_the_import_would_do_and_writes_nothing(admin_user_client, account):
    response = preview(admin_user_client, account)

    assert response.status_code == 200
    result = response.context["preview"]
    assert (result.new, result.updated, result.failed) == (1, 0, 1)
    assert result.errors[0].message == m.BAD_DATE_FORMAT.format(value="04-03-2010")
    assert b"04-03-2010" in response.content
    assert not Customer.objects.exists()
    assert not UndoState.objects.exists()


def test_confirming_imports_and_records_an_admin_undo_state(admin_user_client, account):
    pending = preview(admin_user_client, account).context["pending"]

    response = admin_user_client.post(IMPORT_URL, {"pending": pending})

    state = UndoState.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/customers/undostate/{state.pk}/change/"
    assert state.source == UndoState.Source.ADMIN
    assert (state.new, state.failed) == (1, 1)
    customer = Customer.objects.get()
    assert (customer.code, customer.first_name) == ("C1", "Ann")
    assert Enrollment.objects.filter(customer=customer, campaign__campaign_id=POINTS).exists()


def test_a_preview_is_confirmed_only_once(admin_user_client, account):
    pending = preview(admin_user_client, account).context["pending"]
    admin_user_client.post(IMPORT_URL, {"pending": pending})

    response = admin_user_client.post(IMPORT_URL, {"pending": pending}, follow=True)

    assert PENDING_GONE in [str(message) for message in response.context["messages"]]
    assert Customer.objects.count() == 1


def test_xlsx_files_import_like_csv(admin_user_client, account):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["code", "first_name", "phone"])
    sheet.append([11223344, "Jane", "555-5555"])
    content = io.BytesIO()
    book.save(content)

    pending = preview(admin_user_client, account, content.getvalue()).context["pending"]
    admin_user_client.post(IMPORT_URL, {"pending": pending})

    customer = Customer.objects.get()
    assert (customer.code, customer.first_name, customer.phone) == ("11223344", "Jane", "555-5555")


@pytest.mark.parametrize("character", ["\x1f", "\x7f", "\x80", "\x85", "\x9f"])
def test_a_control_character_in_a_file_is_the_apis_line_error(
    admin_user_client, account, character
):
    content = f"code,first_name\nC1,Ann{character}\nC2,Bo\xa0b\n"

    result = preview(admin_user_client, account, content).context["preview"]

    message = m.CONTROL_CHARACTER.format(field="first_name")
    assert [(error.line, error.field, error.message) for error in result.errors] == [
        (2, "first_name", message)
    ]
    assert (result.new, result.failed) == (1, 1)


def test_a_staff_user_cannot_import_into_another_account(
    client, staff_user, account, other_account, campaigns
):
    staff = staff_user("add_customer", "change_customer", "view_customer")
    Membership.objects.filter(user=staff).update(role=Membership.Role.IMPORTER)
    make_campaign(account=other_account, campaign_id=POINTS)
    client.force_login(staff)

    response = preview(client, other_account)

    assert "account" in response.context["form"].errors
    assert not Customer.objects.exists()


def test_a_preview_cannot_be_confirmed_by_another_user(
    admin_user_client, client, django_user_model, account
):
    pending = preview(admin_user_client, account).context["pending"]
    other = django_user_model.objects.create_superuser("other", password="pw")
    client.force_login(other)

    client.post(IMPORT_URL, {"pending": pending})

    assert not Customer.objects.exists()


def exported_csv(client) -> str:
    response = client.post(
        EXPORT_URL,
        {
            "format": "0",
            "resource": "0",
            **{
                f"customerexportresource_{name}": "on"
                for name in (
                    "account",
                    "code",
                    "card_number",
                    "first_name",
                    "last_name",
                    "email",
                    "phone",
                    "custom_date",
                    "street1",
                    "street2",
                    "city",
                    "state",
                    "postal_code",
                    "country",
                    "custom_field",
                    "customer_username",
                )
            },
        },
    )
    assert response.status_code == 200, response.getvalue()[:500]
    return response.getvalue().decode("utf-8-sig")


# The header row as exported, and as staff retype it from the export dialog's labels.
HEADER_STYLES = {
    "as exported": lambda name: name,
    "the export dialog's labels": column_label,
    "upper case, spaced": lambda name: f" {column_label(name).upper()} ",
}


@pytest.mark.parametrize("style", HEADER_STYLES)
def test_an_exported_file_imports_back_unchanged(admin_user_client, account, run_import, style):
    run_import(
        ("code", "card_number", "first_name", "email", "custom_date", "city"),
        'C1|K1|Ann|ann@example.com|1970-07-14|"Paris, France"\nC2||Bob|||\n',
    )
    before = list(Customer.objects.order_by("code").values())

    header, rest = exported_csv(admin_user_client).split("\r\n", 1)
    exported = ",".join(map(HEADER_STYLES[style], header.split(","))) + "\r\n" + rest
    response = preview(admin_user_client, account, exported)
    assert (response.context["preview"].updated, response.context["preview"].unchanged) == (2, 2)
    admin_user_client.post(IMPORT_URL, {"pending": response.context["pending"]})

    assert UndoState.objects.filter(source=UndoState.Source.ADMIN).get().updated == 2
    after = list(Customer.objects.order_by("code").values())
    for row in before + after:
        row.pop("updated_at"), row.pop("version")
    assert after == before


def test_the_exports_headers_are_the_column_names_the_import_page_and_dialog_give(
    admin_user_client, account, run_import
):
    run_import(("code", "first_name"), "C1|Ann")

    header = exported_csv(admin_user_client).split("\r\n", 1)[0].split(",")
    page = unescape(admin_user_client.get(IMPORT_URL).content.decode())
    listed = page[page.index('id="import-columns"') :]
    dialog = unescape(admin_user_client.get(EXPORT_URL).content.decode())

    assert header[:8] == [
        "Account",
        "Code",
        "Card number",
        "First name",
        "Last name",
        "Email",
        "Phone",
        "Birthday / custom date",
    ]
    for name, text in zip(ADMIN_EXPORT_FIELDS, header, strict=True):
        assert f"<td><code>{name}</code></td><td><code>{text}</code></td>" in listed
        assert f'for="id_customerexportresource_{name}">{text}</label>' in dialog


def test_export_holds_only_the_users_accounts(
    client, staff_user, account, other_account, run_import
):
    run_import(("code", "first_name"), "MINE|Ann")
    make_campaign(account=other_account, campaign_id=POINTS)
    run_import(("code", "first_name"), "THEIRS|Bob", into=other_account)
    client.force_login(staff_user("view_customer"))

    rows = list(csv.DictReader(io.StringIO(exported_csv(client))))

    assert [row["Code"] for row in rows] == ["MINE"]


def test_the_admin_exports_the_account_then_the_commands_columns_and_values(
    admin_user_client, account, run_import
):
    from django.core.management import call_command

    from customers.resources import ADMIN_EXPORT_HEADERS, EXPORT_FIELDS

    run_import(
        ("code", "card_number", "first_name", "email", "custom_date", "city", "customer_password"),
        'C1|0071|Ann "A"|ann@example.com|1970-07-14|"Paris, France"|secret\nC2||Bob||||\n',
    )
    command_out = io.StringIO()
    call_command(
        "export_customers", f"--account={account.slug}", "--format=csv", stdout=command_out
    )

    by_admin = list(csv.reader(io.StringIO(exported_csv(admin_user_client))))
    by_command = list(csv.reader(io.StringIO(command_out.getvalue(), newline="")))

    # The admin's file starts with the account column and heads its columns by their
    # labels; the rest is the command's.
    assert by_admin[0] == list(ADMIN_EXPORT_HEADERS)
    assert by_command[0] == list(EXPORT_FIELDS)
    assert [row[0] for row in by_admin[1:]] == [account.slug, account.slug]
    by_admin = [row[1:] for row in by_admin]
    assert by_admin[1:] == by_command[1:]
    assert by_admin[1][EXPORT_FIELDS.index("custom_date")] == "1970-07-14"
    assert by_admin[2][EXPORT_FIELDS.index("card_number")] == ""


def test_a_user_keeps_only_the_newest_previews_and_the_older_ones_are_gone(
    admin_user_client, account
):
    # Each preview stores its whole upload for an hour: re-uploading must not grow the
    # database without end.
    tokens = [preview(admin_user_client, account).context["pending"] for _ in range(5)]

    assert ImportPreview.objects.count() == 3  # customers.pending.PREVIEWS_PER_USER
    oldest = admin_user_client.post(IMPORT_URL, {"pending": tokens[0]}, follow=True)
    assert PENDING_GONE in [str(message) for message in oldest.context["messages"]]
    assert not Customer.objects.exists()
    admin_user_client.post(IMPORT_URL, {"pending": tokens[-1]})
    assert Customer.objects.count() == 1


@pytest.mark.parametrize("filler", [",", "x"], ids=["delimiters", "one-value"])
def test_a_large_upload_costs_a_small_multiple_of_its_size(admin_user_client, account, filler):
    # The preview's saved request was written with orjson, which reserves about 16 bytes a
    # character of a long string: a 4 MB upload peaked at 21 times its size, 64 MB at 1.3 GB.
    preview(admin_user_client, account)  # the first request's one-off costs
    content = ("code,first_name\nC1," + filler * (4 * 1024 * 1024) + "\n").encode()
    tracemalloc.start()
    try:
        response = preview(admin_user_client, account, content)
        _, top = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.status_code == 200
    assert response.context["preview"].failed == 1
    assert top < 12 * len(content), top / len(content)


def test_the_export_page_starts_on_csv_with_no_empty_format_to_choose(admin_user_client):
    form = admin_user_client.get(EXPORT_URL).context["form"]

    html = str(form["format"])
    assert [label for _value, label in form.fields["format"].choices] == [
        "CSV",
        "Excel workbook (XLSX)",
        "CSV for Excel in Europe (semicolons)",
    ]
    assert '<option value="0" selected>CSV</option>' in html


def full_customer(account, n: int) -> Customer:
    """A customer with a value in every column of the export."""
    text = {
        name: f"v{n}"
        for name in ADMIN_EXPORT_FIELDS
        if name not in ("account", "code", "email", "custom_date")
    }
    return make_customer(
        account=account,
        code=f"C{n}",
        email=f"c{n}@example.com",
        custom_date=datetime.date(1970, 1, 1 + n),
        **text,
    )


def exported_xlsx(client) -> bytes:
    response = client.post(
        EXPORT_URL,
        {
            "format": "1",
            "resource": "0",
            **{f"customerexportresource_{name}": "on" for name in ADMIN_EXPORT_FIELDS},
        },
    )
    assert response.status_code == 200
    return response.getvalue()


def test_the_export_page_warns_when_an_xlsx_of_the_list_could_not_be_imported_back(
    admin_user_client, account, settings
):
    # A shop owner's XLSX export of 100,000 customers was refused by the XLSX import, whose
    # cell limit stays (its CPU cost): the page says so before the file is made, counting
    # the cells the file has: the header row's and the filled values'.
    columns = len(ADMIN_EXPORT_FIELDS)
    settings.LOYALTY = {**settings.LOYALTY, "MAX_IMPORT_CELLS": columns * 3}
    for n in range(3):
        full_customer(account, n)

    warned = admin_user_client.get(EXPORT_URL).content.decode()
    refused = preview(admin_user_client, account, exported_xlsx(admin_user_client))

    cells = columns * 4  # the header row, then 3 customers of every column
    assert (
        f"This list holds 3 customers. An Excel file (XLSX) of them with every column has "
        f"{cells:,} filled cells, more than the {columns * 3:,} an XLSX import reads, so it "
        "cannot be imported back here: to import the file back, export CSV (or untick "
        "columns, or export fewer customers)."
    ) in unescape(warned)
    # Refused by the XLSX import's bounds (its cells, or the elements allowed per cell).
    assert "preview" not in refused.context and refused.context["form"].non_field_errors()


def test_the_export_page_does_not_warn_of_an_xlsx_whose_empty_cells_let_it_import_back(
    admin_user_client, account, settings
):
    # A shop owner's 25,010 customers imported back from an XLSX the page said could not:
    # an empty value is no cell of the sheet, and the import counts the sheet's cells.
    columns = len(ADMIN_EXPORT_FIELDS)
    settings.LOYALTY = {**settings.LOYALTY, "MAX_IMPORT_CELLS": columns * 3}
    for n in range(6):
        make_customer(account=account, code=f"C{n}", first_name="Ann")

    page = admin_user_client.get(EXPORT_URL).content.decode()
    response = preview(admin_user_client, account, exported_xlsx(admin_user_client))

    assert "export-xlsx-rows-warning" not in page
    assert (response.context["preview"].updated, response.context["preview"].failed) == (6, 0)


def test_the_xlsx_warning_counts_the_customers_the_list_shows(admin_user_client, account, settings):
    columns = len(ADMIN_EXPORT_FIELDS)
    settings.LOYALTY = {**settings.LOYALTY, "MAX_IMPORT_CELLS": columns * 3}
    for n in range(3):
        make_customer(account=account, code=f"C{n}", first_name="Ann" if n else "Bob")

    filtered = admin_user_client.get(EXPORT_URL, {"q": "Ann"}).content.decode()

    assert "export-xlsx-rows-warning" not in filtered
