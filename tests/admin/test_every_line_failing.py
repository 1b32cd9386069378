"""A preview in which every line fails says that confirming imports nothing, not that it
"imports the others" (shop owner's report)."""

from html import unescape

from tests.admin import post_file


def summary(response) -> str:
    return response.context["failing_summary"]


def test_a_preview_where_every_line_fails_says_nothing_would_be_imported(boss, account):
    response = post_file(boss, account, "code,custom_date\nC1,not-a-date\nC2,nope\n")

    assert summary(response) == (
        "Every line will fail (2 lines), so confirming imports nothing: fix the file and "
        "upload it again."
    )
    assert "imports the others" not in unescape(response.content.decode())


def test_a_preview_where_some_lines_fail_still_says_the_others_are_imported(boss, account):
    response = post_file(boss, account, "code,custom_date\nC1,not-a-date\nC2,1970-01-01\n")

    assert (
        summary(response) == "1 line will fail and is not imported; confirming imports the others."
    )
