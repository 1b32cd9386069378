"""A spreadsheet writes a row of only delimiters (";;;") for a row whose cells were cleared;
the admin's import skips it as an empty row, where it made a customer of a generated code
with every field empty (shop owner, ninth run: high)."""

from decimal import Decimal

from campaigns.selectors import balances_for
from customers.models import Customer
from tests.admin import IMPORT_URL, campaign_pk, confirm, form_errors, messages_of, post_file
from tests.conftest import GIFTCARD

# Excel's CSV of a sheet whose rows 3 and 5 were cleared, CRLF, semicolons.
FILE = (
    "code;first_name;email;custom_date\r\n"
    "C1;Ann;ann@example.com;\r\n"
    ";;;\r\n"
    "C2;Bob;not-an-email;\r\n"
    " ; ;\t; \r\n"
    "C3;Cy;cy@example.com;\r\n"
    ";;;\r\n"
)


def test_the_rows_a_spreadsheet_leaves_empty_are_skipped_not_made_customers(boss, account):
    preview = post_file(boss, account, FILE)

    result = preview.context["preview"]
    assert (result.new, result.failed) == (2, 1)
    # The failing row keeps the number a spreadsheet shows for it.
    assert [error.line for error in result.errors] == [4]
    confirm(boss, preview)
    assert sorted(Customer.objects.values_list("code", flat=True)) == ["C1", "C3"]


def test_a_file_of_empty_rows_imports_nothing(boss, account):
    preview = post_file(boss, account, "code;first_name\r\n;\r\n;\r\n")

    result = preview.context["preview"]
    assert (result.new, result.updated, result.failed) == (0, 0, 0)
    confirm(boss, preview)
    assert not Customer.objects.exists()


def test_a_long_number_a_spreadsheet_rounded_refuses_the_file_naming_its_line(boss, account):
    # Shop owner, ninth run: Excel showed card number 123456789012 as 1,23457E+11 and saved
    # the CSV so; the import took it as the card number.
    content = "code;card_number;first_name\r\nC1;5001;Ann\r\nC2;1,23457E+11;Bob\r\n"

    response = post_file(boss, account, content)

    assert form_errors(response) == [
        'Line 3 holds "1,23457E+11", a long number as a spreadsheet shows it once it has '
        "rounded it: its last digits are lost, so the file is not imported. In your "
        "spreadsheet, format the column as Text and type the numbers again (or open the file "
        "they came from), then save it and upload it again."
    ]
    assert not Customer.objects.exists()


def test_a_value_that_only_looks_like_a_number_with_an_exponent_is_kept(boss, account):
    preview = post_file(boss, account, "code;first_name\r\nC1;E+1 Ann\r\nC2;2E+3x\r\n")

    assert preview.context["preview"].new == 2


def test_a_credit_with_a_decimal_comma_is_read_as_the_amount(boss, account):
    # Shop owner, ninth run: a French semicolon file's gift-card credit "12,50" was refused.
    content = "code;first_name;auto_add\r\nG1;Ann;12,50\r\nG2;Bob;1,250\r\nG3;Cy;7\r\n"

    preview = post_file(boss, account, content, campaign=campaign_pk(account, GIFTCARD))

    result = preview.context["preview"]
    assert (result.new, result.failed) == (2, 1)
    assert [error.line for error in result.errors] == [3]  # 1,250: not an amount of cents
    confirm(boss, preview)
    balances = [
        balances_for(account=account, customer_id=Customer.objects.get(code=code).pk)
        for code in ("G1", "G3")
    ]
    assert balances == [{GIFTCARD: Decimal("12.50")}, {GIFTCARD: Decimal("7")}]


def test_the_message_after_a_credit_only_import_says_the_credits_given(boss, account):
    # Shop owner, ninth run: a file that only gave 50 points said "1 unchanged" and no more.
    confirm(boss, post_file(boss, account, "code;first_name\r\nP1;Ann\r\n"))

    preview = post_file(boss, account, "code;first_name;auto_add\r\nP1;Ann;50\r\n")
    done = boss.post(IMPORT_URL, {"pending": preview.context["pending"]}, follow=True)

    assert messages_of(done) == [
        "Imported: 0 new, 0 updated, 1 unchanged, 0 ignored, 0 failed. 1 credit given. This "
        "page shows what the import did; if it changed anything, Roll back undoes it."
    ]
