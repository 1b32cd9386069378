"""Profiles_Data: CSV quoting with every delimiter, line ends, blank lines and line numbers,
trimming, value counts, and the per-value checks (dates, email, lengths, control characters)."""

import json
from urllib.parse import quote_from_bytes, urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import etree

from customers.batch import messages as m
from customers.batch.params import FIELD_LABELS
from customers.batch.rows import MAX_LENGTHS
from customers.models import CUSTOM_FIELD_MAX_LENGTH, Customer
from tests.conftest import API_KEY, batch_params

HOSTILE = "<b>&amp; ]]> \"quoted\" 'single' </response>"


def batch(response) -> dict:
    assert response.status_code == 200
    return json.loads(response.content)["batch"]


def counts(response) -> dict:
    return batch(response)["customers"]


def errors(response) -> list[dict]:
    return batch(response)["errors"]


def one_customer() -> Customer:
    return Customer.objects.get()


@pytest.fixture
def post(post_batch):
    """post(headers, data, **params) -> response, in JSON."""

    def post_json(headers, data, **extra):
        return post_batch(headers=headers, data=data, output="JSON", **extra)

    return post_json


# Quoting, line ends, BOM, blank lines, trimming


@pytest.mark.parametrize(("delimiter", "d"), [("pipe", "|"), ("comma", ","), ("tab", "\t")])
def test_quoted_value_holds_the_delimiter_a_quote_and_a_line_break(post, delimiter, d):
    data = f'C1{d}"Main St{d} ""The Corner"" \nBuilding 2"{d}Jane\nC2{d}plain{d}Jim'

    response = post(("code", "street1", "first_name"), data, delimiter=delimiter)

    assert counts(response)["new"] == 2
    customer = Customer.objects.get(code="C1")
    assert customer.street1 == f'Main St{d} "The Corner" \nBuilding 2'
    assert customer.first_name == "Jane"
    assert Customer.objects.get(code="C2").street1 == "plain"


def test_a_leading_line_break_makes_the_first_customer_line_2_as_in_the_readme(post):
    # The README's curl example starts Profiles_Data on the line after its opening quote.
    data = "\nC1|1970-07-14\nC2|14-07-1970\n"

    response = post(("code", "custom_date"), data)

    assert [error["line"] for error in errors(response)] == [3]


@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"], ids=["LF", "CRLF", "CR"])
def test_lines_may_end_in_lf_crlf_or_cr(post, eol):
    data = eol.join(["C1|Jane", "C2|Jim", "C3|Larry|extra", "C4|Ann"]) + eol

    response = post(("code", "first_name"), data)

    assert counts(response) == {"new": 3, "updated": 0, "ignored": 0, "failed": 1}
    assert errors(response)[0]["line"] == 3
    names = Customer.objects.order_by("code").values_list("first_name", flat=True)
    assert list(names) == ["Jane", "Jim", "Ann"]


def test_a_leading_bom_is_dropped(post):
    post(("code", "first_name"), "\ufeffC1|Jane")

    assert one_customer().code == "C1"


@pytest.mark.parametrize("eol", ["\n", "\r\n"], ids=["LF", "CRLF"])
def test_blank_lines_are_skipped_but_counted_in_line_numbers(post, eol):
    data = eol.join(["", "C1|Jane", "", "   ", "C2|Jim|extra", "", "C3|Ann"])

    response = post(("code", "first_name"), data)

    assert counts(response) == {"new": 2, "updated": 0, "ignored": 0, "failed": 1}
    assert errors(response) == [
        {"line": 5, "message": m.WRONG_VALUE_COUNT.format(got=3, expected=2)}
    ]


def test_values_are_trimmed(post):
    post(("code", "first_name", "email"), "  C1 |  Jane Ann \t|  jane@example.com  ")

    customer = one_customer()
    assert (customer.code, customer.first_name) == ("C1", "Jane Ann")
    assert customer.email == "jane@example.com"


# Value counts


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("C2|Jim|extra", m.WRONG_VALUE_COUNT.format(got=3, expected=2)),
        ("C2", m.ONE_VALUE.format(expected=2, delimiter="|")),
    ],
)
def test_line_with_more_or_fewer_values_is_a_line_error(post, line, message):
    response = post(("code", "first_name"), f"C1|Jane\n{line}\nC3|Ann")

    assert counts(response) == {"new": 2, "updated": 0, "ignored": 0, "failed": 1}
    assert errors(response) == [{"line": 2, "message": message}]
    assert not Customer.objects.filter(code="C2").exists()


def test_a_line_of_one_value_under_several_headers_says_the_delimiter_may_be_wrong(post):
    response = post(("code", "first_name", "email"), "C1,Jane,jane@example.com")

    assert errors(response) == [
        {
            "line": 1,
            "message": "the line has 1 value, the headers read 3: the delimiter, |, is not "
            "in it; is the data separated by another character?",
        }
    ]


def test_a_line_of_only_delimiters_is_not_blank(post):
    response = post(("code", "first_name"), "C1|Jane\n||\nC3|Ann")

    assert errors(response) == [
        {"line": 2, "message": m.WRONG_VALUE_COUNT.format(got=3, expected=2)}
    ]


# custom_date and email


@pytest.mark.parametrize("value", ["04-03-2010", "2010/02/03", "2010-2-3", "20100203", "today"])
def test_custom_date_not_in_yyyy_mm_dd_is_a_line_error(post, value):
    response = post(("code", "custom_date"), f"C1|{value}")

    assert errors(response) == [
        {"line": 1, "field": "custom_date", "message": m.BAD_DATE_FORMAT.format(value=value)}
    ]
    assert not Customer.objects.exists()


@pytest.mark.parametrize("value", ["2010-02-30", "2011-02-29", "2010-13-01", "2010-00-10"])
def test_custom_date_that_is_no_real_date_is_a_line_error(post, value):
    response = post(("code", "custom_date"), f"C1|{value}")

    assert errors(response) == [
        {"line": 1, "field": "custom_date", "message": m.BAD_DATE.format(value=value)}
    ]
    assert not Customer.objects.exists()


def test_real_custom_date_is_stored(post):
    post(("code", "custom_date"), "C1|2012-02-29")

    assert one_customer().custom_date.isoformat() == "2012-02-29"


@pytest.mark.parametrize(
    "value", ["jane", "jane@example", "jane doe@example.com", "a@b@example.com", "@example.com"]
)
def test_email_that_does_not_look_like_one_is_a_line_error(post, value):
    response = post(("code", "email"), f"C1|{value}")

    assert errors(response) == [
        {"line": 1, "field": "email", "message": m.BAD_EMAIL.format(value=value)}
    ]
    assert not Customer.objects.exists()


def test_email_that_looks_like_one_is_stored(post):
    post(("code", "email"), "C1|jane.doe+shop@mail.example.com")

    assert one_customer().email == "jane.doe+shop@mail.example.com"


# Maximum lengths


def value_of_length(field: str, length: int) -> str:
    if field == "email":
        return "a" * (length - len("@example.com")) + "@example.com"
    return "7" * length


def headers_for(field: str) -> tuple[str, ...]:
    return ("code",) if field == "code" else ("code", FIELD_LABELS[field])


def line_for(field: str, value: str) -> str:
    return value if field == "code" else f"C1|{value}"


STORED_AS_IS = [field for field in MAX_LENGTHS if field not in ("auto_add",)]


@pytest.mark.parametrize("field", STORED_AS_IS)
def test_value_at_the_maximum_length_is_accepted_whole(post, field):
    value = value_of_length(field, MAX_LENGTHS[field])

    response = post(headers_for(field), line_for(field, value))

    assert counts(response)["new"] == 1
    stored = getattr(one_customer(), field)
    if field in ("customer_password", "customer_pin"):
        assert stored and stored != value
    else:
        assert stored == value


@pytest.mark.parametrize("field", list(MAX_LENGTHS))
def test_value_one_longer_than_the_maximum_is_a_line_error(post, field):
    limit = MAX_LENGTHS[field]

    response = post(headers_for(field), line_for(field, value_of_length(field, limit + 1)))

    label = FIELD_LABELS[field]
    assert errors(response) == [
        {"line": 1, "field": label, "message": m.TOO_LONG.format(field=label, limit=limit)}
    ]
    assert counts(response)["failed"] == 1
    assert not Customer.objects.exists()


@pytest.mark.parametrize("long_first", [True, False])
def test_a_line_with_two_faults_reports_both_in_column_order(post, long_first):
    too_long = "7" * (MAX_LENGTHS["phone"] + 1)
    phone = {
        "line": 1,
        "field": "phone",
        "message": m.TOO_LONG.format(field="phone", limit=MAX_LENGTHS["phone"]),
    }
    email = {"line": 1, "field": "email", "message": m.BAD_EMAIL.format(value="jane")}
    if long_first:
        response = post(("code", "phone", "email"), f"C1|{too_long}|jane")
        expected = [phone, email]
    else:
        response = post(("code", "email", "phone"), f"C1|jane|{too_long}")
        expected = [email, phone]

    assert errors(response) == expected
    assert counts(response)["failed"] == 1


def test_values_of_ignored_columns_are_neither_checked_nor_stored(post_batch):
    response = post_batch(
        headers=("code", "", "first_name"),
        data=f"C1|{'x' * 1000}|Jane",
        output="JSON",
        profiles_header_2=None,
    )

    assert counts(response)["new"] == 1
    assert (one_customer().code, one_customer().first_name) == ("C1", "Jane")


def test_api_1_5_custom_field_longer_than_the_maximum_is_a_line_error(
    client, user, campaigns, account
):
    account.custom_field_count = 1
    account.save()
    params = batch_params(
        ("code", "custom_field_1"),
        f"C1|{'x' * CUSTOM_FIELD_MAX_LENGTH}\nC2|{'x' * (CUSTOM_FIELD_MAX_LENGTH + 1)}",
        API="1.5",
        user_password=None,
        user_api_key=API_KEY,
        output="JSON",
    )

    response = client.post("/api", params)

    message = m.TOO_LONG.format(field="custom_field_1", limit=CUSTOM_FIELD_MAX_LENGTH)
    assert errors(response) == [{"line": 2, "field": "custom_field_1", "message": message}]
    assert one_customer().custom_fields == {"custom_field_1": "x" * CUSTOM_FIELD_MAX_LENGTH}


# Control characters


# C0 but TAB, LF and CR; DEL; C1 (U+0080 to U+009F, NEL U+0085 among them).
CONTROL_CHARACTERS = [
    "\x00",
    "\x01",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\x0e",
    "\x1b",
    "\x1f",
    "\x7f",
    "\x80",
    "\x85",
    "\x9f",
]


@pytest.mark.parametrize("character", CONTROL_CHARACTERS)
def test_control_character_in_a_value_is_a_line_error(post, character):
    response = post(("code", "first_name"), f"C1|Ja{character}ne\nC2|Jim")

    assert errors(response) == [
        {
            "line": 1,
            "field": "first_name",
            "message": m.CONTROL_CHARACTER.format(field="first_name"),
        }
    ]
    assert list(Customer.objects.values_list("code", flat=True)) == ["C2"]


# Unicode's noncharacters: U+FDD0 to U+FDEF and the last two code points of every plane.
NONCHARACTERS = ["\ufdd0", "\ufdef", "\ufffe", "\uffff", "\U0001fffe", "\U0010ffff"]


@pytest.mark.parametrize("character", NONCHARACTERS)
def test_a_unicode_noncharacter_in_a_value_is_a_line_error_as_a_control_character(post, character):
    # Sixth red team: U+FFFE was stored, the XML answer showed U+FFFD, and every later
    # XLSX export of the account failed.
    response = post(("code", "first_name"), f"C1|Ja{character}ne\nC2|Jim")

    assert errors(response) == [
        {
            "line": 1,
            "field": "first_name",
            "message": m.CONTROL_CHARACTER.format(field="first_name"),
        }
    ]
    assert list(Customer.objects.values_list("code", flat=True)) == ["C2"]


# The invisible controls that make a value read other than it is: bidirectional
# embeddings, overrides and isolates, zero-width space, word joiner, invisible operators.
INVISIBLE_CONTROLS = ["\u200b", "\u202a", "\u202e", "\u2060", "\u2064", "\u2066", "\u2069"]


@pytest.mark.parametrize("character", INVISIBLE_CONTROLS)
def test_an_invisible_control_in_a_code_is_a_line_error_as_a_control_character(post, character):
    # Seventh red team: code "F5" + U+202E (right-to-left override) was stored, a
    # look-alike of "F5" that reverses what follows it in the admin and in exports.
    response = post(("code", "first_name"), f"F5{character}|Jane\nC2|Jim")

    assert errors(response) == [
        {"line": 1, "field": "code", "message": m.CONTROL_CHARACTER.format(field="code")}
    ]
    assert list(Customer.objects.values_list("code", flat=True)) == ["C2"]


# Marks and joiners that right-to-left, Indic and emoji text needs, and a byte order mark.
@pytest.mark.parametrize("character", ["\u200c", "\u200d", "\u200e", "\u200f", "\u2065"])
def test_the_joiners_and_direction_marks_names_need_are_stored(post, character):
    response = post(("code", "first_name"), f"C1|Ja{character}ne")

    assert errors(response) == []
    assert one_customer().first_name == f"Ja{character}ne"


@pytest.mark.parametrize("character", ["\ufdcf", "\ufdf0", "\ufffd", "\U0001fffd", "\U0010fffd"])
def test_characters_beside_the_noncharacters_are_stored(post, character):
    response = post(("code", "first_name"), f"C1|Ja{character}ne")

    assert errors(response) == []
    assert one_customer().first_name == f"Ja{character}ne"


@pytest.mark.parametrize("character", ["\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\x9f"])
@pytest.mark.parametrize("value", ["{}Jane", "Jane{}"])
def test_control_character_at_either_end_of_a_value_is_a_line_error_not_trimmed(
    post, character, value
):
    # Python counts these as white space; trimming must not make them disappear unseen.
    response = post(("code", "first_name"), f"C1|{value.format(character)}\nC2|Jim")

    assert errors(response) == [
        {
            "line": 1,
            "field": "first_name",
            "message": m.CONTROL_CHARACTER.format(field="first_name"),
        }
    ]
    assert list(Customer.objects.values_list("code", flat=True)) == ["C2"]


@pytest.mark.parametrize("character", ["~", "\xa0", "\xa1", "\u2007"])
def test_characters_beside_the_control_ranges_are_stored(post, character):
    response = post(("code", "first_name"), f"C1|Ja{character}ne")

    assert errors(response) == []
    assert one_customer().first_name == f"Ja{character}ne"


def test_white_space_other_than_control_characters_is_trimmed(post):
    post(("code", "first_name"), 'C1|"\t\xa0\u3000Jane \r\n"')

    assert one_customer().first_name == "Jane"


def test_tab_inside_a_value_is_kept(post):
    post(("code", "street1"), "C1|Main St\tNo. 5")

    assert one_customer().street1 == "Main St\tNo. 5"


# Line errors and the other lines


def test_line_errors_do_not_stop_the_other_lines(post):
    data = "C1|Jane|2010-01-01\nC2|Jim|04-03-2010\nC3|Ann|2011-05-06\nC4|Bob|2010-02-30"

    response = post(("code", "first_name", "custom_date"), data)

    assert counts(response) == {"new": 2, "updated": 0, "ignored": 0, "failed": 2}
    assert [error["line"] for error in errors(response)] == [2, 4]
    assert list(Customer.objects.order_by("code").values_list("code", flat=True)) == ["C1", "C3"]


# Hostile text and line numbers


def test_xml_response_with_hostile_text_in_values_parses(post_batch):
    data = f"C1|Jane|x\nC2|Jim|{HOSTILE}"

    response = post_batch(headers=("code", "first_name", "email"), data=data)

    root = etree.fromstring(response.content)
    assert root.findtext("batch/customers/failed") == "2"
    messages = [error.text for error in root.iterfind("batch/errors/error")]
    assert messages == [
        m.BAD_EMAIL.format(value="x"),
        m.BAD_EMAIL.format(value=m.shown(HOSTILE)),
    ]


def test_hostile_text_is_stored_exactly(post):
    data = f'C1|"{HOSTILE.replace(chr(34), chr(34) * 2)}"'

    response = post(("code", "first_name"), data)

    assert counts(response)["new"] == 1
    assert one_customer().first_name == HOSTILE


def test_hostile_text_in_a_line_error_round_trips_through_xml(post_batch):
    response = post_batch(headers=("code", "custom_date"), data=f"C1|{HOSTILE[:30]}")

    root = etree.fromstring(response.content)
    error = root.find("batch/errors/error")
    assert (error.get("line"), error.get("field")) == ("1", "custom_date")
    assert error.text == m.BAD_DATE_FORMAT.format(value=HOSTILE[:30])


def test_line_numbers_count_the_lines_of_multi_line_quoted_values(post):
    data = 'C1|"first\nsecond\nthird"\n\nC2|Jim|extra\r\nC3|"a\r\nb"\nC4'

    response = post(("code", "street1"), data)

    assert errors(response) == [
        {"line": 5, "message": m.WRONG_VALUE_COUNT.format(got=3, expected=2)},
        {"line": 8, "message": m.ONE_VALUE.format(expected=2, delimiter="|")},
    ]
    assert Customer.objects.get(code="C3").street1 == "a\r\nb"


def test_error_on_a_multi_line_value_reports_the_line_it_starts_on(post):
    data = 'C1|Jane\n\nC2|"x\ny"|extra'

    response = post(("code", "street1"), data)

    assert errors(response) == [
        {"line": 3, "message": m.WRONG_VALUE_COUNT.format(got=3, expected=2)}
    ]


def test_line_errors_cost_no_query_per_line(post, django_assert_max_num_queries):
    def lines(prefix: str, count: int) -> str:
        good = [f"{prefix}{i}|Jane" for i in range(5)]
        bad = [f"{prefix}X{i}|Jim|extra" for i in range(count - 5)]
        return "\n".join(good + bad)

    post(("code", "first_name"), lines("A", 10))
    with CaptureQueriesContext(connection) as ten_lines:
        post(("code", "first_name"), lines("B", 10))

    with django_assert_max_num_queries(len(ten_lines)):
        response = post(("code", "first_name"), lines("C", 2000))

    assert counts(response) == {"new": 5, "updated": 0, "ignored": 0, "failed": 1995}


def test_a_quote_left_open_is_a_line_error_not_customers_lost_in_a_value(post):
    response = post(("code", "first_name"), 'uq0|Zoe\nuq1|"Ann\nuq2|Bob\nuq3|Cy')

    assert counts(response) == {"new": 1, "updated": 0, "ignored": 0, "failed": 1}
    assert errors(response) == [{"line": 2, "message": m.QUOTE_NOT_CLOSED}]
    assert list(Customer.objects.values_list("code", "first_name")) == [("uq0", "Zoe")]


def urlencoded_batch(data: bytes, charset: str | None = None) -> tuple[bytes, str]:
    """A JSON customers_batch form whose Profiles_Data is `data` percent-encoded as bytes."""
    params = batch_params(data="", output="JSON")
    params.pop("Profiles_Data")
    body = urlencode(params).encode() + b"&Profiles_Data=" + quote_from_bytes(data).encode()
    content_type = "application/x-www-form-urlencoded"
    return body, content_type if charset is None else f"{content_type}; charset={charset}"


def test_bytes_that_are_not_utf8_are_a_line_error_naming_the_field(client, user, campaigns):
    body, content_type = urlencoded_batch("C1|Ann\nC2|Jérôme\n".encode("latin-1"))

    response = client.post("/api", body, content_type=content_type)

    assert counts(response) == {"new": 1, "updated": 0, "ignored": 0, "failed": 1}
    assert errors(response) == [
        {"line": 2, "field": "first_name", "message": m.NOT_UTF8.format(field="first_name")}
    ]
    assert list(Customer.objects.values_list("code", flat=True)) == ["C1"]


def test_the_charset_of_the_content_type_decodes_the_data(client, user, campaigns):
    body, content_type = urlencoded_batch("C2|Jérôme".encode("latin-1"), charset="ISO-8859-1")

    response = client.post("/api", body, content_type=content_type)

    assert counts(response)["new"] == 1
    assert one_customer().first_name == "Jérôme"


def test_windows_1252_sent_as_iso_8859_1_is_refused_saying_which_charset_to_send(
    client, user, campaigns
):
    """Integrator: curly quotes and a dash of Windows-1252 labelled ISO-8859-1 read as C1
    controls, refused as control characters without a word of why."""
    data = "C1|\u201cJo\u201d\u2013Ann\nC2|Jim".encode("cp1252")
    body, content_type = urlencoded_batch(data, charset="ISO-8859-1")

    response = client.post("/api", body, content_type=content_type)

    message = m.CP1252_READ_AS_LATIN1.format(
        field="first_name", characters="U+0093, U+0094, U+0096", printed="\u201c \u201d \u2013"
    )
    assert errors(response) == [{"line": 1, "field": "first_name", "message": message}]
    assert "charset=windows-1252" in message and "cp1252" in message
    assert list(Customer.objects.values_list("code", flat=True)) == ["C2"]


@pytest.mark.parametrize(
    ("data", "charset"),
    [
        # 0x81: no character in Windows-1252 either, so no hint.
        (b"C1|Ja\x81ne\x93", "ISO-8859-1"),
        # A C1 control sent as UTF-8 was sent as such: the charset is not the cause.
        ("C1|Ja\x93ne".encode(), None),
    ],
)
def test_a_control_character_windows_1252_would_not_explain_has_no_charset_hint(
    client, user, campaigns, data, charset
):
    body, content_type = urlencoded_batch(data, charset=charset)

    response = client.post("/api", body, content_type=content_type)

    assert errors(response) == [
        {
            "line": 1,
            "field": "first_name",
            "message": m.CONTROL_CHARACTER.format(field="first_name"),
        }
    ]


def test_a_byte_order_mark_starting_a_later_line_is_trimmed_as_white_space(post):
    # Integrator's report: two BOM-prefixed files joined gave "\ufeffBM1", which matched no
    # customer BM1 and created a duplicate with an invisible code.
    response = post(
        ("code", "first_name"), "BM1|x\n\ufeffBM1|y\n \ufeff \n", overwrite_duplicates="update"
    )

    assert errors(response) == []
    assert list(Customer.objects.values_list("code", "first_name")) == [("BM1", "y")]


def test_data_of_a_byte_order_mark_alone_is_missing_as_blank_data_is(post):
    response = post(("code", "first_name"), "\ufeff\n\n")

    assert response.status_code == 400
    assert not Customer.objects.exists()
