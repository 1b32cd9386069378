"""A birthday in the future, which the customer form refuses and the contract takes: the
admin's preview warns of it, naming the file's lines, and the import still takes it."""

import datetime
from html import unescape

from django.utils import timezone

from customers.models import Customer
from tests.admin import confirm, post_file

FILE = (
    "code,first_name,Birthday\n"
    "F1,Ann,1970-07-14\n"
    "F2,Bob,2090-01-01\n"
    "F3,Cem,not a date\n"
    "F4,Dan,14/07/2091\n"
)


def test_the_preview_warns_of_future_birthdays_naming_their_lines(boss, account):
    response = post_file(boss, account, FILE, date_order="dmy")

    today = timezone.localdate().isoformat()
    warning = (
        f"Lines 3 (2090-01-01) and 5 (2091-07-14) have a Birthday / custom date after today "
        f"({today}). They are imported as written, though a birthday cannot be in the "
        "future: check them before you confirm (unless the column holds other dates than "
        "birthdays)."
    )
    assert response.context["future_dates"] == warning
    assert warning in unescape(response.content.decode())
    # The line of no date fails, and is not named as a future one.
    assert [error.line for error in response.context["errors_shown"]] == [4]


def test_a_future_birthday_is_still_imported_as_the_api_takes_it(boss, account):
    confirm(boss, post_file(boss, account, "code,custom_date\nF1,2090-01-01\n"))

    assert Customer.objects.get(code="F1").custom_date == datetime.date(2090, 1, 1)


def test_an_xlsx_names_the_row_of_a_future_birthday(boss, account):
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["code", "custom_date"])
    book.active.append(["F1", datetime.date(2090, 1, 1)])
    out = io.BytesIO()
    book.save(out)

    response = post_file(boss, account, out.getvalue(), name="customers.xlsx")

    assert response.context["future_dates"].startswith("Row 2 (2090-01-01) has a Birthday")


def test_no_warning_without_a_future_date(boss, account):
    response = post_file(boss, account, "code,custom_date\nF1,1970-07-14\nF2,\n")

    assert response.context["future_dates"] == ""
    assert b"import-future-dates" not in response.content


def test_many_future_birthdays_are_named_five_then_counted(boss, account):
    rows = "".join(f"F{n},2090-01-0{n}\n" for n in range(1, 8))

    response = post_file(boss, account, "code,custom_date\n" + rows)

    assert response.context["future_dates"].startswith(
        "Lines 2 (2090-01-01), 3 (2090-01-02), 4 (2090-01-03), 5 (2090-01-04), "
        "6 (2090-01-05) and 2 more have a Birthday / custom date after today"
    )
