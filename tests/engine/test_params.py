"""parse_batch_request (customers/batch/params.py): the lowercased form fields of a
customers_batch request -> a BatchRequest, or InvalidRequest with the message that names the
parameter and the value refused."""

import pytest

from core.errors import InvalidRequest
from customers.batch import messages as m
from customers.batch.params import MAX_HEADER_NUMBER, parse_batch_request
from customers.batch.types import BatchRequest, OverwriteMode

MINIMAL = {
    "delimiter": "pipe",
    "campaigns_to_include": "898989889",
    "profiles_header_1": "code",
    "profiles_data": "C1",
}


def parse(custom_field_count: int = 0, **params: str | None) -> BatchRequest:
    """The BatchRequest of MINIMAL changed by `params` (None leaves a parameter out)."""
    merged = {key: value for key, value in {**MINIMAL, **params}.items() if value is not None}
    return parse_batch_request(merged, custom_field_count=custom_field_count)


def refused(custom_field_count: int = 0, **params: str | None) -> str:
    with pytest.raises(InvalidRequest) as raised:
        parse(custom_field_count, **params)
    return raised.value.message


def headers(*names: str, **numbered: str) -> dict[str, str | None]:
    """profiles_header_1..N for `names`, then profiles_header_N given by `numbered`."""
    params: dict[str, str | None] = {"profiles_header_1": None}
    params.update({f"profiles_header_{n}": name for n, name in enumerate(names, start=1)})
    params.update({f"profiles_header_{n[1:]}": name for n, name in numbered.items()})
    return params


def test_a_minimal_request_takes_every_default():
    assert parse() == BatchRequest(
        api_version="1.0",
        delimiter="|",
        overwrite=OverwriteMode.IGNORE,
        record_undo=True,
        card_number_digits=None,
        campaign_ids=("898989889",),
        headers=("code",),
        data="C1",
        validate_only=False,
        all_or_nothing=False,
        request_id=None,
    )


# API


@pytest.mark.parametrize("value", [None, "", "1", "1.0", " 1.0 "])
def test_api_absent_1_or_1_0_is_version_1_0(value):
    assert parse(api=value).api_version == "1.0"


@pytest.mark.parametrize("value", ["1.5", " 1.5 "])
def test_api_1_5_is_version_1_5(value):
    assert parse(api=value).api_version == "1.5"


@pytest.mark.parametrize("value", ["2", "1.4", "1.50", "latest"])
def test_another_api_version_is_refused_naming_it(value):
    assert refused(api=value) == m.UNKNOWN_API_VERSION.format(value=value)


def test_a_long_refused_value_is_quoted_cut_to_the_shown_limit():
    value = "9" * (m.SHOWN_VALUE_LIMIT + 10)

    assert refused(api=value) == m.UNKNOWN_API_VERSION.format(value="9" * m.SHOWN_VALUE_LIMIT + "…")


# delimiter


@pytest.mark.parametrize(
    ("value", "delimiter"),
    [
        ("pipe", "|"),
        ("comma", ","),
        ("tab", "\t"),
        ("|", "|"),
        (",", ","),
        ("\t", "\t"),
        ("PIPE", "|"),
        ("Tab", "\t"),
        (" comma ", ","),
    ],
)
def test_delimiter_takes_the_words_in_any_case_and_the_characters(value, delimiter):
    assert parse(delimiter=value).delimiter == delimiter


@pytest.mark.parametrize("value", [None, "", "   "])
def test_delimiter_is_required(value):
    assert refused(delimiter=value) == m.MISSING_PARAMETER.format(name="delimiter")


@pytest.mark.parametrize("value", ["semicolon", ";", "pipes", "||", "\n"])
def test_another_delimiter_is_refused_naming_it(value):
    assert refused(delimiter=value) == m.BAD_DELIMITER.format(value=value)


# overwrite_duplicates


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        (None, OverwriteMode.IGNORE),
        ("", OverwriteMode.IGNORE),
        ("ignore", OverwriteMode.IGNORE),
        ("update", OverwriteMode.UPDATE),
        ("yes", OverwriteMode.YES),
        (" Update ", OverwriteMode.UPDATE),
        ("YES", OverwriteMode.YES),
    ],
)
def test_overwrite_duplicates_takes_the_three_modes_and_defaults_to_ignore(value, mode):
    assert parse(overwrite_duplicates=value).overwrite is mode


@pytest.mark.parametrize("value", ["overwrite", "no", "true"])
def test_another_overwrite_mode_is_refused_naming_it(value):
    assert refused(overwrite_duplicates=value) == m.BAD_OVERWRITE.format(value=value)


# no_undo (1.0) and allow_undo (1.5)


@pytest.mark.parametrize(
    ("value", "record_undo"),
    [(None, True), ("", True), ("no", True), ("yes", False), ("YES", False)],
)
def test_api_1_0_records_an_undo_state_unless_no_undo_is_yes(value, record_undo):
    assert parse(no_undo=value).record_undo is record_undo


@pytest.mark.parametrize(
    ("value", "record_undo"), [(None, False), ("", False), ("no", False), ("yes", True)]
)
def test_api_1_5_records_an_undo_state_only_when_allow_undo_is_yes(value, record_undo):
    assert parse(api="1.5", allow_undo=value).record_undo is record_undo


def test_api_1_0_does_not_read_allow_undo():
    assert parse(allow_undo="yes", no_undo="yes").record_undo is False


def test_api_1_5_does_not_read_no_undo():
    assert parse(api="1.5", no_undo="yes", allow_undo="yes").record_undo is True


@pytest.mark.parametrize(
    ("api", "name"), [("1.0", "no_undo"), ("1.5", "allow_undo")], ids=["1.0", "1.5"]
)
@pytest.mark.parametrize("value", ["true", "1", "y"])
def test_an_undo_flag_other_than_yes_or_no_is_refused(api, name, value):
    assert refused(api=api, **{name: value}) == m.BAD_YES_FLAG.format(name=name, value=value)


# validate_only and all_or_nothing


@pytest.mark.parametrize("name", ["validate_only", "all_or_nothing"])
@pytest.mark.parametrize(
    ("value", "flag"), [(None, False), ("", False), ("no", False), ("yes", True), (" Yes ", True)]
)
def test_yes_flags_are_yes_or_left_out(name, value, flag):
    assert getattr(parse(**{name: value}), name) is flag


@pytest.mark.parametrize("name", ["validate_only", "all_or_nothing"])
def test_a_yes_flag_with_another_value_is_refused_naming_it(name):
    assert refused(**{name: "true"}) == m.BAD_YES_FLAG.format(name=name, value="true")


# card_number_generate


@pytest.mark.parametrize(
    ("value", "digits"), [(None, None), ("", None), ("4", 4), ("32", 32), (" 16 ", 16)]
)
def test_card_number_generate_takes_4_to_32_digits(value, digits):
    assert parse(card_number_generate=value).card_number_digits == digits


@pytest.mark.parametrize("value", ["3", "33", "0", "-5", "+8", "1e1", "8.0", "ten", "１６", "١٦"])
def test_card_number_generate_other_than_4_to_32_ascii_digits_is_refused(value):
    assert refused(card_number_generate=value) == m.BAD_CARD_NUMBER_DIGITS.format(value=value)


# campaigns_to_include


@pytest.mark.parametrize("value", [None, "", "  ", "|,|", " |,| |,| "])
def test_campaigns_to_include_is_required(value):
    expected = m.MISSING_PARAMETER.format(name="campaigns_to_include")

    assert refused(campaigns_to_include=value) == expected


def test_api_1_0_campaigns_are_separated_by_pipe_comma_pipe_and_trimmed():
    assert parse(campaigns_to_include=" 1 |,|2|,| 3").campaign_ids == ("1", "2", "3")


def test_api_1_0_does_not_separate_campaigns_at_a_comma():
    assert parse(campaigns_to_include="1,2|,|3").campaign_ids == ("1,2", "3")


def test_api_1_5_campaigns_are_separated_by_comma_and_trimmed():
    assert parse(api="1.5", campaigns_to_include=" 1 ,2,  3").campaign_ids == ("1", "2", "3")


def test_empty_campaign_ids_are_dropped():
    assert parse(campaigns_to_include="1|,||,|2|,|").campaign_ids == ("1", "2")


def test_a_campaign_listed_twice_is_kept_once_in_first_order():
    assert parse(campaigns_to_include="2|,|1|,|2").campaign_ids == ("2", "1")


# Profiles_Data


@pytest.mark.parametrize("value", [None, "", " \n\r\n\t"])
def test_profiles_data_is_required(value):
    assert refused(profiles_data=value) == m.MISSING_PARAMETER.format(name="Profiles_Data")


def test_profiles_data_is_kept_as_sent_so_line_numbers_hold():
    data = "\n  C1|Ann  \r\n"

    assert parse(profiles_data=data).data == data


# request_id


@pytest.mark.parametrize(
    ("value", "request_id"),
    [(None, None), ("", None), ("  ", None), (" r-1 ", "r-1"), ("!~" * 64, "!~" * 64)],
)
def test_request_id_is_up_to_128_printable_characters_trimmed(value, request_id):
    assert parse(request_id=value).request_id == request_id


@pytest.mark.parametrize("value", ["x" * 129, "r 1", "r\t1", "réf", "r\x7f"])
def test_request_id_longer_or_not_printable_ascii_is_refused(value):
    assert refused(request_id=value) == m.BAD_REQUEST_ID.format(value=m.shown(value))


# profiles_header_N


def test_header_k_names_the_kth_value():
    assert parse(**headers("last_name", "code", "email")).headers == ("last_name", "code", "email")


def test_field_names_are_case_insensitive_and_trimmed():
    params = headers("CODE", " First_Name ", "customer_PIN", "Custom_FIELD")

    assert parse(**params).headers == ("code", "first_name", "customer_pin", "custom_field")


def test_one_missing_number_leaves_that_column_unread():
    params = headers("code", n3="first_name", n5="email")

    assert parse(**params).headers == ("code", None, "first_name", None, "email")


def test_a_missing_first_number_leaves_the_first_column_unread():
    assert parse(**headers(n2="code")).headers == (None, "code")


def test_a_blank_header_counts_as_a_missing_number():
    assert parse(**headers("code", " ", "email")).headers == ("code", None, "email")


@pytest.mark.parametrize(
    ("numbered", "first", "second"),
    [({"n3": "code"}, 1, 2), ({"n1": "code", "n4": "email"}, 2, 3)],
)
def test_two_missing_numbers_in_a_row_are_refused_naming_them(numbered, first, second):
    assert refused(**headers(**numbered)) == m.HEADER_GAP.format(first=first, second=second)


@pytest.mark.parametrize("names", [(), ("", "  ")])
def test_at_least_one_header_is_required(names):
    assert refused(**headers(*names)) == m.NO_HEADERS


def test_the_highest_header_number_is_accepted():
    # 1.5 custom fields: enough distinct names to number every header up to the limit.
    params = headers("code", **{f"n{n}": f"custom_field_{n}" for n in range(2, MAX_HEADER_NUMBER)})
    params[f"profiles_header_{MAX_HEADER_NUMBER}"] = "email"

    assert parse(api="1.5", custom_field_count=MAX_HEADER_NUMBER, **params).headers[-1] == "email"


@pytest.mark.parametrize("number", [MAX_HEADER_NUMBER + 1, 0, 99999999])
def test_a_header_number_outside_1_to_the_limit_is_refused(number):
    name = f"profiles_header_{number}"

    assert refused(**{name: "email"}) == m.HEADER_NUMBER_TOO_HIGH.format(
        name=name, limit=MAX_HEADER_NUMBER
    )


def test_one_header_number_written_two_ways_is_refused():
    assert refused(profiles_header_01="email") == m.HEADER_NUMBER_TWICE.format(number=1)


def test_a_field_named_twice_is_refused_naming_both_headers():
    assert refused(**headers("code", "email", "EMAIL")) == m.FIELD_TWICE.format(
        name="profiles_header_3", value="EMAIL", other="profiles_header_2"
    )


@pytest.mark.parametrize(
    ("value", "suggestion"),
    [
        ("custome_date", "custom_date"),
        ("firstname", "first_name"),
        ("customer_pn", "customer_PIN"),
        ("custom_field_1", "custom_field"),
    ],
)
def test_an_unknown_field_is_refused_suggesting_the_closest_name(value, suggestion):
    assert refused(**headers("code", value)) == m.UNKNOWN_FIELD_SUGGESTION.format(
        name="profiles_header_2", value=value, suggestion=suggestion
    )


def test_an_unknown_field_without_a_close_name_is_refused():
    assert refused(**headers("code", "shoe_size")) == m.UNKNOWN_FIELD.format(
        name="profiles_header_2", value="shoe_size"
    )


def test_api_1_5_headers_may_name_the_accounts_custom_fields():
    params = headers("code", "custom_field_2", "Custom_Field_1", "custom_field")

    assert parse(custom_field_count=2, api="1.5", **params).headers == (
        "code",
        "custom_field_2",
        "custom_field_1",
        "custom_field",
    )


def test_api_1_5_custom_field_beyond_the_accounts_count_is_unknown():
    message = refused(custom_field_count=2, api="1.5", **headers("code", "custom_field_3"))

    assert message == m.UNKNOWN_FIELD_SUGGESTION.format(
        name="profiles_header_2", value="custom_field_3", suggestion="custom_field_2"
    )


def test_api_1_0_headers_cannot_name_custom_fields_whatever_the_account_has():
    message = refused(custom_field_count=2, **headers("code", "custom_field_1"))

    assert message == m.UNKNOWN_FIELD_SUGGESTION.format(
        name="profiles_header_2", value="custom_field_1", suggestion="custom_field"
    )
