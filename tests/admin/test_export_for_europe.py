"""The admin's export for a French (or German, ...) Excel: a CSV with semicolons, which
such an Excel opens in columns where the comma-separated one opened in one column (shop
owner's report), and which the admin import takes back unchanged, formula apostrophes and
all."""

import csv
import io
from html import unescape

from customers.admin_export import FORMAT_HELP
from customers.models import Customer
from customers.resources import ADMIN_EXPORT_FIELDS, ADMIN_EXPORT_HEADERS
from tests.admin import confirm, post_file

EXPORT_URL = "/admin/customers/customer/export/"
SEMICOLONS = "2"


def exported(client, file_format=SEMICOLONS) -> bytes:
    response = client.post(
        EXPORT_URL,
        {
            "format": file_format,
            "resource": "0",
            **{f"customerexportresource_{name}": "on" for name in ADMIN_EXPORT_FIELDS},
        },
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.csv"')
    return response.getvalue()


def test_the_export_page_offers_a_csv_for_excel_in_europe_and_says_what_the_apostrophe_is(boss):
    page = boss.get(EXPORT_URL)

    assert [label for _value, label in page.context["form"].fields["format"].choices] == [
        "CSV",
        "Excel workbook (XLSX)",
        "CSV for Excel in Europe (semicolons)",
    ]
    assert FORMAT_HELP in unescape(page.content.decode())


def test_the_european_csv_has_semicolons_between_values_and_neutralised_formulas(
    boss, account, run_import
):
    run_import(("code", "first_name", "phone", "city"), "C1|Ann|+33 6 10 20 30 40|Paris; 5e")

    content = exported(boss)

    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == list(ADMIN_EXPORT_HEADERS)
    row = dict(zip(ADMIN_EXPORT_FIELDS, rows[1], strict=True))
    assert (row["phone"], row["city"]) == ("'+33 6 10 20 30 40", "Paris; 5e")
    assert content.decode("utf-8-sig").split("\r\n")[0] == ";".join(ADMIN_EXPORT_HEADERS)


def test_the_european_csv_imports_back_unchanged(boss, account, run_import):
    run_import(
        ("code", "first_name", "phone", "custom_date", "city"),
        "C1|Ann|+33 6 10 20 30 40|1970-07-14|Paris; 5e\nC2|Bob|=1+1||\n",
    )
    before = list(Customer.objects.order_by("code").values())

    preview = post_file(boss, account, exported(boss), name="export.csv")
    assert preview.context["read_as"] == "CSV, UTF-8, semicolon-separated"
    assert (preview.context["preview"].updated, preview.context["preview"].unchanged) == (2, 2)
    confirm(boss, preview)

    after = list(Customer.objects.order_by("code").values())
    for row in before + after:
        row.pop("updated_at"), row.pop("version")
    assert after == before
    assert Customer.objects.get(code="C1").phone == "+33 6 10 20 30 40"


def test_numbers_a_spreadsheet_would_change_are_kept_as_text_and_come_back_unchanged(
    boss, account, run_import
):
    # Shop owner, thirteenth run: French Excel saved 0632323232 back as 632323232 and a
    # 16-digit card number rounded, and the import of the export showed "Updated 1".
    run_import(
        ("code", "card_number", "first_name", "phone"),
        "0042|4000123412341234|Ann|0632323232\nC2|123|Bob|42",
    )

    content = exported(boss).decode("utf-8-sig")

    rows = list(csv.reader(io.StringIO(content, newline=""), delimiter=";"))
    written = [dict(zip(ADMIN_EXPORT_FIELDS, row, strict=True)) for row in rows[1:]]
    assert [(row["code"], row["card_number"], row["phone"]) for row in written] == [
        ("'0042", "'4000123412341234", "'0632323232"),
        ("C2", "123", "42"),
    ]
    preview = post_file(boss, account, content.encode("utf-8-sig"), name="export.csv")
    assert (preview.context["preview"].updated, preview.context["preview"].unchanged) == (2, 2)
    assert Customer.objects.get(code="0042").phone == "0632323232"
