"""The admin's import reads the files shops have: any of four delimiters, UTF-8 or Windows
text, CSV or XLSX without being told which; it numbers lines as the file does, speaks of
columns rather than API parameters, lets staff choose campaigns by name, and holds uploads
to the API's limits."""

import csv
import io
import zipfile

import openpyxl
import pytest
from django.test import Client

from accounts.models import Membership
from campaigns.models import Campaign, Enrollment, Transaction
from customers import import_file as f
from customers import xlsx_package as p
from customers.admin_import import ADMIN_WORDS, FILE_TOO_LARGE, NO_DATA_ROWS, QUOTE_NOT_CLOSED
from customers.batch import messages as m
from customers.file_headers import SAME_FIELD
from customers.models import Customer, ImportPreview, UndoState
from tests.admin import IMPORT_URL, campaign_pk, confirm, form_errors, post_file
from tests.conftest import EVENTS, POINTS
from tests.factories import make_campaign


def xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Line numbers: the file's, as the command line counts them.

BAD_FOURTH_LINE = "code,custom_date\nC1,1970-07-14\n\nC3,14-07-1970\nC4,1970-07-15\n"


def test_a_csv_line_error_names_the_files_line_as_the_command_line_does(boss, account, import_file):
    ran = import_file(BAD_FOURTH_LINE, "--validate-only")

    result = post_file(boss, account, BAD_FOURTH_LINE).context["preview"]

    message = m.BAD_DATE_FORMAT.format(value="14-07-1970")
    assert [(e.line, e.field, e.message) for e in result.errors] == [(4, "custom_date", message)]
    assert f"line 4, field custom_date: {message}" in ran.stdout


def test_an_xlsx_row_after_a_cell_with_line_breaks_keeps_its_number(boss, account):
    content = xlsx(
        [["code", "street1", "custom_date"], ["C1", "Main St\nBuilding 2\r\nFloor 3", ""]]
        + [["C3", "", "14-07-1970"]]
    )

    response = post_file(boss, account, content)

    assert [(e.line, e.field) for e in response.context["errors_shown"]] == [
        (3, "column 3, custom_date")
    ]


def test_an_xlsx_line_error_names_the_sheets_row(boss, account):
    content = xlsx(
        [[None], ["code", "custom_date"], ["C1", "1970-07-14"], [None], ["C3", "14-07-1970"]]
    )

    response = post_file(boss, account, content, name="customers.xlsx")

    assert [(e.line, e.field) for e in response.context["preview"].errors] == [(5, "custom_date")]
    assert b"<th>Row</th>" in response.content


# The file's format, encoding and delimiter are found, not chosen.

FIELDS = ("code", "first_name", "last_name")


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_a_csv_is_read_whatever_its_delimiter_and_encoding(boss, account, delimiter, encoding):
    text = "\r\n".join(delimiter.join(row) for row in [FIELDS, ("C1", "Zoë", "Müller")]) + "\r\n"

    confirm(boss, post_file(boss, account, text.encode(encoding)))

    customer = Customer.objects.get()
    assert (customer.code, customer.first_name, customer.last_name) == ("C1", "Zoë", "Müller")


def test_an_xlsx_row_whose_last_cells_are_empty_is_imported(boss, account):
    content = xlsx([["code", "first_name", "phone"], ["C1", "Ann", None], ["C2", None, None]])

    confirm(boss, post_file(boss, account, content))

    assert list(Customer.objects.order_by("code").values_list("code", "first_name")) == [
        ("C1", "Ann"),
        ("C2", ""),
    ]


def test_a_csv_named_xlsx_is_read_as_csv_and_an_xlsx_named_csv_as_xlsx(boss, account):
    as_csv = post_file(boss, account, "code,first_name\nC1,Ann\n", name="customers.xlsx")
    as_xlsx = post_file(boss, account, xlsx([["code", "first_name"], ["C2", "Bob"]]))

    assert as_csv.context["read_as"] == "CSV, UTF-8, comma-separated"
    assert as_xlsx.context["read_as"] == "Excel workbook (.xlsx), first sheet"
    assert as_csv.context["preview"].new == as_xlsx.context["preview"].new == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, f.OLD_EXCEL_FILE),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", f.NOT_A_TABLE),
        (b"PK\x03\x04 not really a zip", f.NOT_A_TABLE),
        # 0x81 is no character in Windows-1252 and starts no UTF-8 one.
        (b"code,first_name\nC1,\x81\x81\n", f.NOT_TEXT),
        (b"\n \r\n\n", f.NO_HEADER_ROW),
        (b"code,first_name\n", NO_DATA_ROWS),
    ],
    ids=["xls", "png", "broken zip", "unknown encoding", "blank", "header only"],
)
def test_a_file_that_cannot_be_read_is_refused_saying_what_to_do(boss, account, content, message):
    response = post_file(boss, account, content)

    assert form_errors(response) == [message]
    assert not Customer.objects.exists()


def test_an_opendocument_spreadsheet_is_refused_saying_what_to_do(boss, account):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")

    assert form_errors(post_file(boss, account, out.getvalue())) == [f.OTHER_SPREADSHEET]


# Columns, in the file's words.


def test_a_misspelled_column_is_named_by_its_number_and_name(boss, account):
    response = post_file(boss, account, "code;frist_name\nC1;Ann\n")

    assert form_errors(response) == [
        "Column 2, frist_name, is not a known field; did you mean first_name?"
    ]


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("code,nickname", ADMIN_WORDS[m.UNKNOWN_FIELD].format(number=2, value="nickname")),
        (
            "code,first_name,First_Name",
            SAME_FIELD.format(
                number=3,
                value="First_Name",
                other_number=2,
                other_value="first_name",
                field="first_name",
            ),
        ),
        ("code,,,first_name", ADMIN_WORDS[m.HEADER_GAP].format(first=2, second=3)),
    ],
)
def test_header_row_errors_speak_of_columns_not_api_parameters(boss, account, header, message):
    response = post_file(boss, account, f"{header}\nC1,,,\n")

    assert form_errors(response) == [message]
    assert "profiles_header" not in message


def test_the_api_keeps_its_own_words_for_the_same_header(post_batch):
    response = post_batch(headers=("code", "frist_name"), data="C1|Ann", output="JSON")

    assert (
        m.UNKNOWN_FIELD_SUGGESTION.format(
            name="profiles_header_2", value="frist_name", suggestion="first_name"
        )
        in response.content.decode()
    )


def test_an_unclosed_quote_is_explained_in_the_files_words(boss, account):
    errors = post_file(boss, account, 'code,first_name\nC1,"Ann\nC2,Bob\n').context["errors_shown"]

    assert [(e.line, e.message) for e in errors] == [
        (
            2,
            'a value opened with " on this line is never closed, so the rest of the file was '
            'read as part of it: close the quote, or double a quote inside a quoted value ("")',
        )
    ]


def test_a_quote_left_open_far_from_the_end_is_explained_in_the_files_words(boss, account):
    rows = "".join(f"C{n},Ann\n" for n in range(150_000))  # over 1 MB after the quote
    content = f'code,first_name\nC1,"Ann\n{rows}'

    errors = post_file(boss, account, content).context["errors_shown"]

    assert (errors[0].line, errors[0].message) == (2, QUOTE_NOT_CLOSED)


# Campaigns are chosen by name from the account's active ones.


def test_the_form_offers_the_accounts_active_campaigns_by_name_and_preselects_its_account(
    client, staff_user, account, other_account, campaigns
):
    Campaign.objects.filter(account=account, campaign_id=POINTS).update(name="Points club")
    Campaign.objects.filter(account=account, campaign_id=EVENTS).update(is_active=False)
    make_campaign(account=other_account, campaign_id="777", name="Theirs")
    staff = staff_user("add_customer", "change_customer", "view_customer")
    Membership.objects.filter(user=staff).update(role=Membership.Role.IMPORTER)
    client.force_login(staff)

    form = client.get(IMPORT_URL).context["form"]

    labels = [label for _, label in form.fields["campaign"].choices]
    assert "Points club · Points" in labels
    assert not [label for label in labels if EVENTS in label or "Theirs" in label]
    assert form["account"].value() == account.pk


def test_credits_go_to_the_chosen_campaign_and_customers_join_the_others_too(boss, account):
    response = post_file(
        boss,
        account,
        "code,auto_add\nC1,5\n",
        campaign=campaign_pk(account, POINTS),
        other_campaigns=[campaign_pk(account, EVENTS)],
    )
    confirm(boss, response)

    customer = Customer.objects.get()
    enrolled = Enrollment.objects.filter(customer=customer).values_list(
        "campaign__campaign_id", flat=True
    )
    assert sorted(enrolled) == sorted([POINTS, EVENTS])
    assert list(Transaction.objects.values_list("campaign__campaign_id", "amount")) == [(POINTS, 5)]
    assert UndoState.objects.get().parameters["campaigns_to_include"] == [POINTS, EVENTS]


def test_a_campaign_of_another_account_cannot_be_chosen(boss, account, other_account):
    theirs = make_campaign(account=other_account, campaign_id="777")

    response = post_file(boss, account, "code\nC1\n", campaign=theirs.pk)

    assert form_errors(response) == ["Choose campaigns of the account greatwidgets."]
    assert not Customer.objects.exists()


# The API's limits, before anything is parsed.


def test_a_file_larger_than_the_request_limit_is_refused_unread(boss, account, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    content = "code\n" + "C1\n" * (400 * 1024)

    response = post_file(boss, account, content)

    assert response.status_code == 413
    assert FILE_TOO_LARGE.format(limit=1) in response.content.decode()
    assert not Customer.objects.exists()


def million_cells_xlsx(rows: int = 50_001, columns: int = 20) -> bytes:
    """A small XLSX (about 320 KB) whose sheet holds rows x columns cells (a million)."""
    cells = "".join(
        f'<c r="{chr(65 + c)}1" t="inlineStr"><is><t>x</t></is></c>' for c in range(columns)
    )
    return sheet_xlsx("".join(f'<row r="{r}">{cells}</row>' for r in range(1, rows + 1)))


def inline(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


SPREADSHEETML = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHARED_STRINGS_TYPE = (
    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
)


def sheet_xlsx(
    sheet_data: str, encode=str.encode, shared_strings: list[str] | None = None
) -> bytes:
    """An XLSX whose first sheet's <sheetData> is `sheet_data`, as written by hand, the
    sheet's text made bytes by `encode`; and, if given, these shared strings."""
    parts = {
        "xl/worksheets/sheet1.xml": encode(
            f'<worksheet xmlns="{SPREADSHEETML}"><sheetData>{sheet_data}</sheetData></worksheet>'
        )
    }
    if shared_strings is not None:
        items = "".join(f"<si><t>{text}</t></si>" for text in shared_strings)
        parts["xl/sharedStrings.xml"] = f'<sst xmlns="{SPREADSHEETML}">{items}</sst>'.encode()
    source = zipfile.ZipFile(io.BytesIO(xlsx([["code"]])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = parts.pop(item.filename, None) or source.read(item)
            if item.filename == "[Content_Types].xml" and shared_strings is not None:
                # openpyxl writes its strings inline: the part is declared here.
                data = data.replace(b"</Types>", SHARED_STRINGS_TYPE + b"</Types>")
            archive.writestr(item, data, zipfile.ZIP_DEFLATED)
        for name, data in parts.items():
            archive.writestr(name, data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def shared_string_rows(rows: int, cells: int) -> str:
    """A header row (shared strings 0 and 1), then rows of cells that all name string 2."""
    header = '<row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row>'
    row = '<c t="s"><v>2</v></c>' * cells
    return header + "".join(f'<row r="{n}">{row}</row>' for n in range(2, rows + 2))


def test_cells_naming_one_long_shared_string_are_refused_beyond_a_csvs_text(
    boss, account, settings
):
    # Each cell becomes a copy of the string: 240 cells of 900 KB in 3 KB cost 641 MB.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    content = sheet_xlsx(
        shared_string_rows(rows=6, cells=40), shared_strings=["code", "first_name", "B" * 30_000]
    )
    assert len(content) < 5_000

    response = post_file(boss, account, content, name="customers.xlsx")

    assert form_errors(response) == [f.TOO_MUCH_TEXT.format(limit=1)]
    assert not ImportPreview.objects.exists()


def test_the_same_shared_string_cells_within_a_csvs_text_are_read(boss, account):
    content = sheet_xlsx(
        shared_string_rows(rows=3, cells=2), shared_strings=["code", "first_name", "Ann"]
    )

    preview = post_file(boss, account, content, name="customers.xlsx").context["preview"]
    assert (preview.new, preview.updated) == (1, 2)  # three lines of code "Ann"


def test_a_cell_naming_a_shared_string_that_is_not_there_is_a_damaged_file(boss, account):
    # openpyxl raises IndexError while the rows are read: it was a 500.
    content = sheet_xlsx(shared_string_rows(rows=1, cells=1), shared_strings=["code", "name"])

    response = post_file(boss, account, content, name="customers.xlsx")

    assert form_errors(response) == [p.BROKEN_XLSX]


@pytest.mark.parametrize("where", ["shared string", "inline string"])
def test_a_cell_longer_than_excel_allows_is_refused_before_it_is_parsed(boss, account, where):
    text = "B" * (4 * f.MAX_CELL_CHARS + 1)
    if where == "shared string":
        content = sheet_xlsx(shared_string_rows(1, 1), shared_strings=["code", "name", text])
    else:
        content = sheet_xlsx(
            f'<row r="1"><c t="inlineStr"><is><t>code</t></is></c></row>'
            f'<row r="2"><c t="inlineStr"><is><t>{text}</t></is></c></row>'
        )

    response = post_file(boss, account, content, name="customers.xlsx")

    assert form_errors(response) == [f.CELL_TOO_LONG.format(limit=f.MAX_CELL_CHARS)]


def test_an_xlsx_of_a_million_cells_is_refused_before_it_is_parsed(boss, account, settings):
    content = million_cells_xlsx()
    assert len(content) < 500_000

    response = post_file(boss, account, content)

    limit = settings.LOYALTY["MAX_IMPORT_CELLS"]
    assert form_errors(response) == [
        f.ROWS_THAT_FIT.format(limit=limit, rows=limit // 20 - 1, columns=20)
    ]


def test_an_xlsx_over_the_cell_limit_says_how_many_rows_of_its_columns_fit(boss, account, settings):
    # The 100,013-customer export of 7 columns, at a limit small enough for a test.
    settings.LOYALTY = {**settings.LOYALTY, "MAX_IMPORT_CELLS": 100}
    rows = [["code", "first_name", "last_name", "email", "phone", "city", "country"]]
    rows += [[f"C{n}", "Ann", "Lee", "a@example.com", "06", "Paris", "FR"] for n in range(14)]

    response = post_file(boss, account, xlsx(rows))

    assert form_errors(response) == [
        "The Excel sheet has more than 100 cells; an import reads at most that many, 13 rows of "
        "its 7 columns. Excel files are slow to read, so a larger one goes as CSV: save it as "
        '"CSV UTF-8" (or export the customers as CSV), or split it.'
    ]


def test_an_xlsx_within_the_cell_limit_is_read(boss, account, settings):
    settings.LOYALTY = {**settings.LOYALTY, "MAX_IMPORT_CELLS": 42}
    rows = [["code", "first_name"], *[[f"C{n}", "Ann"] for n in range(20)]]

    assert post_file(boss, account, xlsx(rows)).context["preview"].new == 20


def test_an_xlsx_row_of_too_many_cells_is_refused(boss, account):
    # Cells without a reference (r="...") are the next column: the 201st is too far right.
    response = post_file(boss, account, wide_row())

    assert form_errors(response) == [
        f.CELL_TOO_FAR_RIGHT.format(cell="GS1", last="GR", columns=200)
    ]


def test_an_xlsx_row_of_too_many_cells_in_one_column_is_refused(boss, account):
    row = "".join(inline("A1", "code") for _ in range(f.MAX_CELLS_PER_ROW + 1))

    response = post_file(boss, account, sheet_xlsx(f'<row r="1">{row}</row>'))

    assert form_errors(response) == [
        f.ROW_TOO_WIDE.format(row=1, limit=f.MAX_CELLS_PER_ROW, columns=200)
    ]


def test_an_xlsx_cell_beyond_the_last_column_read_is_refused_before_it_is_parsed(boss, account):
    # A 17 KB file of 3,001 cells, the last column ZZZ (18,278): read, it was 18,278 values
    # a row, 14 s and 470 MB.
    rows = "".join(f'<row r="{r}">{inline(f"ZZZ{r}", "x")}</row>' for r in range(2, 3002))
    header = f'<row r="1">{inline("A1", "code")}{inline("B1", "first_name")}</row>'

    response = post_file(boss, account, sheet_xlsx(header + rows))

    assert form_errors(response) == [
        f.CELL_TOO_FAR_RIGHT.format(cell="ZZZ2", last="GR", columns=200)
    ]
    assert not ImportPreview.objects.exists()


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="ZZZ1"><v>1</v></c>',
        "<c r='ZZZ1'><v>1</v></c>",
        # A ">" in another attribute's value, an entity in the reference: still found.
        '<c s="0" x=">" r="&#90;ZZ1"><v>1</v></c>',
    ],
)
def test_an_xlsx_header_row_with_a_cell_beyond_the_last_column_is_refused(boss, account, cell):
    response = post_file(
        boss, account, sheet_xlsx(f'<row r="1">{inline("A1", "code")}{cell}</row>')
    )

    assert form_errors(response) == [
        f.CELL_TOO_FAR_RIGHT.format(cell="ZZZ1", last="GR", columns=200)
    ]


def test_a_cell_in_the_last_column_read_is_read(boss, account):
    header = inline("A1", "code") + inline("GR1", "first_name")
    row = inline("A2", "C1") + inline("GR2", "Ann")

    response = post_file(
        boss, account, sheet_xlsx(f'<row r="1">{header}</row><row r="2">{row}</row>')
    )

    # Read: its columns 2 to 199 are found to have no name.
    (error,) = form_errors(response)
    assert "have no name in the header row" in error


def test_an_xlsx_cell_below_the_last_row_read_is_refused_before_it_is_parsed(
    boss, account, settings
):
    settings.LOYALTY = {**settings.LOYALTY, "MAX_BATCH_ROWS": 1000}
    header = f'<row r="1">{inline("A1", "code")}</row>'
    far = f'<row r="1002">{inline("A1002", "C1")}</row>'

    response = post_file(boss, account, sheet_xlsx(header + far))

    assert form_errors(response) == [f.CELL_TOO_FAR_DOWN.format(row=1002, last=1001, limit=1000)]


def wide_row() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["code"] * (f.MAX_CELLS_PER_ROW + 1))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_that_unpacks_beyond_the_request_limit_is_refused(boss, account, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx([["code"], ["C1"]]))) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive,
    ):
        for item in source.infolist():
            archive.writestr(item, source.read(item), zipfile.ZIP_DEFLATED)
        archive.writestr("xl/media/padding.bin", b"\x00" * (2 * 1024 * 1024))

    response = post_file(boss, account, out.getvalue())

    assert form_errors(response) == [f.TOO_BIG_UNPACKED.format(limit=1)]


def test_a_csv_with_more_blank_lines_than_a_batch_has_rows_is_refused(boss, account, settings):
    # Seventh red team: a 30 MB CSV of blank lines was previewed in 24 s.
    settings.LOYALTY = {**settings.LOYALTY, "MAX_BATCH_ROWS": 3}

    response = post_file(boss, account, "code,first_name\nC1,Ann\n" + "\n" * 5)

    assert form_errors(response) == [
        "The file has more than 3 empty rows; delete them, or split the file."
    ]


def test_an_xlsx_with_more_rows_than_a_batch_is_refused(boss, account, settings):
    settings.LOYALTY = {**settings.LOYALTY, "MAX_BATCH_ROWS": 3}

    response = post_file(boss, account, xlsx([["code"], ["C1"], ["C2"], ["C3"], ["C4"]]))

    # Found in the pre-count, before openpyxl reads a row.
    assert form_errors(response) == [f.CELL_TOO_FAR_DOWN.format(row=5, last=4, limit=3)]


def test_a_csv_with_more_rows_than_a_batch_is_refused_in_the_files_words(boss, account, settings):
    settings.LOYALTY = {**settings.LOYALTY, "MAX_BATCH_ROWS": 3}

    response = post_file(boss, account, "code\nC1\nC2\nC3\nC4\n")

    assert form_errors(response) == [ADMIN_WORDS[m.TOO_MANY_LINES].format(limit=3)]


def test_the_import_form_still_needs_its_csrf_token(django_user_model, account, campaigns):
    # The view checks the body's size before Django's CSRF check, then applies it itself.
    client = Client(enforce_csrf_checks=True)
    client.force_login(django_user_model.objects.create_superuser("boss", password="pw"))

    response = post_file(client, account, "code\nC1\n")

    assert response.status_code == 403
    assert not ImportPreview.objects.exists()


def declared(encoding: str, codec: str, quote='"'):
    """An encoder of a sheet that starts with an XML declaration naming `encoding`."""
    declaration = f"<?xml version={quote}1.0{quote} encoding={quote}{encoding}{quote}?>"
    return lambda sheet: (declaration + sheet).encode(codec)


@pytest.mark.parametrize(
    "encode",
    [
        # The red team's file: declared UTF-16 and stored so, with a byte order mark.
        declared("UTF-16", "utf-16"),
        declared("UTF-16", "utf-16-le"),  # no byte order mark
        declared("utf-16", "utf-16-be", quote="'"),
        declared("UTF-32", "utf-32"),
        lambda sheet: sheet.encode("utf-16"),  # a byte order mark, no declaration
        lambda sheet: sheet.encode("utf-32-be"),  # neither
        # Tags a byte scan would see, but an encoding Excel never writes: refused alike.
        declared("ISO-8859-1", "latin-1", quote="'"),
    ],
    ids=["utf16", "utf16le", "utf16be", "utf32", "utf16-bom-only", "utf32be-bare", "latin1"],
)
def test_an_xlsx_sheet_in_another_encoding_than_utf8_is_refused_before_it_is_parsed(
    boss, account, encode
):
    # In UTF-16 the scan for <row and <c found no tag, so no limit held: the red team's
    # 88 KB file of 8,000 rows, each with a cell at XFD, took 14.3 s and 440 MB.
    header = f'<row r="1">{inline("A1", "code")}{inline("B1", "first_name")}</row>'
    rows = "".join(
        f'<row r="{r}">{inline(f"A{r}", f"C{r}")}{inline(f"XFD{r}", "x")}</row>'
        for r in range(2, 5)
    )

    response = post_file(boss, account, sheet_xlsx(header + rows, encode))

    assert form_errors(response) == [p.NOT_UTF8_XLSX]
    assert not ImportPreview.objects.exists()


@pytest.mark.parametrize(
    "encode",
    [
        declared("UTF-8", "utf-8"),
        declared("utf-8", "utf-8", quote="'"),
        lambda sheet: ('<?xml version="1.0" standalone="yes"?>' + sheet).encode(),
        lambda sheet: b"\xef\xbb\xbf" + declared("UTF-8", "utf-8")(sheet),
    ],
    ids=["declared", "lower-case", "no-encoding", "bom"],
)
def test_an_xlsx_sheet_in_utf8_is_read(boss, account, encode):
    header = f'<row r="1">{inline("A1", "code")}{inline("B1", "first_name")}</row>'
    row = f'<row r="2">{inline("A2", "C2")}{inline("B2", "Zoë")}</row>'

    response = post_file(boss, account, sheet_xlsx(header + row, encode))
    confirm(boss, response)

    assert Customer.objects.get(code="C2").first_name == "Zoë"


def test_an_xlsx_imports_undo_state_says_how_the_file_was_read_without_a_delimiter(boss, account):
    # The export's account column is checked, not imported: the page lists only the
    # columns read, and a workbook has no delimiter to speak of.
    rows = [["account", "code", "first_name"], [account.slug, "X1", "Xena"]]
    confirm(boss, post_file(boss, account, xlsx(rows), name="export.xlsx", date_order="dmy"))
    state = UndoState.objects.get()

    html = boss.get(f"/admin/customers/undostate/{state.pk}/change/").content.decode()

    assert "Read as: Excel workbook (.xlsx), first sheet" in html
    assert "Dates in the file: Day/month/year (31/12/2024)" in html
    assert "Columns: code, first_name" in html
    assert "Delimiter" not in html
    assert "(not read)" not in html


def test_a_csv_imports_undo_state_says_its_encoding_and_delimiter_as_the_preview_did(boss, account):
    confirm(boss, post_file(boss, account, "code;first_name\r\nS1;Séverine\r\n".encode("cp1252")))
    state = UndoState.objects.get()

    html = boss.get(f"/admin/customers/undostate/{state.pk}/change/").content.decode()

    assert "Read as: CSV, Windows-1252, semicolon-separated" in html
    assert "Delimiter" not in html


def test_a_credit_that_does_not_fit_names_the_campaign_by_its_name_in_the_preview_and_file(
    boss, account
):
    Campaign.objects.filter(account=account, campaign_id=POINTS).update(name="Coffee Club")
    preview = post_file(boss, account, "code,auto_add\nA1,lots\nA2,5\n")
    (error,) = preview.context["errors_shown"]
    confirm(boss, preview)
    state = UndoState.objects.get()
    download = boss.get(f"/admin/customers/undostate/{state.pk}/failed-lines/")
    (_header, row) = list(csv.reader(io.StringIO(b"".join(download).decode("utf-8-sig"))))

    assert error.message.startswith(
        'Column 2, auto_add: "lots" does not fit campaign Coffee Club: '
    )
    # The file names the column by its header text alone (its columns are numbered apart).
    assert row[-1] == error.message.replace("Column 2, auto_add", "Auto_add")
    assert POINTS not in error.message


def test_a_campaign_deactivated_before_the_confirmation_is_named_by_its_name(boss, account):
    Campaign.objects.filter(account=account, campaign_id=POINTS).update(name="Coffee Club")
    preview = post_file(boss, account, "code\nA1\n")
    Campaign.objects.filter(account=account, campaign_id=POINTS).update(is_active=False)

    page = boss.post(IMPORT_URL, {"pending": preview.context["pending"]}, follow=True)

    assert [str(message) for message in page.context["messages"]] == [
        ADMIN_WORDS[m.UNKNOWN_CAMPAIGNS].format(ids="Coffee Club")
    ]
