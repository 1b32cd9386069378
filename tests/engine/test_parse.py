"""read_lines (customers/batch/parse.py): Profiles_Data text -> (line number, trimmed values)
per non-blank line, a LineError per unreadable line, and the request's line limit."""

import csv
import io

import pytest

from core.errors import InvalidRequest
from customers.batch import messages as m
from customers.batch.params import MAX_HEADER_NUMBER
from customers.batch.parse import CSV_FIELD_LIMIT, read_lines
from customers.batch.types import LineError


def read(text: str, delimiter: str = "|") -> list:
    return list(read_lines(text, delimiter))


@pytest.fixture
def limit_of_two(settings):
    settings.LOYALTY = {**settings.LOYALTY, "MAX_BATCH_ROWS": 2}


# Delimiters and quoting


@pytest.mark.parametrize(
    ("delimiter", "text", "values"),
    [
        ("|", "C1|Ann, Lee\tJr|x", ["C1", "Ann, Lee\tJr", "x"]),
        (",", "C1,Ann| Lee\tJr,x", ["C1", "Ann| Lee\tJr", "x"]),
        ("\t", "C1\tAnn|Lee, Jr\tx", ["C1", "Ann|Lee, Jr", "x"]),
    ],
    ids=["pipe", "comma", "tab"],
)
def test_values_are_split_at_the_delimiter_only(delimiter, text, values):
    assert read(text, delimiter) == [(1, values)]


@pytest.mark.parametrize("delimiter", ["|", ",", "\t"], ids=["pipe", "comma", "tab"])
def test_a_quoted_value_holds_the_delimiter_a_doubled_quote_and_line_breaks(delimiter):
    text = f'C1{delimiter}"a{delimiter}b ""c""\nd\r\ne\rf"{delimiter}g'

    assert read(text, delimiter) == [(1, ["C1", f'a{delimiter}b "c"\nd\r\ne\rf', "g"])]


def test_a_quote_inside_an_unquoted_value_is_kept_as_text():
    assert read('C1|x"y"z|w') == [(1, ["C1", 'x"y"z', "w"])]


def test_an_empty_quoted_value_is_an_empty_value():
    assert read('C1|""|x') == [(1, ["C1", "", "x"])]


# Trimming


def test_values_are_trimmed_of_spaces_and_tabs():
    assert read("  C1 |\t Ann Lee \t|  ") == [(1, ["C1", "Ann Lee", ""])]


def test_quoted_values_are_trimmed_too():
    assert read('"  C1  "|" Ann "') == [(1, ["C1", "Ann"])]


def test_a_line_break_at_either_end_of_a_quoted_value_is_trimmed():
    assert read('C1|"\nAnn\r\n"') == [(1, ["C1", "Ann"])]


# Line endings and line numbers


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_each_line_ending_ends_a_line(eol):
    text = eol.join(["C1|Ann", "C2|Bob", "C3|Cy"]) + eol

    assert read(text) == [(1, ["C1", "Ann"]), (2, ["C2", "Bob"]), (3, ["C3", "Cy"])]


def test_line_endings_may_be_mixed_in_one_text():
    text = "C1|Ann\rC2|Bob\r\nC3|Cy\nC4|Di"

    assert [line for line, _ in read(text)] == [1, 2, 3, 4]


def test_a_last_line_without_a_line_ending_is_read():
    assert read("C1|Ann\nC2|Bob") == [(1, ["C1", "Ann"]), (2, ["C2", "Bob"])]


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_blank_lines_are_skipped_but_counted(eol):
    text = eol.join(["", "C1|Ann", "", "", "C2|Bob", ""])

    assert read(text) == [(2, ["C1", "Ann"]), (5, ["C2", "Bob"])]


@pytest.mark.parametrize("blank", ["   ", "\t", " \t ", '""', '" "'])
def test_a_line_of_white_space_or_one_empty_value_is_blank(blank):
    assert read(f"C1|Ann\n{blank}\nC2|Bob") == [(1, ["C1", "Ann"]), (3, ["C2", "Bob"])]


@pytest.mark.parametrize("delimiter", ["|", ",", "\t"], ids=["pipe", "comma", "tab"])
def test_a_line_of_only_a_delimiter_is_two_empty_values_not_blank(delimiter):
    assert read(f"C1{delimiter}Ann\n{delimiter}\n", delimiter) == [
        (1, ["C1", "Ann"]),
        (2, ["", ""]),
    ]


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_a_multi_line_value_takes_the_number_of_its_first_line_and_counts_the_others(eol):
    text = f'C1|"a{eol}b{eol}c"{eol}C2|Bob'

    assert read(text) == [(1, ["C1", f"a{eol}b{eol}c"]), (4, ["C2", "Bob"])]


@pytest.mark.parametrize("text", ["", "\n", "\r\n\r\n", "  \n\t\n"])
def test_text_of_only_blank_lines_has_no_lines(text):
    assert read(text) == []


# BOM


def test_a_leading_bom_is_dropped():
    assert read("\ufeffC1|Ann\nC2|Bob") == [(1, ["C1", "Ann"]), (2, ["C2", "Bob"])]


def test_a_leading_bom_before_a_quoted_value_is_dropped():
    assert read('\ufeff"C1"|Ann') == [(1, ["C1", "Ann"])]


def test_a_bom_after_the_start_is_trimmed_off_a_value_as_white_space_is():
    # Two BOM-prefixed files joined: the second's BOM starts a line (integrator's report:
    # "\ufeffBM1" matched no customer BM1). One inside a value stays, as any character.
    assert read("C1|\ufeffAnn\n\ufeffC2|Bob\nC3|A\ufeffnn") == [
        (1, ["C1", "Ann"]),
        (2, ["C2", "Bob"]),
        (3, ["C3", "A\ufeffnn"]),
    ]


# Unreadable lines


def test_a_value_over_the_csv_field_limit_is_a_line_error_and_reading_goes_on():
    text = f'C1|Ann\nC2|"{"x" * (CSV_FIELD_LIMIT + 1)}"\nC3|Cy'

    assert read(text) == [
        (1, ["C1", "Ann"]),
        LineError(
            2,
            None,
            m.UNREADABLE_LINE.format(reason=f"field larger than field limit ({CSV_FIELD_LIMIT})"),
        ),
        (3, ["C3", "Cy"]),
    ]


def test_a_value_at_the_csv_field_limit_is_read_whole():
    value = "x" * CSV_FIELD_LIMIT

    assert read(f'C1|"{value}"') == [(1, ["C1", value])]


def test_a_quote_never_closed_is_a_line_error_on_the_line_that_opens_it():
    assert read('C0|Zoe\nC1|"Ann\nC2|Bob\n') == [
        (1, ["C0", "Zoe"]),
        LineError(2, None, m.QUOTE_NOT_CLOSED),
    ]


def test_text_after_a_closing_quote_is_a_line_error_and_the_next_line_is_read():
    assert read('C1|"Ann"ie\nC2|Bob') == [
        LineError(1, None, m.TEXT_AFTER_QUOTE.format(delimiter="|")),
        (2, ["C2", "Bob"]),
    ]


# MAX_BATCH_ROWS


def test_a_text_of_exactly_max_batch_rows_lines_is_read(limit_of_two):
    assert read("C1|Ann\nC2|Bob") == [(1, ["C1", "Ann"]), (2, ["C2", "Bob"])]


def test_one_line_over_max_batch_rows_is_an_invalid_request_naming_the_limit(limit_of_two):
    with pytest.raises(InvalidRequest) as refused:
        read("C1|Ann\nC2|Bob\nC3|Cy")

    assert refused.value.message == m.TOO_MANY_LINES.format(limit=2)


def test_blank_lines_do_not_count_towards_max_batch_rows(limit_of_two):
    # They are bounded apart, by the same number (no more than two here).
    assert read("\nC1|Ann\n  \nC2|Bob\n") == [(2, ["C1", "Ann"]), (4, ["C2", "Bob"])]


def test_more_blank_lines_than_max_batch_rows_are_refused(limit_of_two):
    with pytest.raises(InvalidRequest, match="more than 2 blank lines"):
        read("\n\nC1|Ann\n\nC2|Bob")


def test_a_multi_line_value_counts_once_towards_max_batch_rows(limit_of_two):
    assert read('C1|"a\nb\nc"\nC2|Bob') == [(1, ["C1", "a\nb\nc"]), (4, ["C2", "Bob"])]


# A line of more values than a request has headers is refused before the reader holds it.

TOO_MANY = m.TOO_MANY_VALUES.format(limit=MAX_HEADER_NUMBER)


@pytest.mark.parametrize(
    "wide",
    [
        "|" * MAX_HEADER_NUMBER,
        '"a"' + "|" * MAX_HEADER_NUMBER,
        '"a|b"|"c' + "|" * MAX_HEADER_NUMBER + '"' + "|" * MAX_HEADER_NUMBER,
        # Over several text lines: a quoted line break, then more values.
        '"a\nb"' + "|x" * MAX_HEADER_NUMBER,
        '"a\n' + "|" * MAX_HEADER_NUMBER + '\nb"' + "|" * MAX_HEADER_NUMBER + '|"c\nd"|e',
    ],
    ids=["plain", "quoted", "delimiters-in-quotes", "after-a-line-break", "several-lines"],
)
def test_a_line_of_more_values_than_headers_can_be_is_refused_and_the_next_is_read(wide):
    lines = read(f"C0|x\n{wide}\nC9|y")

    assert lines[0] == (1, ["C0", "x"])
    assert lines[1] == LineError(2, None, TOO_MANY)
    assert lines[2] == (2 + wide.count("\n") + 1, ["C9", "y"])
    assert len(lines) == 3


@pytest.mark.parametrize(
    "line",
    [
        "|" * (MAX_HEADER_NUMBER - 1),
        '"' + "|" * 10 * MAX_HEADER_NUMBER + '"|b',
        '"a""|' + "|" * MAX_HEADER_NUMBER + '"|"b\n' + "|" * MAX_HEADER_NUMBER + '"',
        'a"' + "|b" * (MAX_HEADER_NUMBER - 1),
    ],
    ids=["at-the-limit", "delimiters-in-quotes", "over-lines", "quote-inside-a-value"],
)
def test_a_line_whose_delimiters_are_in_quoted_values_is_read(line):
    expected = next(csv.reader(io.StringIO(line, newline=""), delimiter="|", strict=True))

    assert read(line) == [(1, [value.strip() for value in expected])]
