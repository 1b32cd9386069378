"""End to end, in a real browser (Debian's Chromium driven by Playwright): a shop's staff
member imports the file their spreadsheet saved (Windows-1252, semicolons, accented names,
two bad rows) through the admin's import page, reads on the preview how the file was read
and which of its lines fail, confirms, downloads the failed lines from the undo state
(written as the spreadsheet wrote the file), fixes them in that file and imports it again.
Screenshots go to $LOYALTY_SCREENSHOT_DIR when set (conftest.py; the README's come from
here)."""

import csv
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.db import connections
from playwright.sync_api import expect

from campaigns.models import Campaign
from customers.admin_import import campaign_label
from customers.models import Customer, UndoState
from tests.conftest import EVENTS, PASSWORD, POINTS
from tests.factories import make_member

# The browser's view of the admin; the import itself is tested on both databases.
pytestmark = pytest.mark.once

IMPORT_PATH = "/admin/customers/customer/import-file/"
# As a spreadsheet on Windows saves "CSV (semicolon delimited)": Windows-1252, CRLF. Lines
# 3 and 5 (the file's numbers, its header being line 1) fail.
SPREADSHEET_ROWS = [
    ["code", "first_name", "last_name", "email", "custom_date"],
    ["A1", "Zoë", "Müller", "zoe@example.com", "1980-02-29"],
    ["A2", "François", "Lefèvre", "francois.example.com", "1975-06-01"],
    ["A3", "José", "Peña", "jose@example.com", "1990-01-15"],
    ["A4", "Renée", "Gaßmann", "renee@example.com", "31.12.1985"],
    ["A5", "Søren", "Ørsted", "soren@example.com", ""],
]
# The same errors as the preview says them, in the file's words.
SHOP_BAD_EMAIL = 'Column 4, email: "francois.example.com" does not look like an email address.'
SHOP_BAD_DATE = (
    'Column 5, custom_date: "31.12.1985" is not a date written year-month-day, the order chosen '
    'for this import; it reads as day/month/year: choose "Day/month/year (31/12/2024)" under '
    '"Dates in the file" and upload the file again.'
)
# The failed-lines file names a column by its header text alone: its columns are not
# numbered as the imported file's (its line column comes first).
FILE_BAD_EMAIL = 'Email: "francois.example.com" does not look like an email address.'
FILE_BAD_DATE = SHOP_BAD_DATE.replace("Column 5, custom_date", "Custom_date")


def spreadsheet_file() -> bytes:
    return "".join(";".join(row) + "\r\n" for row in SPREADSHEET_ROWS).encode("cp1252")


def log_in_as_shop_staff(page, base_url: str, account) -> None:
    """A staff member (not a superuser) who may import into `account` only, and roll back."""
    staff = make_member(account=account, username="shopstaff", password=PASSWORD, is_staff=True)
    staff.user_permissions.set(
        Permission.objects.filter(
            codename__in=[
                "view_customer",
                "add_customer",
                "change_customer",
                "view_undostate",
                "rollback_undostate",
            ]
        )
    )
    page.goto(f"{base_url}/admin/login/")
    page.fill("#id_username", "shopstaff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()


def fill_in_the_import_form(page, *, name: str, content: bytes, campaign: str) -> None:
    page.locator("#id_campaign").select_option(
        label=page.locator("#id_campaign option", has_text=campaign).inner_text()
    )
    page.set_input_files(
        "#id_import_file", files=[{"name": name, "mimeType": "text/csv", "buffer": content}]
    )


def preview_counts(page) -> dict[str, str]:
    rows = page.locator("#import-preview-counts tr")
    return {
        rows.nth(i).locator("th").inner_text(): rows.nth(i).locator("td").inner_text()
        for i in range(rows.count())
    }


def table_rows(page, table: str) -> list[list[str]]:
    """The table's cells as the page holds them (the admin's CSS capitalises headers)."""
    rows = page.locator(f"{table} tr")
    return [
        [text.strip() for text in rows.nth(i).locator("th, td").all_text_contents()]
        for i in range(rows.count())
    ]


def test_a_spreadsheets_file_with_bad_rows_is_imported_fixed_and_imported_again_in_the_admin(
    # The database first: set up before the (session-wide) live server, so it is torn
    # down after the server thread and its connection are gone.
    transactional_db,
    live_server,
    browser_page,
    screenshot,
    account,
    campaigns,
):
    Campaign.objects.filter(account=account, campaign_id=POINTS).update(name="Coffee Club")
    Campaign.objects.filter(account=account, campaign_id=EVENTS).update(name="Summer Tastings")
    page = browser_page
    log_in_as_shop_staff(page, live_server.url, account)

    page.goto(f"{live_server.url}/admin/customers/customer/")
    page.click(f"a[href='{IMPORT_PATH}']")
    expect(page).to_have_url(f"{live_server.url}{IMPORT_PATH}")
    # Their one account is chosen for them; the campaign is chosen by its name.
    expect(page.locator("#id_account")).to_have_value(str(account.pk))
    fill_in_the_import_form(
        page, name="customers.csv", content=spreadsheet_file(), campaign="Coffee Club"
    )
    screenshot(page, "admin-import-form")
    page.click("#import-form input[type=submit][value=Preview]")

    expect(page.locator("#import-preview-counts")).to_be_visible()
    screenshot(page, "admin-import-preview")
    assert preview_counts(page) == {
        "Account": account.display_name,
        "Campaigns": campaign_label(Campaign.objects.get(account=account, campaign_id=POINTS)),
        "Customers already here": "Update the columns in the file",
        "Dates in the file": "Year-month-day (2024-12-31)",
        "File read as": "CSV, Windows-1252, semicolon-separated",
        "New": "3",
        "Updated": "0",
        "Unchanged": "0",
        "Ignored": "0",
        "Failed": "2",
    }
    # Each bad line by the number the file shows it at, in the file's column names.
    assert table_rows(page, "#import-preview-errors") == [
        ["Line", "Column", "Error"],
        ["3", "column 4, email", SHOP_BAD_EMAIL],
        ["5", "column 5, custom_date", SHOP_BAD_DATE],
    ]
    # Said above the button too, so a person reads what fails before confirming.
    summary = page.locator("#import-failing-summary")
    expect(summary).to_contain_text("2 lines will fail and are not imported")
    summary_box = summary.bounding_box()
    confirm_box = page.locator("#confirm-import").bounding_box()
    assert summary_box is not None and confirm_box is not None
    assert summary_box["y"] + summary_box["height"] <= confirm_box["y"]
    assert not Customer.objects.exists()

    page.click("#confirm-import")
    expect(page.locator(".messagelist")).to_contain_text(
        "Imported: 3 new, 0 updated, 0 unchanged, 0 ignored, 2 failed."
    )
    state = UndoState.objects.get()
    expect(page).to_have_url(f"{live_server.url}/admin/customers/undostate/{state.pk}/change/")
    assert state.source == UndoState.Source.ADMIN
    link = page.locator("a.failed-lines-link")
    expect(link).to_have_text("Download failed lines (2)")
    expect(page.locator("a.rollback-link")).to_be_visible()
    screenshot(page, "admin-import-undo-state")

    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"import-{state.pk}-failed-lines.csv"
    downloaded = Path(download.value.path()).read_bytes()
    # As the spreadsheet wrote the file: Windows-1252 and semicolons, so it opens the
    # accents and columns as it did; each line by its number there, its error in the
    # preview's words.
    failed = list(csv.reader(io.StringIO(downloaded.decode("cp1252")), delimiter=";"))
    assert failed == [
        ["line", *SPREADSHEET_ROWS[0], "error"],
        ["3", *SPREADSHEET_ROWS[2], FILE_BAD_EMAIL],
        ["5", *SPREADSHEET_ROWS[4], FILE_BAD_DATE],
    ]

    # Fixed in the downloaded file, which is imported as it is: its line and error columns
    # are not read.
    failed[1][4] = "francois@example.com"
    failed[2][5] = "1985-12-31"
    fixed = io.StringIO()
    csv.writer(fixed, delimiter=";", lineterminator="\r\n").writerows(failed)
    page.goto(f"{live_server.url}{IMPORT_PATH}")
    fill_in_the_import_form(
        page,
        name=download.value.suggested_filename,
        content=fixed.getvalue().encode("cp1252"),
        campaign="Coffee Club",
    )
    page.click("#import-form input[type=submit][value=Preview]")
    expect(page.locator("#import-preview-counts")).to_be_visible()
    assert preview_counts(page)["File read as"] == "CSV, Windows-1252, semicolon-separated"
    assert (preview_counts(page)["New"], preview_counts(page)["Failed"]) == ("2", "0")
    expect(page.locator("#import-preview-errors")).to_have_count(0)
    page.click("#confirm-import")
    expect(page.locator(".messagelist")).to_contain_text(
        "Imported: 2 new, 0 updated, 0 unchanged, 0 ignored, 0 failed."
    )
    expect(page.locator("a.failed-lines-link")).to_have_count(0)

    imported = {
        customer.code: (customer.first_name, customer.last_name, customer.email)
        for customer in Customer.objects.filter(account=account)
    }
    assert imported == {row[0]: (row[1], row[2], row[3]) for row in SPREADSHEET_ROWS[1:]} | {
        "A2": ("François", "Lefèvre", "francois@example.com")
    }
    assert str(Customer.objects.get(code="A4").custom_date) == "1985-12-31"
    assert set(
        Customer.objects.filter(enrollments__campaign__campaign_id=POINTS).values_list(
            "code", flat=True
        )
    ) == {"A1", "A2", "A3", "A4", "A5"}
    # The ORM calls above ran inside Playwright's context, on a connection of their own:
    # closed here, or the test database cannot be dropped at the end of the run.
    connections.close_all()
