"""ChunkMatcher (customers/batch/match.py): a chunk's CustomerRows and LineErrors -> its
ChunkPlan, against the account's customers: a code matches first, then a card number; the
overwrite mode decides what a matched line writes; identity and username conflicts are line
errors; lines are taken in order, as if sent one by one; codes and card numbers made up are
listed in `generated`; credits are planned for created and written lines only."""

from decimal import Decimal

import pytest
from django.utils import timezone

from campaigns.credits import Credit
from campaigns.models import Campaign
from customers.batch import messages as m
from customers.batch.generate import CODE_DIGITS, IdentityGenerator
from customers.batch.match import ChunkMatcher, ChunkPlan
from customers.batch.rows import RowCleaner
from customers.batch.types import (
    BatchRequest,
    CustomerRecord,
    CustomerRow,
    GeneratedIdentity,
    LineError,
    OverwriteMode,
)
from customers.columns import BLANK_PROFILE, IMPORT_COLUMNS
from customers.models import Customer
from tests.factories import full_profile, make_customer

IGNORE, UPDATE, YES = OverwriteMode.IGNORE, OverwriteMode.UPDATE, OverwriteMode.YES
CAMPAIGN_ID = "898989889"
# customers_for_import reads a chunk with one query for up to 100 values, else one per
# field (code, card number, username): a chunk never costs more, whatever its size.
MATCH_QUERIES = 3


def rows(headers: tuple[str, ...], *lines: str) -> list[CustomerRow | LineError]:
    """The chunk RowCleaner makes of pipe-separated `lines`, numbered from 1."""
    request = BatchRequest(
        api_version="1.5",
        delimiter="|",
        overwrite=UPDATE,
        record_undo=True,
        card_number_digits=None,
        campaign_ids=(CAMPAIGN_ID,),
        headers=headers,
        data="",
    )
    cleaner = RowCleaner(request, Campaign(campaign_id=CAMPAIGN_ID, type=Campaign.Type.POINTS))
    chunk: list[CustomerRow | LineError] = []
    for number, line in enumerate(lines, start=1):
        cleaned = cleaner.clean(number, line.split("|"))
        chunk.extend(cleaned) if isinstance(cleaned, list) else chunk.append(cleaned)
    return chunk


def plan(
    account, mode: OverwriteMode, chunk: list[CustomerRow | LineError], digits: int | None = None
) -> ChunkPlan:
    generator = IdentityGenerator(account=account, digits=digits)
    return ChunkMatcher(account=account, overwrite=mode, generator=generator).plan(chunk)


def stored(customer: Customer) -> CustomerRecord:
    """The customer's record as the ORM reads its import columns."""
    return Customer.objects.filter(pk=customer.pk).values(*IMPORT_COLUMNS).get()


def new_record(code: str, **values) -> dict:
    return {**BLANK_PROFILE, "code": code, "card_number": None, "version": 1, **values}


def counts(result: ChunkPlan) -> tuple[int, int, int]:
    return result.new, result.updated, result.ignored


# New customers


@pytest.mark.parametrize("mode", list(OverwriteMode))
def test_a_new_code_is_planned_as_an_insert_of_a_blank_profile_with_the_lines_values(account, mode):
    result = plan(account, mode, rows(("code", "first_name", "email"), "C9|Ann|ann@example.com"))

    assert result.inserts == {"C9": new_record("C9", first_name="Ann", email="ann@example.com")}
    assert (result.updates, result.previous, result.unchanged) == ({}, {}, {})
    assert counts(result) == (1, 0, 0)
    assert (result.generated, result.errors) == ([], [])


def test_a_new_customer_keeps_the_card_number_of_its_line(account):
    result = plan(account, UPDATE, rows(("code", "card_number"), "C9|5555"))

    assert result.inserts == {"C9": new_record("C9", card_number="5555")}
    assert result.generated == []


# Overwrite modes against an existing code


def test_ignore_mode_plans_nothing_for_a_matched_code_and_counts_it_ignored(account):
    make_customer(account=account, **full_profile())

    result = plan(account, IGNORE, rows(("code", "first_name"), "C1|Ann"))

    assert (result.inserts, result.updates, result.previous, result.unchanged) == ({}, {}, {}, {})
    assert counts(result) == (0, 0, 1)


def test_update_mode_writes_only_the_headers_columns(account):
    customer = make_customer(account=account, **full_profile())
    before = stored(customer)

    # An empty value clears its field: email here.
    result = plan(account, UPDATE, rows(("code", "first_name", "email"), "C1|Ann|"))

    assert result.updates == {
        "C1": {**before, "first_name": "Ann", "email": "", "version": before["version"] + 1}
    }
    assert result.previous == {customer.pk: before}
    assert (result.inserts, result.unchanged) == ({}, {})
    assert counts(result) == (0, 1, 0)


def test_yes_mode_blanks_every_profile_column_outside_the_headers(account):
    customer = make_customer(account=account, **full_profile())
    before = stored(customer)

    result = plan(account, YES, rows(("code", "first_name"), "C1|Ann"))

    written = result.updates["C1"]
    assert written == {
        **BLANK_PROFILE,
        "id": customer.pk,
        "code": "C1",
        "card_number": "1001",  # an identity: never blanked
        "first_name": "Ann",
        "version": before["version"] + 1,
    }
    # The blanks are the model's empty values: NULL where the column is nullable.
    assert (written["customer_username"], written["custom_date"]) == (None, None)
    assert (written["customer_password"], written["customer_pin"]) == ("", "")
    assert written["custom_fields"] == {}
    assert result.previous == {customer.pk: before}
    assert counts(result) == (0, 1, 0)


@pytest.mark.parametrize("mode", [UPDATE, YES])
def test_an_empty_card_number_keeps_the_stored_one(account, mode):
    make_customer(account=account, **full_profile())

    result = plan(account, mode, rows(("code", "card_number", "first_name"), "C1||Ann"))

    assert result.updates["C1"]["card_number"] == "1001"


def test_api_1_5_custom_fields_are_written_by_name_and_a_blank_one_removes_its_key(account):
    make_customer(
        account=account, custom_fields={"custom_field_1": "blue", "custom_field_2": "tall"}
    )

    result = plan(account, UPDATE, rows(("code", "custom_field_1", "custom_field_3"), "C1||x"))

    written = result.updates["C1"]
    assert written["custom_fields"] == {"custom_field_2": "tall", "custom_field_3": "x"}
    assert "custom_field_1" not in written and "custom_field_3" not in written


# Matching by card number


def test_a_line_without_a_code_matches_the_customer_holding_its_card_number(account):
    customer = make_customer(account=account, **full_profile())
    before = stored(customer)

    result = plan(account, UPDATE, rows(("code", "card_number", "first_name"), "|1001|Ann"))

    assert result.updates == {"C1": {**before, "first_name": "Ann", "version": 2}}
    assert result.inserts == {}
    assert result.generated == []


# Identity and username conflicts


@pytest.mark.parametrize("mode", list(OverwriteMode))
def test_code_and_card_number_of_two_customers_is_a_line_error_in_every_mode(account, mode):
    make_customer(account=account, code="C1", card_number="1001")
    make_customer(account=account, code="C2", card_number="2002")

    result = plan(account, mode, rows(("code", "card_number"), "C5|5555", "C1|2002"))

    message = m.CODE_AND_CARD_DISAGREE.format(code="C1", card_number="2002")
    assert result.errors == [LineError(2, "card_number", message)]
    assert (list(result.inserts), result.updates, result.unchanged) == (["C5"], {}, {})
    assert counts(result) == (1, 0, 0)


def test_a_new_code_with_a_card_number_another_customer_holds_is_a_line_error(account):
    make_customer(account=account, code="C1", card_number="1001")

    result = plan(account, UPDATE, rows(("code", "card_number"), "C9|1001"))

    message = m.CARD_NUMBER_TAKEN.format(card_number="1001")
    assert result.errors == [LineError(1, "card_number", message)]
    assert (result.inserts, result.updates) == ({}, {})
    assert counts(result) == (0, 0, 0)


@pytest.mark.parametrize("line", ["C9|jane", "C2|jane"], ids=["new customer", "written customer"])
def test_a_username_another_customer_holds_is_a_line_error(account, line):
    make_customer(account=account, code="C1", customer_username="jane")
    make_customer(account=account, code="C2")

    result = plan(account, UPDATE, rows(("code", "customer_username"), line))

    message = m.USERNAME_TAKEN.format(value="jane")
    assert result.errors == [LineError(1, "customer_username", message)]
    assert (result.inserts, result.updates, result.unchanged) == ({}, {}, {})
    assert counts(result) == (0, 0, 0)


def test_a_long_username_is_cut_in_its_line_error(account):
    taken = "j" * (m.SHOWN_VALUE_LIMIT + 5)
    make_customer(account=account, code="C1", customer_username=taken)

    result = plan(account, UPDATE, rows(("code", "customer_username"), f"C9|{taken}"))

    message = m.USERNAME_TAKEN.format(value="j" * m.SHOWN_VALUE_LIMIT + "…")
    assert result.errors == [LineError(1, "customer_username", message)]


def test_a_card_number_an_earlier_line_gave_up_stays_reserved_for_the_chunk(account):
    make_customer(account=account, code="C1", card_number="1001")

    result = plan(account, UPDATE, rows(("code", "card_number"), "C1|5555", "C9|1001"))

    message = m.CARD_NUMBER_TAKEN.format(card_number="1001")
    assert result.errors == [LineError(2, "card_number", message)]
    assert result.inserts == {}
    assert result.updates["C1"]["card_number"] == "5555"


def test_a_line_without_code_does_not_match_a_card_number_an_earlier_line_gave_up(account):
    make_customer(account=account, code="C1", card_number="1001", first_name="Jane")

    result = plan(
        account, UPDATE, rows(("code", "card_number", "first_name"), "C1|5555|Jane", "|1001|Bob")
    )

    message = m.CARD_NUMBER_TAKEN.format(card_number="1001")
    assert result.errors == [LineError(2, "card_number", message)]
    assert result.updates["C1"]["card_number"] == "5555"
    assert result.updates["C1"]["first_name"] == "Jane"


def test_errors_of_the_rows_and_of_the_matching_come_back_in_line_order(account):
    make_customer(account=account, code="C1", card_number="1001")
    chunk = rows(
        ("code", "card_number", "custom_date"),
        "C7|1001|",
        "C8||04-03-2010",
        "C9|1001|",
        "C10||",
    )

    result = plan(account, UPDATE, chunk)

    taken = m.CARD_NUMBER_TAKEN.format(card_number="1001")
    assert result.errors == [
        LineError(1, "card_number", taken),
        LineError(2, "custom_date", m.BAD_DATE_FORMAT.format(value="04-03-2010")),
        LineError(3, "card_number", taken),
    ]
    assert list(result.inserts) == ["C10"]


# Lines that change nothing


@pytest.mark.parametrize("mode", [UPDATE, YES])
def test_a_line_that_changes_nothing_is_counted_updated_but_only_listed_unchanged(account, mode):
    customer = make_customer(account=account, first_name="Ann", customer_username="ann")

    result = plan(
        account, mode, rows(("code", "first_name", "customer_username", "auto_add"), "C1|Ann|ann|5")
    )

    assert result.unchanged == {"C1": customer.pk}
    assert (result.updates, result.previous, result.inserts) == ({}, {}, {})
    assert counts(result) == (0, 1, 0)
    assert result.credits == [("C1", Credit(Decimal("5.00")))]
    assert result.errors == []


def test_a_line_that_changes_nothing_then_one_that_does_write_the_customer_once(account):
    customer = make_customer(account=account, first_name="Ann")
    before = stored(customer)

    result = plan(account, UPDATE, rows(("code", "first_name"), "C1|Ann", "C1|Annie"))

    assert result.unchanged == {}
    assert result.updates == {"C1": {**before, "first_name": "Annie", "version": 2}}
    assert result.previous == {customer.pk: before}
    assert counts(result) == (0, 2, 0)


def test_a_line_that_repeats_what_an_earlier_line_wrote_leaves_it_written(account):
    make_customer(account=account, first_name="Jane")

    result = plan(account, UPDATE, rows(("code", "first_name"), "C1|Ann", "C1|Ann"))

    assert result.unchanged == {}
    assert result.updates["C1"]["first_name"] == "Ann"


# Several lines for one customer


def test_later_lines_for_one_customer_win_as_if_sent_one_by_one(account):
    customer = make_customer(account=account, **full_profile())
    before = stored(customer)
    chunk = rows(("code", "card_number", "first_name"), "C1|5555|Ann", "C1||Annie")

    result = plan(account, UPDATE, chunk)

    # One write with both lines' values; the version counts both writes; undo keeps the
    # customer as it was before the first.
    assert result.updates == {
        "C1": {**before, "card_number": "5555", "first_name": "Annie", "version": 3}
    }
    assert result.previous == {customer.pk: before}
    assert counts(result) == (0, 2, 0)


def test_a_later_line_writes_a_customer_an_earlier_line_of_the_chunk_created(account):
    chunk = rows(("code", "card_number", "first_name"), "C9|5555|Ann", "|5555|Annie")

    result = plan(account, UPDATE, chunk)

    assert result.inserts == {"C9": new_record("C9", card_number="5555", first_name="Annie")}
    assert (result.updates, result.previous, result.unchanged) == ({}, {}, {})
    assert counts(result) == (1, 1, 0)


def test_ignore_mode_ignores_a_later_line_for_a_customer_an_earlier_line_created(account):
    result = plan(account, IGNORE, rows(("code", "first_name"), "C9|Ann", "C9|Annie"))

    assert result.inserts == {"C9": new_record("C9", first_name="Ann")}
    assert counts(result) == (1, 0, 1)


def test_yes_mode_a_later_line_blanks_what_an_earlier_line_wrote(account):
    make_customer(account=account, **full_profile())

    result = plan(account, YES, rows(("code", "first_name", "last_name"), "C1|Ann|", "C1||Lee"))

    written = result.updates["C1"]
    assert (written["first_name"], written["last_name"], written["email"]) == ("", "Lee", "")


# Generated codes and card numbers


def is_code(value: str) -> bool:
    return len(value) == CODE_DIGITS and value.isdigit() and value[0] != "0"


def test_a_new_customer_without_code_gets_a_generated_code_listed_with_its_line(account):
    result = plan(account, UPDATE, rows(("code", "first_name"), "C8|Bob", "|Ann"))

    [generated] = result.generated
    assert generated == GeneratedIdentity(2, generated.code, None)
    assert generated.code is not None and is_code(generated.code)
    assert result.inserts[generated.code] == new_record(generated.code, first_name="Ann")
    assert list(result.inserts) == ["C8", generated.code]


def test_card_number_generate_lists_every_customer_given_a_made_up_identity(account):
    make_customer(account=account, code="C1", card_number="1001")
    make_customer(account=account, code="C2")
    chunk = rows(("code", "first_name"), "|Ann", "C9|Bob", "C1|Cy", "C2|Di")

    result = plan(account, UPDATE, chunk, digits=8)

    first, second, fourth = result.generated
    assert [entry.line for entry in result.generated] == [1, 2, 4]
    assert first.code is not None and is_code(first.code)
    assert (second.code, fourth.code) == ("C9", "C2")
    cards = [entry.card_number for entry in result.generated]
    assert all(card is not None and len(card) == 8 and card.isdigit() for card in cards)
    assert len(set(cards)) == 3
    assert result.inserts[first.code]["card_number"] == first.card_number
    assert result.inserts["C9"]["card_number"] == second.card_number
    assert result.updates["C2"]["card_number"] == fourth.card_number
    assert result.updates["C1"]["card_number"] == "1001"


def test_card_number_generate_gives_ignored_customers_nothing(account):
    make_customer(account=account, code="C2")

    result = plan(account, IGNORE, rows(("code",), "C2"), digits=8)

    assert (result.generated, result.updates) == ([], {})
    assert counts(result) == (0, 0, 1)


# Credits


@pytest.mark.parametrize(
    ("mode", "credited"),
    [
        (IGNORE, [("C9", Credit(Decimal("7.00")))]),
        (UPDATE, [("C1", Credit(Decimal("5.00"))), ("C9", Credit(Decimal("7.00")))]),
        (YES, [("C1", Credit(Decimal("5.00"))), ("C9", Credit(Decimal("7.00")))]),
    ],
)
def test_credits_are_planned_for_created_and_written_lines_not_ignored_ones(
    account, mode, credited
):
    make_customer(account=account, code="C1", card_number="1001")
    make_customer(account=account, code="C2", card_number="2002")
    chunk = rows(
        ("code", "card_number", "auto_add"),
        "C1||5",
        "C2|1001|6",  # a line error: credits nothing
        "C9||7",
        "C10||",  # no auto_add: credits nothing
    )

    result = plan(account, mode, chunk)

    assert result.credits == credited
    assert [error.line for error in result.errors] == [2]


# Queries


@pytest.mark.parametrize("size", [10, 300])
def test_a_chunk_costs_a_fixed_number_of_queries_whatever_its_size(
    account, django_assert_max_num_queries, size
):
    now = timezone.now()
    Customer.objects.bulk_create(
        Customer(account=account, code=f"C{i}", card_number=f"{i}", created_at=now, updated_at=now)
        for i in range(0, size, 2)
    )
    # Half the lines write existing customers, half create customers; every line names a
    # code, a card number and a username.
    chunk = rows(
        ("code", "card_number", "customer_username", "first_name"),
        *(f"C{i}|{i}|user{i}|Ann" for i in range(size)),
    )

    with django_assert_max_num_queries(MATCH_QUERIES):
        result = plan(account, UPDATE, chunk)

    assert counts(result) == (size // 2, size // 2, 0)
    assert result.errors == []
