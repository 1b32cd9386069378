"""A spreadsheet writes a row of only delimiters (";;;") for a row whose cells were cleared;
the admin's import skips it as an empty row, where it made a customer of a generated code
with every field empty (shop owner, ninth run: high)."""

from customers.models import Customer
from tests.admin import confirm, post_file

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
