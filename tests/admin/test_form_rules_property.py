"""Property: the admin's customer form and the import keep one set of rules. Customers saved
through the form export and import back unchanged, and for any value the form refuses
exactly what the API refuses, storing the same thing when both take it. A date is the
form's in the orders an import reads (14/07/1970 is sent to the API as 1970-07-14), and a
birthday in the future, which the contract's API takes, the form refuses."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from customers.columns import ADMIN_FORM_COLUMNS, IDENTITIES, MAX_LENGTHS
from customers.date_orders import read_typed_date
from customers.models import CUSTOM_FIELD_MAX_LENGTH, Customer
from customers.values import trimmed
from tests.admin.test_customer_admin import CHANGE_PERMISSIONS
from tests.commands.conftest import snapshot
from tests.conftest import API_KEY, POINTS

CUSTOM_FIELD_COUNT = 2
CUSTOM_FIELDS = tuple(f"custom_field_{n}" for n in range(1, CUSTOM_FIELD_COUNT + 1))
# The fields with rules of their own; every other text field the form edits is free text up
# to its maximum length (customers/columns.py, one list: a column added to the model is
# generated here too).
RULED_FIELDS = ("email", "custom_date")
TEXT_FIELDS = (
    *(
        column
        for column in ADMIN_FORM_COLUMNS
        if column in MAX_LENGTHS and column not in (*IDENTITIES, *RULED_FIELDS)
    ),
    *CUSTOM_FIELDS,
)
# What a file or a form makes hard: delimiters, quotes, line breaks, white space at either
# end (trimmed), control characters (refused), formulas, characters beyond ASCII.
PIECES = [
    ",",
    "|",
    "\t",
    '"',
    '""',
    "\n",
    "\r\n",
    "\r",
    " ",
    "\xa0",
    "\u3000",
    "\x0b",
    "\x85",
    "\x1f",
    "\x7f",
    "=1+1",
    "'",
    "+",
    "-",
    "@",
    ".",
    "é",
    "日本",
    "😀",
    "a",
    "Z",
    "0",
]
text = st.lists(
    st.sampled_from(PIECES) | st.text(st.characters(exclude_categories=("Cs",)), max_size=3),
    max_size=6,
).map("".join)


def around_limit(limit: int) -> st.SearchStrategy[str]:
    """Values of about `limit` characters, white space around some of them."""
    return st.tuples(
        st.sampled_from(["", " "]), st.integers(limit - 1, limit + 1), st.sampled_from(["", "\t"])
    ).map(lambda parts: parts[0] + "x" * parts[1] + parts[2])


def text_of(field: str) -> st.SearchStrategy[str]:
    limit = MAX_LENGTHS.get(field, CUSTOM_FIELD_MAX_LENGTH)
    return text | around_limit(limit)


emails = (
    st.lists(
        st.sampled_from(["ann", "@", ".", "example", "com", " ", "\n", "é", "a.b"]), max_size=6
    )
    .map("".join)
    .filter(lambda value: "\n" not in value.strip())
    | st.emails().map(str)
    | around_limit(MAX_LENGTHS["email"]).map(lambda value: value.replace("x", "a", 1) + "@b.co")
)
dates = (
    st.dates().map(datetime.date.isoformat)
    | st.lists(
        st.sampled_from(["2010", "-", "02", "30", "1", "/", " ", "0000", "13"]), max_size=5
    ).map("".join)
    | st.sampled_from(
        ["10/25/2006", "2010-02-30", " 1999-12-31 ", "2010-1-1", "0001-01-01", "14/07/1970"]
    )
    | st.sampled_from(["03/04/1970", "05/05/1970", "2999-01-01", "31.12.2999"])
)
# What the form saves, mostly: no control character, no value too long.
CONTROL_PIECES = {"\x0b", "\x85", "\x1f", "\x7f"}
plain_text = st.lists(
    st.sampled_from([piece for piece in PIECES if piece not in CONTROL_PIECES])
    | st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=3),
    max_size=6,
).map("".join)


def plain_text_of(field: str) -> st.SearchStrategy[str]:
    limit = MAX_LENGTHS.get(field, CUSTOM_FIELD_MAX_LENGTH)
    return plain_text.map(lambda value: value[:limit])


codes = st.sampled_from(["C1", "C2", " C3 ", "c,4", 'C"5', "C|6", "C\n7"])
card_numbers = st.sampled_from(["", "5001", "5002", " 0007 "])
profiles = st.fixed_dictionaries(
    {
        "code": codes,
        "card_number": card_numbers,
        # Every email an import takes, and some it refuses (the form must refuse them too).
        "email": st.sampled_from(["", "ann@example.com"]) | st.emails().map(str) | emails,
        "custom_date": st.sampled_from([""]) | dates,
        **{field: plain_text_of(field) for field in TEXT_FIELDS},
    }
)


@pytest.fixture
def form_client(client, account, staff_user):
    account.custom_field_count = CUSTOM_FIELD_COUNT
    account.save()
    client.force_login(staff_user(*CHANGE_PERMISSIONS))
    return client


def add_through_the_form(client, account, profile: dict) -> bool:
    """Post the admin's add form for `profile`; True if the customer was saved."""
    data = {**profile, "account": account.pk, "new_password": ""}
    response = client.post(reverse("admin:customers_customer_add"), data)
    assert response.status_code in (200, 302)
    return response.status_code == 302


# The customer of the report: an email saved on the customer page that the API refuses.
REPORTED = {
    "code": "C1",
    "card_number": "",
    "email": "not-an-email",
    "custom_date": "",
    **dict.fromkeys(TEXT_FIELDS, ""),
}


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    customers=st.lists(profiles, min_size=1, max_size=4),
    file_format=st.sampled_from(["csv", "psv", "tsv"]),
)
@example(customers=[REPORTED], file_format="csv")
def test_customers_saved_through_the_form_export_and_import_back_unchanged(
    form_client, account, campaigns, tmp_path, customers, file_format
):
    Customer.objects.all().delete()
    saved = sum(add_through_the_form(form_client, account, profile) for profile in customers)
    if not saved:
        return
    before = snapshot(account)
    path = tmp_path / f"export.{file_format}"
    call_command(
        "export_customers",
        "--account=greatwidgets",
        f"--format={file_format}",
        f"--output={path}",
        stderr=io.StringIO(),
    )
    out = io.StringIO()

    call_command(
        "import_customers",
        str(path),
        "--account=greatwidgets",
        f"--campaigns={POINTS}",
        f"--delimiter={ {'csv': 'comma', 'psv': 'pipe', 'tsv': 'tab'}[file_format] }",
        "--overwrite=update",
        "--first-line-headers",
        stdout=out,
        stderr=io.StringIO(),
    )

    assert f"0 new, {saved} updated, 0 ignored, 0 failed." in out.getvalue()
    assert snapshot(account) == before


def api_line(code: str, value: str) -> str:
    """One Profiles_Data line (pipe-delimited) of `code` and `value`, quoted."""
    line = io.StringIO()
    csv.writer(line, delimiter="|", quoting=csv.QUOTE_ALL, lineterminator="").writerow(
        [code, value]
    )
    return line.getvalue()


def values_of(field: str) -> st.SearchStrategy[tuple[str, str]]:
    special = {"email": emails, "custom_date": dates}
    strategy = special[field] if field in special else text_of(field)
    return st.tuples(st.just(field), strategy)


@hypothesis_settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(field_and_value=st.sampled_from([*RULED_FIELDS, *TEXT_FIELDS]).flatmap(values_of))
@example(field_and_value=("email", "not-an-email"))
@example(field_and_value=("custom_date", "14/07/1970"))
@example(field_and_value=("custom_date", "2999-01-01"))
def test_the_form_refuses_exactly_what_the_api_refuses_and_stores_the_same(
    form_client, account, post_batch, field_and_value
):
    field, value = field_and_value
    Customer.objects.all().delete()

    by_form = add_through_the_form(form_client, account, {"code": "F1", field: value})
    sent = value
    if field == "custom_date":
        typed = read_typed_date(trimmed(value))
        sent = typed.isoformat() if typed else value
    response = post_batch(
        ("code", field),
        api_line("A1", sent),
        API="1.5",
        user_password=None,
        user_api_key=API_KEY,
        output="JSON",
        allow_undo="no",
    )

    answer = response.json()
    assert response.status_code == 200, answer
    by_api = answer["batch"]["customers"]["failed"] == 0
    if by_api and field == "custom_date":
        date = Customer.objects.get(code="A1").custom_date
        by_api = date is None or date <= timezone.localdate()
    assert by_form == by_api, (value, answer)
    if by_form:
        stored = {
            customer.code: (
                customer.custom_fields.get(field)
                if field in CUSTOM_FIELDS
                else getattr(customer, field)
            )
            for customer in Customer.objects.all()
        }
        assert stored["F1"] == stored["A1"]
