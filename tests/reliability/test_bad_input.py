"""Bad input, property-based, over the whole request through Django's test client: random
parameters, headers, delimiters, quoting, encodings (invalid UTF-8, NUL bytes, lone CR),
huge fields, many lines, absurd header numbers, duplicated parameters, broken multipart.

Every answer is well-formed (XML, JSON or JSONP that parses), never a 500, never a partial
write (an answer that imported nothing leaves the database as it was; one that imported
says exactly what changed), never a hang. LOYALTY_LONG_TESTS=1 runs ten times as many
examples (docs/reliability.md)."""

import json
import os
import re
import signal
import urllib.parse
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree

from accounts.models import AuthFailure
from api.parsers import CUT_SHORT, NO_BOUNDARY
from campaigns.models import Enrollment, Transaction
from customers.batch.params import HEADER_FIELDS
from customers.models import Customer, ImportRequest, UndoState
from tests.conftest import API_KEY, BUYX, EARNED, PASSWORD, POINTS, USER_ID, batch_params
from tests.factories import make_customer

LONG = os.environ.get("LOYALTY_LONG_TESTS") == "1"
# The same properties on both databases: 300 examples on SQLite, 100 on PostgreSQL, where an
# example costs about three times as much and the three properties alone took 3.5 of make
# test's minutes; LOYALTY_LONG_TESTS=1 runs 3,000 on either.
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres:", "postgresql:"))
EXAMPLES = 3000 if LONG else 100 if ON_POSTGRES else 300
# Per example: well over what any of these requests costs, far below "hangs".
HANG_SECONDS = 30
STATUSES = {200, 400, 401, 405, 413, 429}
TYPES = {
    "application/xml; charset=utf-8": "xml",
    "application/json; charset=utf-8": "json",
    "application/javascript; charset=utf-8": "jsonp",
}
JSONP = re.compile(rb"^/\*\*/([A-Za-z_$][A-Za-z0-9_$.]*)\((.*)\);$", re.DOTALL)
BOUNDARY = "BoUnDaRy-reliability"

examples = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=HANG_SECONDS),
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
    derandomize=not LONG,
)

# --- strategies -------------------------------------------------------------------------

# Header names: mostly valid ones, now and then one that is wrong in some way.
field_names = st.one_of(
    st.sampled_from(list(HEADER_FIELDS)),
    st.sampled_from(list(HEADER_FIELDS)),
    st.sampled_from(list(HEADER_FIELDS)),
    st.sampled_from(["custom_field_1", "CODE", "Customer_pin", "custome_date", "x", " code "]),
)
header_lists = st.lists(field_names, min_size=1, max_size=6, unique_by=str.lower)
special_values = st.sampled_from(
    [
        "",
        " ",
        "C1",
        "C2",
        "K1",
        "2020-01-31",
        "2020-02-30",
        "31-01-2020",
        "a@b.co",
        "not an email",
        "10",
        "0.50",
        "-1",
        "1e9",
        "99999999999",
        "Latte",
        '"',
        '""',
        '"a|b"',
        "|",
        ",",
        "\t",
        "\r",
        "\n",
        "\r\n",
        "\x00",
        "\x07",
        "\ufeff",
        "\u2028",
        "<b>&amp;</b>",
        "]]>",
        "😀",
    ]
)
long_values = st.builds(
    lambda char, size: char * size,
    st.sampled_from(["x", '"', "é", "|", "\n"]),
    st.sampled_from([32, 33, 64, 65, 128, 129, 255, 256, 100_000]),
)
values = st.one_of(st.text(max_size=12), special_values, long_values)


def _quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


cells = st.one_of(values, values.map(_quoted))
delimiters = st.sampled_from(["|", ",", "\t", ";", " "])
line_ends = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def profiles_data(draw) -> str:
    """Lines of values joined with one delimiter (or, now and then, another one)."""
    delimiter = draw(delimiters)
    if draw(st.integers(0, 40)) == 0:
        # Many lines, cheap to make.
        return "\n".join(f"M{n}|Many" for n in range(draw(st.sampled_from([1000, 5001]))))
    lines = draw(st.lists(st.lists(cells, max_size=6), min_size=1, max_size=12))
    end = draw(line_ends)
    text = end.join(delimiter.join(line) for line in lines)
    if draw(st.booleans()):
        text = draw(st.sampled_from(["\ufeff", "", "\n\n", "\r"])) + text
    return text


header_numbers = st.one_of(
    st.integers(1, 6).map(str),
    st.sampled_from(["0", "7", "200", "201", "99999999", "-1", "01", "1 ", "", "x"]),
)
flag_values = st.sampled_from(["yes", "no", "YES", "", "maybe"])
OPTIONAL = {
    "overwrite_duplicates": st.sampled_from(["yes", "update", "ignore", "Update", "", "no"]),
    "no_undo": flag_values,
    "allow_undo": flag_values,
    "validate_only": flag_values,
    "all_or_nothing": flag_values,
    "card_number_generate": st.sampled_from(["4", "10", "32", "3", "33", "", "ten"]),
    "request_id": st.sampled_from(["r-1", "r-2", "", " ", "x" * 129, "é"]),
    "output": st.sampled_from(["JSON", "json", "XML", "", "csv"]),
    "callback": st.sampled_from(["f", "a.b_c$1", "", "alert(1)", "1a"]),
    "condensed": flag_values,
    "API": st.sampled_from(["1", "1.0", "1.5", "2", ""]),
    "user_api_key": st.sampled_from([API_KEY, "wrong", ""]),
    "campaigns_to_include": st.sampled_from(
        [POINTS, f"{POINTS}|,|{EARNED}", f"{BUYX}", f"{POINTS},{EARNED}", "nope", ""]
    ),
    "delimiter": st.sampled_from(["pipe", "comma", "tab", "|", ",", "\t", "PIPE", "semi", ""]),
}


BAD_CREDENTIALS = {
    "user_id": st.sampled_from([USER_ID.upper(), "nobody", ""]),
    "user_password": st.sampled_from(["wrong", "", PASSWORD + " "]),
    "account_id": st.sampled_from(["1000000000000001", "other", ""]),
    "type": st.sampled_from(["CUSTOMERS_BATCH", "x", ""]),
}


@st.composite
def forms(draw) -> list[tuple[str, str | bytes]]:
    """The fields of a form: a valid request, then a few random changes to it."""
    fields: list[tuple[str, str | bytes]] = [
        ("user_id", USER_ID),
        ("user_password", PASSWORD),
        ("account_id", "greatwidgets"),
        ("type", "customers_batch"),
        ("delimiter", "pipe"),
        ("campaigns_to_include", POINTS),
        (draw(st.sampled_from(["Profiles_Data", "profiles_data"])), draw(profiles_data())),
    ]
    headers = draw(header_lists)
    fields += [(f"profiles_header_{n}", name) for n, name in enumerate(headers, start=1)]
    for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2, 3]))):
        fields = draw(st.sampled_from(CHANGES))(draw, fields)
    return draw(st.permutations(fields))


def _set(fields, name, value):
    return [(key, old) for key, old in fields if key != name] + [(name, value)]


def _bad_credential(draw, fields):
    name = draw(st.sampled_from(list(BAD_CREDENTIALS)))
    return _set(fields, name, draw(BAD_CREDENTIALS[name]))


def _option(draw, fields):
    name = draw(st.sampled_from(list(OPTIONAL)))
    return _set(fields, name, draw(OPTIONAL[name]))


def _header_number(draw, fields):
    return [*fields, (f"profiles_header_{draw(header_numbers)}", draw(field_names))]


def _given_twice(draw, fields):
    name, value = draw(st.sampled_from(fields))
    return [*fields, (draw(st.sampled_from([name, name.upper(), name.title()])), value)]


def _unknown_parameter(draw, fields):
    return [*fields, (draw(st.text(max_size=10)), draw(values))]


def _random_value(draw, fields):
    index = draw(st.integers(0, len(fields) - 1))
    return [*fields[:index], (fields[index][0], draw(values)), *fields[index + 1 :]]


def _not_utf8(draw, fields):
    """Bytes that are not UTF-8, or a NUL, inside a value."""
    index = draw(st.integers(0, len(fields) - 1))
    name, value = fields[index]
    raw = value.encode() if isinstance(value, str) else value
    junk = draw(st.sampled_from([b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\x00", b"\xe2\x82"]))
    return [*fields[:index], (name, raw + junk + raw[:10]), *fields[index + 1 :]]


CHANGES = [
    _bad_credential,
    _option,
    _option,
    _option,
    _header_number,
    _given_twice,
    _unknown_parameter,
    _random_value,
    _not_utf8,
]


def urlencoded(fields) -> bytes:
    return "&".join(
        f"{urllib.parse.quote_plus(_bytes(name))}={urllib.parse.quote_plus(_bytes(value))}"
        for name, value in fields
    ).encode()


def multipart(fields) -> bytes:
    parts = []
    for name, value in fields:
        parts.append(
            b"--" + BOUNDARY.encode() + b"\r\n"
            b'Content-Disposition: form-data; name="'
            + _bytes(name)
            + b'"\r\n\r\n'
            + _bytes(value)
            + b"\r\n"
        )
    return b"".join(parts) + b"--" + BOUNDARY.encode() + b"--\r\n"


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value


@st.composite
def bodies(draw) -> tuple[bytes, str]:
    """(body, content type): the form encoded well or badly."""
    fields = draw(forms())
    kind = draw(st.sampled_from(["urlencoded", "urlencoded", "multipart", "raw", "mangled"]))
    if kind == "urlencoded":
        charset = draw(
            st.sampled_from(["", "; charset=utf-8", "; charset=latin-1", "; charset=bogus"])
        )
        return urlencoded(fields), "application/x-www-form-urlencoded" + charset
    if kind == "multipart":
        return multipart(fields), f"multipart/form-data; boundary={BOUNDARY}"
    body = urlencoded(fields)
    if kind == "raw":
        # Bytes as they are, without percent-encoding: NUL, CR, bytes above 127.
        junk = draw(st.binary(min_size=1, max_size=20))
        position = draw(st.integers(0, len(body)))
        body = body[:position] + junk + body[position:]
        return body, "application/x-www-form-urlencoded"
    cut = draw(st.integers(0, len(body)))
    content_type = draw(
        st.sampled_from(
            [
                "multipart/form-data",
                f"multipart/form-data; boundary={BOUNDARY}",
                "text/plain",
                "application/json",
                "",
            ]
        )
    )
    return body[:cut] + draw(st.sampled_from([b"", b"%", b"%zz", b"&&=", b"--"])), content_type


# --- checking one answer ------------------------------------------------------------------


@contextmanager
def no_hang(seconds: int = HANG_SECONDS):
    """Fail (instead of waiting for ever) when the block runs longer than `seconds`."""

    def hung(signum, frame):
        raise TimeoutError(f"the request took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


COUNTED = {
    "customers": Customer,
    "enrollments": Enrollment,
    "transactions": Transaction,
    "undo_states": UndoState,
    "request_ids": ImportRequest,
}


def database() -> dict[str, int]:
    """Each table's row count (one query for all: on PostgreSQL an example's cost is mostly
    round trips) and every customer's row."""
    counts = " UNION ALL ".join(
        f"SELECT {number}, COUNT(*) FROM {model._meta.db_table}"
        for number, model in enumerate(COUNTED.values())
    )
    with connection.cursor() as cursor:
        cursor.execute(counts)
        counted = dict(cursor.fetchall())
    return {
        **{name: counted[number] for number, name in enumerate(COUNTED)},
        "profiles": repr(list(Customer.objects.order_by("id").values_list())),
    }


def fresh_database(account) -> None:
    for model in (Transaction, Enrollment, UndoState, ImportRequest, Customer, AuthFailure):
        model.objects.all().delete()
    now = timezone.now()
    for code, card_number in (("C1", "K1"), ("C2", None)):
        make_customer(account=account, code=code, card_number=card_number, created_at=now)


def read_answer(response, body: bytes) -> dict:
    """The answer as {"status", "error" or "batch"}, whatever its format; fails unless the
    response is one the API may give."""
    assert response.status_code in STATUSES, (response.status_code, response.content[:300])
    assert response["X-Content-Type-Options"] == "nosniff"
    kind = TYPES[response["Content-Type"]]
    if kind == "xml":
        root = etree.fromstring(response.content)
        assert root.tag == "response" and root.get("status") in ("success", "error")
        answer = {"status": root.get("status")}
        if root.find("error") is not None:
            answer["error"] = root.findtext("error")
        batch = root.find("batch")
        if batch is not None:
            answer["batch"] = {
                "status": batch.get("status"),
                "customers": {e.tag: int(e.text) for e in batch.find("customers")},
                "errors": [int(e.get("line")) for e in batch.find("errors")],
            }
            if batch.find("errors_not_listed") is not None:
                answer["batch"]["errors_not_listed"] = int(batch.findtext("errors_not_listed"))
        return answer
    if kind == "jsonp":
        match = JSONP.match(response.content)
        assert match, response.content[:200]
        # JSONP only when the request asked for it.
        sent = urllib.parse.unquote_to_bytes(body.replace(b"+", b" "))
        assert b"callback" in sent.lower() and match.group(1) in sent
        assert response.status_code == 200
        data = json.loads(match.group(2))
    else:
        data = json.loads(response.content)
    assert data["status"] in ("success", "error")
    if "batch" in data:
        data["batch"]["errors"] = [error["line"] for error in data["batch"]["errors"]]
    return data


def check_writes(answer: dict, before: dict, after: dict) -> None:
    """Nothing changed unless the answer says the batch was imported; then exactly that."""
    batch = answer.get("batch")
    if batch is None or batch["status"] != "imported":
        assert after == before
        return
    counts = batch["customers"]
    written = counts["new"] + counts["updated"]
    assert after["customers"] - before["customers"] == counts["new"]
    assert after["undo_states"] - before["undo_states"] in (0, 1)
    assert after["request_ids"] - before["request_ids"] in (0, 1)
    assert 0 <= after["transactions"] - before["transactions"] <= written
    assert 0 <= after["enrollments"] - before["enrollments"] <= 2 * written
    if written == 0:
        # Only history: the undo state and the request_id of an import whose lines failed.
        unchanged = ("customers", "enrollments", "transactions", "profiles")
        assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}
    # One error or more per failing line (one per refused value), in line order; the
    # errors of the first LINE_ERRORS_LISTED failing lines listed, the other lines counted.
    assert batch["errors"] == sorted(batch["errors"])
    listed = min(counts["failed"], django_settings.LOYALTY["LINE_ERRORS_LISTED"])
    assert len(set(batch["errors"])) == listed
    assert batch.get("errors_not_listed", 0) == counts["failed"] - listed


@pytest.fixture
def send(client, account, user, campaigns):
    # Every example starts from fresh_database's rows. When the previous example left them
    # exactly so (every count and every customer's row equal), only its failed logins are
    # removed: rebuilding the same rows would cost a dozen queries per example for nothing.
    seen: dict[str, dict | None] = {"fresh": None, "left": None}

    def post(body: bytes, content_type: str) -> None:
        if seen["fresh"] is None or seen["left"] != seen["fresh"]:
            fresh_database(account)
            seen["fresh"] = database()
        else:
            AuthFailure.objects.all().delete()
        before = seen["fresh"]
        seen["left"] = None  # unknown until the answer is read: the next example rebuilds
        with no_hang():
            response = client.generic("POST", "/api", body, content_type=content_type)
        answer = read_answer(response, body)
        event(f"{response.status_code} {answer.get('batch', {}).get('status', answer['status'])}")
        after = database()
        seen["left"] = after
        check_writes(answer, before, after)

    return post


@examples
@given(fields=forms())
def test_any_form_gets_a_well_formed_answer_and_no_partial_write(send, fields):
    send(urlencoded(fields), "application/x-www-form-urlencoded")


@examples
@given(body=bodies())
def test_any_body_gets_a_well_formed_answer_and_no_partial_write(send, body):
    send(*body)


DATA_OPTIONS = ("overwrite_duplicates", "validate_only", "all_or_nothing", "card_number_generate")


@examples
@given(
    data=profiles_data(),
    headers=header_lists,
    options=st.fixed_dictionaries({}, optional={name: OPTIONAL[name] for name in DATA_OPTIONS}),
)
def test_any_data_is_imported_whole_or_reported_line_by_line(send, data, headers, options):
    fields = [
        ("user_id", USER_ID),
        ("user_password", PASSWORD),
        ("account_id", "greatwidgets"),
        ("type", "customers_batch"),
        ("delimiter", "pipe"),
        ("campaigns_to_include", POINTS),
        ("Profiles_Data", data),
        *((f"profiles_header_{n}", name) for n, name in enumerate(headers, start=1)),
        *options.items(),
    ]
    send(urlencoded(fields), "application/x-www-form-urlencoded")


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        pytest.param(b"%", "multipart/form-data", NO_BOUNDARY, id="no boundary"),
        pytest.param(
            b"type=customers_batch",
            f"multipart/form-data; boundary={BOUNDARY}",
            CUT_SHORT,
            id="not multipart",
        ),
        pytest.param(
            multipart([("type", "customers_batch")])[:-10],
            f"multipart/form-data; boundary={BOUNDARY}",
            None,
            id="cut short",
        ),
    ],
)
def test_a_multipart_body_that_cannot_be_read_is_a_request_error(
    client, user, data, content_type, message
):
    response = client.generic("POST", "/api", data, content_type=content_type)

    assert response.status_code == 400, response.content
    root = etree.fromstring(response.content)
    assert root.get("status") == "error"
    assert message is None or root.findtext("error") == message


@pytest.mark.parametrize(
    "name",
    [
        "user_id",
        "user_password",
        "account_id",
        "campaigns_to_include",
        "delimiter",
        "request_id",
        "profiles_header_1",
        "output",
        "callback",
        "overwrite_duplicates",
        "card_number_generate",
        "Profiles_Data",
    ],
)
def test_a_nul_character_in_any_parameter_is_refused_not_a_500(
    client, account, user, campaigns, name
):
    """PostgreSQL cannot hold NUL in text: a value with one must never reach a query."""
    fresh_database(account)
    before = database()
    params = dict(batch_params(data="C9|Ann", output="JSON"))
    params[name] = params.get(name, "x") + "\x00"
    body = urllib.parse.urlencode(params).encode()

    response = client.generic("POST", "/api", body, "application/x-www-form-urlencoded")

    answer = read_answer(response, body)
    if name == "Profiles_Data":  # a line error, like any control character in a value
        assert answer["batch"]["customers"]["failed"] == 1
    else:
        assert response.status_code in (400, 401), response.content
    check_writes(answer, before, database())
