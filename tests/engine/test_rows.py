"""RowCleaner (customers/batch/rows.py): a line's values -> a CustomerRow of cleaned values,
or the LineError of its first fault: value count, lengths, email, custom_date, control
characters (C0 and DEL here), auto_add in the unit of the credited campaign."""

import datetime
from decimal import Decimal

import pytest

from campaigns.credits import WHOLE_NUMBER, Credit
from campaigns.models import Campaign
from customers.batch import messages as m
from customers.batch.parse import read_lines
from customers.batch.rows import AUTO_ADD_MAX_LENGTH, RowCleaner
from customers.batch.types import BatchRequest, CustomerRow, LineError, OverwriteMode
from customers.columns import MAX_LENGTHS as PROFILE_FIELD_MAX_LENGTHS
from customers.hashers import KeyedInterimHasher

CAMPAIGN_ID = "898989889"
# Line breaks and TAB may come inside quoted values; every other C0 character and DEL may not.
ALLOWED_C0 = "\t\n\r"
REFUSED_CONTROL = [chr(code) for code in [*range(0x20), 0x7F] if chr(code) not in ALLOWED_C0]


def cleaner(*headers: str | None, campaign_type: str = Campaign.Type.POINTS) -> RowCleaner:
    request = BatchRequest(
        api_version="1.0",
        delimiter="|",
        overwrite=OverwriteMode.UPDATE,
        record_undo=True,
        card_number_digits=None,
        campaign_ids=(CAMPAIGN_ID,),
        headers=headers,
        data="",
    )
    return RowCleaner(request, Campaign(campaign_id=CAMPAIGN_ID, type=campaign_type))


def clean(headers: tuple[str | None, ...], values: list[str], line: int = 1):
    return cleaner(*headers).clean(line, values)


def error(field: str | None, message: str, line: int = 1) -> list[LineError]:
    """What clean returns for a line with this one error."""
    return [LineError(line, field, message)]


# The row


def test_a_valid_line_is_a_row_with_code_and_card_number_apart_from_the_values():
    row = clean(("first_name", "code", "email", "card_number"), ["Ann", "C1", "a@b.co", "41"], 7)

    assert row == CustomerRow(
        line=7,
        values={"first_name": "Ann", "email": "a@b.co"},
        code="C1",
        card_number="41",
        credit=None,
    )


def test_a_row_without_code_or_card_number_headers_has_neither():
    assert clean(("first_name",), ["Ann"]) == CustomerRow(
        line=1, values={"first_name": "Ann"}, code=None, card_number=None
    )


def test_unread_columns_are_neither_checked_nor_kept():
    row = clean(("code", None, "custom_date"), ["C1", "x" * 1000 + "04-03-2010", "2010-01-02"])

    assert row == CustomerRow(
        line=1, values={"custom_date": datetime.date(2010, 1, 2)}, code="C1", card_number=None
    )


@pytest.mark.parametrize("values", [["C1", "Ann"], ["C1", "Ann", "Lee", "x"]])
def test_a_line_with_another_number_of_values_than_the_headers_is_a_line_error(values):
    result = clean(("code", None, "first_name"), values, line=4)

    assert result == error(None, m.WRONG_VALUE_COUNT.format(got=len(values), expected=3), 4)


# Blank values


def test_a_blank_code_or_card_number_is_absent_never_a_clearing_value():
    row = clean(("code", "card_number", "first_name"), ["", "", "Ann"])

    assert (row.code, row.card_number) == (None, None)


def test_a_blank_username_is_none_so_the_unique_constraint_ignores_it():
    assert clean(("code", "customer_username"), ["C1", ""]).values == {"customer_username": None}


def test_a_blank_value_clears_its_field():
    fields = ("first_name", "email", "phone", "custom_field", "customer_password", "customer_pin")

    row = clean(("code", *fields, "custom_date"), ["C1", *[""] * len(fields), ""])

    assert row.values == {**dict.fromkeys(fields, ""), "custom_date": None}


# Secrets


@pytest.mark.parametrize("field", ["customer_password", "customer_pin"])
def test_a_secret_is_kept_only_as_a_salted_keyed_interim_hash(field):
    first = clean(("code", field), ["C1", "s3cret-Pin"]).values[field]
    second = clean(("code", field), ["C1", "s3cret-Pin"]).values[field]

    assert first.startswith("interim_keyed_blake2b$") and "s3cret-Pin" not in first
    assert KeyedInterimHasher().verify("s3cret-Pin", first)
    assert second != first


# Lengths


def test_length_is_counted_in_characters_not_bytes():
    limit = PROFILE_FIELD_MAX_LENGTHS["first_name"]

    assert clean(("code", "first_name"), ["C1", "😀" * limit]).values == {
        "first_name": "😀" * limit
    }
    assert clean(("code", "first_name"), ["C1", "é" * (limit + 1)]) == error(
        "first_name", m.TOO_LONG.format(field="first_name", limit=limit)
    )


@pytest.mark.parametrize(
    ("field", "label"),
    [("customer_password", "customer_password"), ("customer_pin", "customer_PIN")],
)
def test_a_secret_longer_than_its_limit_is_refused_before_hashing(field, label):
    limit = PROFILE_FIELD_MAX_LENGTHS[field]

    hashed = clean(("code", field), ["C1", "p" * limit]).values[field]
    assert hashed.startswith("interim_keyed_blake2b$")
    assert clean(("code", field), ["C1", "p" * (limit + 1)]) == error(
        label, m.TOO_LONG.format(field=label, limit=limit)
    )


def test_spaces_around_a_value_do_not_count_towards_its_length():
    limit = PROFILE_FIELD_MAX_LENGTHS["city"]
    [(line, values)] = read_lines(f"C1|  {'x' * limit}\t ", "|")

    assert clean(("code", "city"), values, line).values == {"city": "x" * limit}


# email


@pytest.mark.parametrize(
    "value", ["a@b.co", "jane.doe+shop@mail.example.com", "o'brien@example.co.uk", "ü@exämple.de"]
)
def test_an_email_of_the_form_name_at_domain_dot_tld_is_kept_as_given(value):
    assert clean(("code", "email"), ["C1", value]).values == {"email": value}


@pytest.mark.parametrize(
    "value", ["jane@example.", "jane@.com", "jane@exa mple.com", "jane@example.com\nx", "jane@"]
)
def test_an_email_not_of_that_form_is_a_line_error_quoting_it(value):
    assert clean(("code", "email"), ["C1", value]) == error(
        "email", m.BAD_EMAIL.format(value=value)
    )


def test_a_long_refused_email_is_quoted_cut_to_the_shown_limit():
    value = "x" * 60

    assert clean(("code", "email"), ["C1", value]) == error(
        "email", m.BAD_EMAIL.format(value="x" * m.SHOWN_VALUE_LIMIT + "…")
    )


def test_an_over_long_email_is_reported_as_too_long_not_as_malformed():
    limit = PROFILE_FIELD_MAX_LENGTHS["email"]

    assert clean(("code", "email"), ["C1", "x" * (limit + 1)]) == error(
        "email", m.TOO_LONG.format(field="email", limit=limit)
    )


# custom_date


@pytest.mark.parametrize(
    ("value", "date"),
    [
        ("2012-02-29", datetime.date(2012, 2, 29)),
        ("0001-01-01", datetime.date(1, 1, 1)),
        ("9999-12-31", datetime.date(9999, 12, 31)),
    ],
)
def test_a_real_yyyy_mm_dd_custom_date_becomes_a_date(value, date):
    assert clean(("code", "custom_date"), ["C1", value]).values == {"custom_date": date}


@pytest.mark.parametrize(
    "value", ["20100203", "2010-1-02", "02-01-2010", "2010-01-02T00:00", "２０１０-01-02"]
)
def test_a_custom_date_not_written_yyyy_mm_dd_is_a_format_error(value):
    assert clean(("code", "custom_date"), ["C1", value]) == error(
        "custom_date", m.BAD_DATE_FORMAT.format(value=value)
    )


@pytest.mark.parametrize("value", ["0000-01-01", "2011-02-29", "2010-04-31", "2010-12-00"])
def test_a_yyyy_mm_dd_custom_date_that_does_not_exist_is_a_date_error(value):
    assert clean(("code", "custom_date"), ["C1", value]) == error(
        "custom_date", m.BAD_DATE.format(value=value)
    )


# Control characters (C0 and DEL; the C1 range's rule is not pinned here)


@pytest.mark.parametrize("character", REFUSED_CONTROL, ids=lambda c: f"U+{ord(c):04X}")
def test_a_c0_control_character_or_del_is_a_line_error_naming_the_field(character):
    assert clean(("code", "first_name", "last_name"), ["C1", "Ann", f"L{character}ee"]) == error(
        "last_name", m.CONTROL_CHARACTER.format(field="last_name")
    )


def test_tab_and_line_breaks_are_kept_inside_a_value():
    value = "1 Main St\tRear\nFloor 2\r\nDoor 3\rLeft"

    assert clean(("code", "street1"), ["C1", value]).values == {"street1": value}


def test_a_control_character_in_the_pin_is_reported_with_the_headers_spelling():
    assert clean(("code", "customer_pin"), ["C1", "12\x0034"]) == error(
        "customer_PIN", m.CONTROL_CHARACTER.format(field="customer_PIN")
    )


# auto_add


def test_auto_add_is_credited_in_the_unit_of_the_campaign():
    assert clean(("code", "auto_add"), ["C1", "5"]).credit == Credit(Decimal("5.00"))


def test_a_blank_auto_add_credits_nothing():
    assert clean(("code", "auto_add"), ["C1", ""]) == CustomerRow(
        line=1, values={}, code="C1", card_number=None, credit=None
    )


def test_an_auto_add_that_does_not_fit_the_unit_is_a_line_error_naming_the_campaign():
    assert clean(("code", "auto_add"), ["C1", "5.5"]) == error(
        "auto_add", m.BAD_CREDIT.format(value="5.5", campaign=CAMPAIGN_ID, reason=WHOLE_NUMBER)
    )


# A line with two faults


PHONE_LIMIT = PROFILE_FIELD_MAX_LENGTHS["phone"]
FAULTS = {
    "phone": ("7" * (PHONE_LIMIT + 1), m.TOO_LONG.format(field="phone", limit=PHONE_LIMIT)),
    "email": ("jane", m.BAD_EMAIL.format(value="jane")),
    "custom_date": ("2010-02-30", m.BAD_DATE.format(value="2010-02-30")),
    "auto_add": ("-1", m.BAD_CREDIT.format(value="-1", campaign=CAMPAIGN_ID, reason=WHOLE_NUMBER)),
}


@pytest.mark.parametrize(
    ("first", "second"),
    [(a, b) for a in FAULTS for b in FAULTS if a != b],
    ids=lambda field: field,
)
def test_a_line_with_two_faults_reports_both_in_column_order(first, second):
    values = ["C1", FAULTS[first][0], FAULTS[second][0]]

    assert clean(("code", first, second), values) == [
        LineError(1, first, FAULTS[first][1]),
        LineError(1, second, FAULTS[second][1]),
    ]


def test_a_line_with_a_fault_in_every_kind_of_rule_reports_each_field_once():
    headers = ("code", "first_name", "email", "custom_date", "last_name")
    name_limit = PROFILE_FIELD_MAX_LENGTHS["first_name"]
    values = ["C1", "A" * (name_limit + 1), "jane", "2010-02-30", "L\x00ee"]

    assert clean(headers, values) == [
        LineError(1, "first_name", m.TOO_LONG.format(field="first_name", limit=name_limit)),
        LineError(1, "email", m.BAD_EMAIL.format(value="jane")),
        LineError(1, "custom_date", m.BAD_DATE.format(value="2010-02-30")),
        LineError(1, "last_name", m.CONTROL_CHARACTER.format(field="last_name")),
    ]


def test_a_wrong_number_of_values_is_reported_before_any_value_fault():
    assert clean(("code", "email", "phone"), ["C1", "jane"]) == error(
        None, m.WRONG_VALUE_COUNT.format(got=2, expected=3)
    )


def test_an_over_long_auto_add_is_reported_as_too_long_not_as_a_bad_credit():
    limit = AUTO_ADD_MAX_LENGTH

    assert clean(("code", "auto_add"), ["C1", "x" * (limit + 1)]) == error(
        "auto_add", m.TOO_LONG.format(field="auto_add", limit=limit)
    )
