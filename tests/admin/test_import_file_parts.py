"""openpyxl is given only the parts of an uploaded XLSX an import reads, each bounded before
anything parses it (customers/xlsx_package.py): a small file whose styles or defined names
would cost openpyxl a minute and hundreds of MB is refused in the shop's words, and the
parts an import does not read are never parsed at all."""

import datetime
import io
import struct
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from customers import import_file as f
from customers import xlsx_package as p
from customers.models import Customer, ImportPreview
from tests.admin import IMPORT_URL, campaign_pk, form_errors

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


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


SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
SHARED_STRINGS_RELATION = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
)
# A1 is shared string 0 (the header "code"), B2 shared string 1.
SHEET_OF_SHARED_STRINGS = (
    f'<worksheet xmlns="{MAIN}"><sheetData>'
    '<row r="1"><c r="A1" t="s"><v>0</v></c>'
    '<c r="B1" t="inlineStr"><is><t>first_name</t></is></c></row>'
    '<row r="2"><c r="A2" t="inlineStr"><is><t>C1</t></is></c>'
    '<c r="B2" t="s"><v>1</v></c></row></sheetData></worksheet>'
).encode()


def with_shared_strings(
    strings: bytes, name: str = "xl/sharedStrings.xml", sheet: bytes = SHEET_OF_SHARED_STRINGS
) -> bytes:
    """A workbook whose `sheet` reads shared strings `strings` (its <si> elements), stored
    under `name`, which the content types and the workbook's relations point to as
    openpyxl finds them (openpyxl itself writes none: it writes text inline)."""
    out = io.BytesIO()
    workbook(ANN).save(out)
    source = zipfile.ZipFile(out)
    override = f'<Override PartName="/{name}" ContentType="{SHARED_STRINGS_TYPE}"/>'
    index = source.read("[Content_Types].xml").replace(b"</Types>", override.encode() + b"</Types>")
    relation = f'<Relationship Type="{SHARED_STRINGS_RELATION}" Target="/{name}" Id="rId99"/>'
    relations = source.read("xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>", relation.encode() + b"</Relationships>"
    )
    return saved(
        workbook(ANN),
        {
            "[Content_Types].xml": index,
            "xl/_rels/workbook.xml.rels": relations,
            "xl/worksheets/sheet1.xml": sheet,
            name: f'<sst xmlns="{MAIN}">'.encode() + strings + b"</sst>",
        },
    )


def test_a_sheet_of_shared_strings_under_another_name_is_read(boss, account):
    content = with_shared_strings(b"<si><t>code</t></si><si><t>Ann</t></si>", "xl/strings.bin")

    response = post_xlsx(boss, account, content)

    assert response.status_code == 200
    assert ImportPreview.objects.count() == 1, form_errors(response)


@pytest.mark.parametrize("name", ["xl/sharedStrings.xml", "xl/sharedStrings.bin", "xl/strings"])
def test_shared_strings_are_bounded_whatever_the_part_is_called(boss, account, name):
    # Seventh red team: the pre-scan read only members ending in ".xml", while openpyxl
    # finds the shared strings through the content types, under any name: a 60,000,000-
    # character string (60 KB zipped) cost 6.8 s and 529 MB, a million strings 30 s.
    long_text = b"<si><t>code</t></si><si><t>" + b"a" * 60_000_000 + b"</t></si>"
    many = b"<si><t>code</t></si>" + b"<si><t>a</t></si>" * 1_000_000

    long_refused = refused(post_xlsx(boss, account, with_shared_strings(long_text, name)))
    many_refused = refused(post_xlsx(boss, account, with_shared_strings(many, name)))

    assert "more than 32,767 characters" in long_refused[0]
    assert "more than 250,000 cells" in many_refused[0]


def test_a_shared_string_of_a_million_rich_text_runs_is_refused_before_openpyxl(boss, account):
    # Seventh red team: one <si> of 1,000,000 <r><t>a</t></r> runs (31 KB zipped) counted as
    # one string, and cost openpyxl 23 s and 543 MB; its elements are counted now.
    runs = b"<si><t>code</t></si><si>" + b"<r><t>a</t></r>" * 1_000_000 + b"</si>"

    assert refused(post_xlsx(boss, account, with_shared_strings(runs))) == [
        p.SHARED_TEXT.too_large().message
    ]


def test_an_xlsx_whose_styles_hold_a_million_fonts_is_refused_before_openpyxl(boss, account):
    # Seventh red team: 1,000,000 <font><b/></font> (43 KB zipped) cost 54 s and 641 MB.
    fonts = b"<font><b/></font>" * 1_000_000
    styles = f'<styleSheet xmlns="{MAIN}"><fonts>'.encode() + fonts + b"</fonts></styleSheet>"
    content = saved(workbook(ANN), {"xl/styles.xml": styles})

    assert refused(post_xlsx(boss, account, content)) == [p.STYLES.too_large().message]


def split_between_the_parts(extra: bytes, count: int, per_cell: int = 1_000) -> bytes:
    """A workbook of shared strings holding `count` times `extra` in all, `per_cell` in each
    of as many strings as that takes, and a sheet holding as many again in inline strings,
    a cell a row: each part within its own bound, each cell within the bound on a cell's
    XML, the two parts together not."""
    per_cell = min(per_cell, count)
    cells = count // per_cell
    strings = b"<si><t>code</t></si><si><r><t>Ann</t></r></si>"
    strings += (b"<si>" + extra * per_cell + b"</si>") * cells
    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is>' % (row, row)
        + extra * per_cell
        + b"</is></c></row>"
        for row in range(3, 3 + cells)
    )
    sheet = SHEET_OF_SHARED_STRINGS.replace(b"<is><t>C1</t></is>", b"<is><r><t>C1</t></r></is>")
    sheet = sheet.replace(b"</sheetData>", rows + b"</sheetData>")
    return with_shared_strings(strings, sheet=sheet)


@pytest.fixture
def openpyxl_loads(monkeypatch) -> list:
    """The workbooks openpyxl is asked to open (none where a file is refused before)."""
    return calls_recorded(monkeypatch, f.openpyxl, "load_workbook")


def calls_recorded(monkeypatch, module, name: str) -> list:
    """The arguments of each call of `module.name`, which still does what it did."""
    calls = []
    called = getattr(module, name)

    def recorded(*args, **kwargs):
        calls.append(args)
        return called(*args, **kwargs)

    monkeypatch.setattr(module, name, recorded)
    return calls


@pytest.mark.parametrize(
    ("run", "count"), [(b"<r><t/></r>", 495_000), (b"<r><rPr/><t></t></r>", 330_000)]
)
def test_empty_rich_text_runs_split_between_the_shared_strings_and_the_sheet_are_refused(
    boss, account, openpyxl_loads, run, count
):
    # Eighth red team: 990,000 empty runs (26 KB zipped) cost openpyxl 8.5 s, 660,000
    # with an empty font (37 KB) 16 s, each part within its own bound.
    content = split_between_the_parts(run, count)
    assert len(content) < 45_000

    assert refused(post_xlsx(boss, account, content)) == [f.TOO_MUCH_RICH_TEXT.format(limit=25_000)]
    assert openpyxl_loads == []


@pytest.mark.parametrize(("count", "read"), [(49, True), (50, False)])
def test_rich_text_runs_are_read_up_to_one_per_ten_cells_of_the_limit(
    boss, account, settings, count, read
):
    settings.LOYALTY = {**settings.LOYALTY, "MAX_IMPORT_CELLS": 1000}
    # "Ann" and "C1" are a run each: 100 runs in all, then 102.
    content = split_between_the_parts(b"<r><t></t></r>", count)

    response = post_xlsx(boss, account, content)

    if read:
        preview = response.context["preview"]
        assert (preview.new, preview.failed) == (1, 0)
    else:
        assert refused(response) == [f.TOO_MUCH_RICH_TEXT.format(limit=100)]


def test_elements_split_between_the_parts_are_bounded_together(boss, account, openpyxl_loads):
    # Each part within its own bound (4 elements a cell of the limit), 660,000 phonetic
    # runs (no rich-text run) in the two cost openpyxl 7.1 s: the parts add up to more than
    # 5 elements a cell of the limit.
    content = split_between_the_parts(b'<rPh sb="0" eb="1"><t>b</t></rPh>', 330_000)

    assert refused(post_xlsx(boss, account, content)) == [p.package_too_large().message]
    assert "more than 1,250,000 entries" in p.package_too_large().message
    assert openpyxl_loads == []


def test_a_workbook_with_rich_text_as_a_spreadsheet_writes_it_is_read(boss, account):
    bold, red = InlineFont(b=True, sz=11, rFont="Calibri"), InlineFont(color="FFFF0000", i=True)
    book = workbook([["code", "first_name", "last_name"]])
    for number in range(1, 201):
        book.active.append(
            [
                CellRichText(TextBlock(bold, "C"), str(number)),
                CellRichText(TextBlock(bold, "A"), TextBlock(red, "n"), "n"),
                CellRichText("Lee ", TextBlock(red, "Smith")),
            ]
        )

    response = post_xlsx(boss, account, saved(book))
    boss.post(IMPORT_URL, {"pending": response.context["pending"]})

    assert Customer.objects.count() == 200
    assert set(Customer.objects.values_list("first_name", "last_name")) == {("Ann", "Lee Smith")}
    assert Customer.objects.filter(code="C200").exists()


def sheet_with(extra: bytes, *, inside_the_row: bool = False) -> bytes:
    """ANN's workbook whose sheet holds `extra` after its cells (where a sheet keeps its
    merged cells, formatting rules and links) or inside its last row."""
    out = io.BytesIO()
    workbook(ANN).save(out)
    sheet = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml")
    if inside_the_row:
        sheet = sheet.replace(b"</row></sheetData>", extra + b"</row></sheetData>")
    else:
        sheet = sheet.replace(b"</sheetData>", b"</sheetData>" + extra)
    return saved(workbook(ANN), {"xl/worksheets/sheet1.xml": sheet})


@pytest.mark.parametrize(
    ("extra", "inside_the_row"),
    [
        # 990,000 merged cells, 62 KB zipped: 10.6 s and 720 MB of openpyxl, within the
        # sheet's 4 elements a cell of the limit.
        (b"<mergeCells>" + b'<mergeCell ref="C1:D2"/>' * 990_000 + b"</mergeCells>", False),
        # 990,000 empty elements inside a row, 14 KB: held with the row, 2.3 s and 300 MB.
        (b"<x:foo/>" * 990_000, True),
        (b'<extLst><ext uri="x">' + b"<a/>" * 990_000 + b"</ext></extLst>", False),
    ],
    ids=["merged cells", "inside a row", "extensions"],
)
def test_a_sheet_of_more_entries_besides_its_cells_than_an_import_reads_is_refused(
    boss, account, openpyxl_loads, extra, inside_the_row
):
    content = sheet_with(extra, inside_the_row=inside_the_row)
    assert len(content) < 70_000

    assert refused(post_xlsx(boss, account, content)) == [
        p.WORKSHEET.too_much_besides_cells().message
    ]
    assert "more than 100,000 entries besides its cells' values" in (
        p.WORKSHEET.too_much_besides_cells().message
    )
    assert openpyxl_loads == []


def test_a_sheet_with_merged_cells_validations_and_a_link_a_row_is_read(boss, account):
    book = workbook([["code", "first_name", "email"]])
    sheet = book.active
    for number in range(1, 1001):
        sheet.append([f"C{number}", "Ann", f"ann{number}@example.com"])
        sheet.cell(row=number + 1, column=3).hyperlink = f"mailto:ann{number}@example.com"
        sheet.merge_cells(start_row=number + 1, start_column=4, end_row=number + 1, end_column=5)
    validation = openpyxl.worksheet.datavalidation.DataValidation(type="list", formula1='"a,b"')
    validation.add("F2:F1001")
    sheet.add_data_validation(validation)
    sheet.conditional_formatting.add(
        "B2:B1001", openpyxl.formatting.rule.CellIsRule(operator="equal", formula=['"Ann"'])
    )

    response = post_xlsx(boss, account, saved(book))
    boss.post(IMPORT_URL, {"pending": response.context["pending"]})

    assert Customer.objects.count() == 1000


def with_first_name(cell_text: bytes) -> bytes:
    """ANN's workbook whose cell "Ann" (an inline string, as openpyxl writes it) holds
    `cell_text` as its XML instead."""
    out = io.BytesIO()
    workbook(ANN).save(out)
    sheet = zipfile.ZipFile(out).read("xl/worksheets/sheet1.xml")
    assert b"<is><t>Ann</t></is>" in sheet
    sheet = sheet.replace(b"<is><t>Ann</t></is>", b"<is>" + cell_text + b"</is>")
    return saved(workbook(ANN), {"xl/worksheets/sheet1.xml": sheet})


def test_a_cell_of_many_runs_each_within_the_bound_on_a_text_is_refused(
    boss, account, openpyxl_loads
):
    # Ninth red team's variant: 600 runs of 100,000 characters (69 KB zipped) made one
    # 60 MB text, 645 MB in the worker; each run is within the bound on a run of text.
    content = with_first_name(
        b"<r><t>"
        + b"A" * 100_000
        + b"</t></r>" * 1
        + (b"<r><t>" + b"A" * 100_000 + b"</t></r>") * 599
    )
    assert len(content) < 80_000

    assert refused(post_xlsx(boss, account, content)) == [
        f.CELL_TOO_LONG.format(limit=f.MAX_CELL_CHARS)
    ]
    assert openpyxl_loads == []


@pytest.mark.parametrize(
    "pieces",
    [
        b"<![CDATA[" + b"A" * 100 + b"]]>",
        b"A" * 100 + b"<!-- -->",
        b"A" * 100 + b"<?pi x?>",
    ],
    ids=["CDATA", "comment", "processing instruction"],
)
def test_xml_spreadsheets_do_not_write_in_a_sheet_is_refused(boss, account, openpyxl_loads, pieces):
    # Ninth red team: 600 CDATA sections of 100,000 characters in one cell (69 KB zipped)
    # were one 60 MB text, 559 MB in the worker: the parser joins the text around each.
    content = with_first_name(b"<t>" + pieces * 3 + b"</t>")

    assert refused(post_xlsx(boss, account, content)) == [p.NOT_AS_SPREADSHEETS_WRITE]
    assert openpyxl_loads == []


def test_a_cell_of_a_few_long_runs_is_read(boss, account):
    content = with_first_name((b"<r><t>" + b"A" * 10_000 + b"</t></r>") * 3)

    response = post_xlsx(boss, account, content)

    assert response.context["preview"].errors  # first_name is longer than 100 characters
    assert "longer than 100 characters" in response.context["preview"].errors[0].message


def zip_of_empty_entries(count: int, *, zip64: bool = False) -> bytes:
    """A zip whose central directory lists `count` entries named "a" (46 bytes each and
    its name), as the tenth red team built one: no workbook at all."""
    entry = struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0
    )
    directory = (entry + b"a") * count
    local = b"PK\x03\x04" + b"\0" * 26
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, 0, 1) if zip64 else b""
    entries = min(count, 0xFFFF)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, entries, entries, len(directory), 30, 0)
    return local + directory + locator + end


@pytest.fixture
def zips_opened(monkeypatch) -> list:
    """The uploads Python's zipfile is asked to open."""
    return calls_recorded(monkeypatch, f.zipfile, "ZipFile")


@pytest.mark.parametrize(("count", "zip64"), [(20_000, False), (10, True)], ids=["many", "zip64"])
def test_a_zip_directory_of_more_entries_than_a_workbook_has_is_refused_before_zipfile(
    boss, account, zips_opened, count, zip64
):
    # Tenth red team: 1,300,000 entries (61 MB) made zipfile hold 700 MB before the upload
    # was found to be no workbook.
    response = post_xlsx(boss, account, zip_of_empty_entries(count, zip64=zip64))

    assert refused(response) == [p.PACKAGE_INDEX.too_large().message]
    assert zips_opened == []


def test_a_zip_directory_within_the_bound_is_opened(boss, account, zips_opened):
    response = post_xlsx(boss, account, zip_of_empty_entries(100))

    assert refused(response) == [f.NOT_A_TABLE]
    assert len(zips_opened) == 1
