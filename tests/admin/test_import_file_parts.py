"""openpyxl is given only the parts of an uploaded XLSX an import reads, each bounded before
anything parses it (customers/xlsx_package.py): a small file whose styles or defined names
would cost openpyxl a minute and hundreds of MB is refused in the shop's words, and the
parts an import does not read are never parsed at all."""

import datetime
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customers import xlsx_package as p
from customers.models import Customer, ImportPreview
from tests.admin.test_import_files import IMPORT_URL, campaign_pk, form_errors

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


@pytest.fixture
def boss(client, django_user_model, account, campaigns):
    client.force_login(django_user_model.objects.create_superuser("boss", password="pw"))
    return client


def post_xlsx(client, account, content: bytes):
    form = {
        "account": account.pk,
        "campaign": campaign_pk(account),
        "overwrite_duplicates": "update",
        "import_file": SimpleUploadedFile("customers.xlsx", content),
    }
    return client.post(IMPORT_URL, form)


def workbook(*sheets: list[list]) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for number, rows in enumerate(sheets, start=1):
        sheet = book.create_sheet(f"Sheet{number}")
        for row in rows:
            sheet.append(row)
    return book


def saved(book: openpyxl.Workbook, parts: dict[str, bytes] | None = None) -> bytes:
    """The workbook's XLSX with `parts` (by name) replaced or added."""
    out = io.BytesIO()
    book.save(out)
    replaced = dict(parts or {})
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    result = io.BytesIO()
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            archive.writestr(item.filename, replaced.pop(item.filename, None) or source.read(item))
        for name, data in replaced.items():
            archive.writestr(name, data)
    return result.getvalue()


ANN = [["code", "first_name"], ["C1", "Ann"]]


def refused(response) -> list[str]:
    """The form's errors, once it is checked that nothing was previewed or imported."""
    assert response.status_code == 200
    assert not ImportPreview.objects.exists()
    assert not Customer.objects.exists()
    return form_errors(response)


def test_an_xlsx_whose_styles_repeat_a_million_formats_is_refused_before_openpyxl(boss, account):
    # The red team's file: 9 KB zipped, 69 s and 605 MB in openpyxl.
    styles = f'<styleSheet xmlns="{MAIN}"><cellXfs>'.encode() + b"<xf/>" * 1_000_000
    content = saved(workbook(ANN), {"xl/styles.xml": styles + b"</cellXfs></styleSheet>"})
    assert len(content) < 20_000

    response = post_xlsx(boss, account, content)

    assert refused(response) == [
        "The Excel file holds more formatting (cell styles, fonts, borders, colours) than an "
        "import reads (at most 100,000 entries, 16 MB). Select the sheet and clear its formats "
        '(Home > Clear > Clear Formats), or save the sheet as "CSV UTF-8" and upload that '
        "instead."
    ]


def test_an_xlsx_whose_workbook_defines_a_million_names_is_refused_before_openpyxl(boss, account):
    names = b'<definedName name="n">Sheet1!$A$1</definedName>' * 1_000_000
    out = io.BytesIO()
    workbook(ANN).save(out)
    part = zipfile.ZipFile(out).read("xl/workbook.xml")
    part = part.replace(b"<definedNames/>", b"<definedNames>" + names + b"</definedNames>")
    content = saved(workbook(ANN), {"xl/workbook.xml": part})
    assert len(content) < 200_000

    response = post_xlsx(boss, account, content)

    assert refused(response) == [
        "The Excel file holds more sheets and named ranges than an import reads (at most "
        "10,000 entries, 4 MB). Delete the named ranges you do not need (Formulas > Name "
        'Manager), or save the sheet as "CSV UTF-8" and upload that instead.'
    ]


def test_an_xlsx_sheet_of_many_merged_cells_is_refused_before_openpyxl(boss, account, settings):
    settings.LOYALTY = {**settings.LOYALTY, "MAX_IMPORT_CELLS": 1000}
    out = io.BytesIO()
    workbook(ANN).save(out)
    sheet = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml")
    merged = b"<mergeCells>" + b'<mergeCell ref="C1:D2"/>' * 5000 + b"</mergeCells>"
    sheet = sheet.replace(b"</sheetData>", b"</sheetData>" + merged)
    content = saved(workbook(ANN), {"xl/worksheets/sheet1.xml": sheet})

    response = post_xlsx(boss, account, content)

    assert refused(response) == [p.WORKSHEET.too_large().message]
    assert "at most 4,000 entries" in p.WORKSHEET.too_large().message


def test_an_xlsx_index_of_too_many_parts_is_refused_before_openpyxl(boss, account):
    out = io.BytesIO()
    workbook(ANN).save(out)
    index = zipfile.ZipFile(out).read("[Content_Types].xml")
    extra = b'<Override PartName="/x" ContentType="application/xml"/>' * 20_000
    content = saved(
        workbook(ANN), {"[Content_Types].xml": index.replace(b"</Types>", extra + b"</Types>")}
    )

    assert refused(post_xlsx(boss, account, content)) == [p.PACKAGE_INDEX.too_large().message]


def test_parts_an_import_does_not_read_are_never_parsed(boss, account):
    # Each of these, parsed, fails (openpyxl said "damaged") or costs seconds; left out of
    # what openpyxl is given, none is read.
    not_xml = b"<not xml"
    content = saved(
        workbook(ANN),
        {
            "docProps/core.xml": not_xml,
            "docProps/custom.xml": not_xml,
            "xl/theme/theme1.xml": b"<a/>" * 1_000_000,
            "xl/worksheets/_rels/sheet1.xml.rels": not_xml,
        },
    )

    response = post_xlsx(boss, account, content)

    preview = response.context["preview"]
    assert (preview.new, preview.failed) == (1, 0)


def test_the_first_worksheet_is_read_as_openpyxl_orders_them(boss, account):
    book = workbook([["code", "first_name"], ["C1", "Ann"]], [["code"], ["OTHER"]])
    book.create_chartsheet("Chart", 0)  # first in the workbook, but not a worksheet

    response = post_xlsx(boss, account, saved(book))

    preview = response.context["preview"]
    assert (preview.new, preview.failed) == (1, 0)
    assert response.context["pending"]
    boss.post(IMPORT_URL, {"pending": response.context["pending"]})
    assert list(Customer.objects.values_list("code", "first_name")) == [("C1", "Ann")]


def test_an_xlsx_date_cell_is_still_read_as_a_date(boss, account):
    # The styles are kept: a cell's number format is what says it is a date.
    book = workbook([["code", "custom_date"], ["C1", datetime.date(1970, 7, 14)]])

    response = post_xlsx(boss, account, saved(book))
    boss.post(IMPORT_URL, {"pending": response.context["pending"]})

    assert list(Customer.objects.values_list("code", "custom_date")) == [
        ("C1", datetime.date(1970, 7, 14))
    ]
