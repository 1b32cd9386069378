"""The admin's import names every refused value of a failing line: its preview's "Lines
that will fail" has a row for each, the failed-lines download's error cell says each, and
the command line lists each (issue 14, M2). Failed still counts lines."""

import csv
import io

from customers.batch import messages as m
from customers.models import UndoState
from tests.admin.test_import_files import confirm, post_file

LONG_NAME = "A" * 101
# Line 3 has a too-long name, a bad email and a bad date.
FILE = f"Code,First Name,Email,Birthday\nC1,Ann,ann@example.com,\nC2,{LONG_NAME},nope,2010-02-30\n"
NAME_WORDS = "First Name, is longer than 100 characters."
EMAIL_WORDS = 'Email: "nope" does not look like an email address.'
DATE_WORDS = 'Birthday: "2010-02-30" is not a real date.'


def test_the_preview_lists_every_refused_value_of_a_failing_line(boss, account):
    response = post_file(boss, account, FILE)

    assert response.context["preview"].failed == 1
    assert [(e.line, e.field, e.message) for e in response.context["errors_shown"]] == [
        (3, "column 2, First Name", f"Column 2, {NAME_WORDS}"),
        (3, "column 3, Email", f"Column 3, {EMAIL_WORDS}"),
        (3, "column 4, Birthday", f"Column 4, {DATE_WORDS}"),
    ]
    assert response.content.decode().count("<tr><td>3</td>") == 3


def test_the_failed_lines_download_says_every_error_of_the_line_in_its_error_cell(boss, account):
    confirm(boss, post_file(boss, account, FILE))
    state = UndoState.objects.get()

    response = boss.get(f"/admin/customers/undostate/{state.pk}/failed-lines/")

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [
        ["line", "Code", "First Name", "Email", "Birthday", "error"],
        ["3", "C2", LONG_NAME, "nope", "2010-02-30", f"{NAME_WORDS} {EMAIL_WORDS} {DATE_WORDS}"],
    ]


def test_the_command_line_lists_every_error_of_a_failing_line(import_file):
    ran = import_file(f"code,first_name,email\nC1,Ann,ann@example.com\nC2,{LONG_NAME},nope\n")

    too_long = m.TOO_LONG.format(field="first_name", limit=100)
    bad_email = m.BAD_EMAIL.format(value="nope")
    assert (
        "Line errors (1):\n"
        f"  line 3, field first_name: {too_long}\n"
        f"  line 3, field email: {bad_email}\n"
    ) in ran.stdout
