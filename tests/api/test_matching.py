"""Matching: by code, else by card number; identity conflicts and taken usernames are line
errors, per account; generated codes and card numbers are unique and reported; a batch costs
the same number of queries at 10 rows as at 2,000."""

import json
import random
import threading

import pytest
from django.db import connection
from django.utils import timezone

from customers.batch import generate, write
from customers.batch import messages as m
from customers.models import Customer
from tests.conftest import EVENTS, POINTS
from tests.factories import make_customer

# Queries of one API import, whatever its size: authentication, campaigns, the undo state,
# per chunk the matching reads, the draws of generated values and the writes. Measured at
# 29 on PostgreSQL for both batches below; on SQLite 21 and 33, as its multi-row INSERTs
# hold 500 rows each (its bound-parameter limit). A query per row would cost thousands.
BATCH_QUERIES = 36


def batch(response) -> dict:
    assert response.status_code == 200
    return json.loads(response.content)["batch"]


def counts(response) -> dict:
    return batch(response)["customers"]


def customers(account=None) -> list[dict]:
    rows = Customer.objects.order_by("id")
    if account is not None:
        rows = rows.filter(account=account)
    return list(rows.values())


def is_generated_code(code: str) -> bool:
    return len(code) == 16 and code.isascii() and code.isdigit() and code[0] != "0"


def is_card_number(value: str, digits: int) -> bool:
    return len(value) == digits and value.isascii() and value.isdigit()


@pytest.fixture
def post(post_batch):
    """post(headers, data, **params) -> response, in JSON."""

    def post_json(headers, data, **extra):
        return post_batch(headers=headers, data=data, output="JSON", **extra)

    return post_json


# Matching by code, then by card number


def test_a_line_with_a_code_matches_the_customer_with_that_code(post, account):
    customer = make_customer(account=account, code="C1", card_number="1001", first_name="Jane")

    response = post(("code", "first_name"), "C1|Ann", overwrite_duplicates="update")

    assert counts(response) == {"new": 0, "updated": 1, "ignored": 0, "failed": 0}
    assert Customer.objects.get().pk == customer.pk
    assert Customer.objects.get().first_name == "Ann"


def test_a_matched_code_with_an_unheld_card_number_gets_that_card_number(post, account):
    make_customer(account=account, code="C1", card_number="1001", first_name="Jane")

    data = "C1|2002|Ann"
    response = post(("code", "card_number", "first_name"), data, overwrite_duplicates="update")

    assert counts(response)["updated"] == 1
    assert Customer.objects.get().card_number == "2002"


def test_a_line_without_a_code_matches_by_card_number(post, account):
    make_customer(account=account, code="C1", card_number="1001", first_name="Jane")

    data = "|1001|Ann"
    response = post(("code", "card_number", "first_name"), data, overwrite_duplicates="update")

    assert counts(response) == {"new": 0, "updated": 1, "ignored": 0, "failed": 0}
    customer = Customer.objects.get()
    assert (customer.code, customer.first_name) == ("C1", "Ann")
    assert batch(response)["generated"] == []


def test_a_card_number_header_alone_matches_by_card_number(post, account):
    make_customer(account=account, code="C1", card_number="1001", first_name="Jane")

    response = post(("card_number", "first_name"), "1001|Ann", overwrite_duplicates="update")

    assert counts(response)["updated"] == 1
    assert Customer.objects.get().first_name == "Ann"


@pytest.mark.parametrize("mode", ["ignore", "update", "yes"])
def test_code_and_card_number_of_two_different_customers_is_a_line_error(post, account, mode):
    make_customer(account=account, code="C1", card_number="1001", first_name="Jane")
    make_customer(account=account, code="C2", card_number="2002", first_name="Jane")
    before = customers()

    data = "C1|2002|Ann"
    response = post(("code", "card_number", "first_name"), data, overwrite_duplicates=mode)

    assert counts(response) == {"new": 0, "updated": 0, "ignored": 0, "failed": 1}
    assert batch(response)["errors"] == [
        {
            "line": 1,
            "field": "card_number",
            "message": m.CODE_AND_CARD_DISAGREE.format(code="C1", card_number="2002"),
        }
    ]
    assert customers() == before


def test_a_card_number_held_by_another_customer_is_a_line_error(post, account):
    make_customer(account=account, code="C1", card_number="1001", first_name="Jane")
    before = customers()

    response = post(("code", "card_number", "first_name"), "C3|1001|Ann")

    assert counts(response) == {"new": 0, "updated": 0, "ignored": 0, "failed": 1}
    assert batch(response)["errors"] == [
        {
            "line": 1,
            "field": "card_number",
            "message": m.CARD_NUMBER_TAKEN.format(card_number="1001"),
        }
    ]
    assert customers() == before


def test_a_card_number_an_earlier_line_gave_out_is_a_line_error(post):
    response = post(("code", "card_number"), "C1|5555\nC2|5555")

    assert counts(response) == {"new": 1, "updated": 0, "ignored": 0, "failed": 1}
    assert batch(response)["errors"] == [
        {
            "line": 2,
            "field": "card_number",
            "message": m.CARD_NUMBER_TAKEN.format(card_number="5555"),
        }
    ]
    assert list(Customer.objects.values_list("code", flat=True)) == ["C1"]


# Usernames


def test_a_new_customer_may_not_take_a_username_in_use(post, account):
    make_customer(account=account, code="C1", customer_username="jane", first_name="Jane")
    before = customers()

    response = post(("code", "customer_username"), "C3|jane")

    assert counts(response)["failed"] == 1
    assert batch(response)["errors"] == [
        {
            "line": 1,
            "field": "customer_username",
            "message": m.USERNAME_TAKEN.format(value="jane"),
        }
    ]
    assert customers() == before


def test_a_written_customer_may_not_take_another_customers_username(post, account):
    make_customer(account=account, code="C1", customer_username="jane", first_name="Jane")
    make_customer(account=account, code="C2", customer_username="bob", first_name="Jane")
    before = customers()

    response = post(("code", "customer_username"), "C2|jane", overwrite_duplicates="update")

    assert counts(response)["failed"] == 1
    assert batch(response)["errors"][0]["message"] == m.USERNAME_TAKEN.format(value="jane")
    assert customers() == before


def test_a_customer_may_be_sent_its_own_username(post, account):
    make_customer(account=account, code="C1", customer_username="jane", first_name="Jane")

    data = "C1|jane|Ann"
    response = post(("code", "customer_username", "first_name"), data, overwrite_duplicates="yes")

    assert counts(response)["updated"] == 1
    assert Customer.objects.get().customer_username == "jane"


def test_the_same_code_card_and_username_in_another_account_are_fine(post, account, other_account):
    make_customer(
        account=other_account,
        code="C1",
        card_number="1001",
        customer_username="jane",
        first_name="Jane",
    )
    theirs = customers(other_account)

    data = "C1|1001|jane|Ann"
    headers = ("code", "card_number", "customer_username", "first_name")
    response = post(headers, data, overwrite_duplicates="update")

    assert counts(response) == {"new": 1, "updated": 0, "ignored": 0, "failed": 0}
    ours = Customer.objects.get(account=account)
    assert (ours.code, ours.card_number, ours.customer_username) == ("C1", "1001", "jane")
    assert customers(other_account) == theirs


def test_a_card_number_in_another_account_does_not_match(post, account, other_account):
    make_customer(account=other_account, code="C1", card_number="1001", first_name="Jane")
    theirs = customers(other_account)

    response = post(("card_number", "first_name"), "1001|Ann", overwrite_duplicates="update")

    assert counts(response)["new"] == 1
    assert Customer.objects.get(account=account).card_number == "1001"
    assert customers(other_account) == theirs


# Generated codes


def test_a_new_customer_without_code_gets_a_generated_code_returned_with_its_line(post):
    response = post(("code", "first_name"), "|Ann\n\n|Bob")

    generated = batch(response)["generated"]
    assert [entry["line"] for entry in generated] == [1, 3]
    assert all(set(entry) == {"line", "code"} for entry in generated)
    assert all(is_generated_code(entry["code"]) for entry in generated)
    stored = dict(Customer.objects.values_list("code", "first_name"))
    assert stored == {generated[0]["code"]: "Ann", generated[1]["code"]: "Bob"}


def test_a_new_customer_gets_a_generated_code_when_no_header_names_code(post):
    response = post(("first_name",), "Ann")

    [entry] = batch(response)["generated"]
    assert is_generated_code(entry["code"])
    assert Customer.objects.get().code == entry["code"]


def test_generated_codes_and_card_numbers_are_unique_across_a_2000_row_batch(post):
    data = "\n".join(f"|Name{i}" for i in range(2000))

    response = post(("code", "first_name"), data, card_number_generate="6")

    assert counts(response)["new"] == 2000
    generated = batch(response)["generated"]
    assert len({entry["code"] for entry in generated}) == 2000
    assert len({entry["card_number"] for entry in generated}) == 2000
    assert all(is_generated_code(entry["code"]) for entry in generated)
    assert all(is_card_number(entry["card_number"], 6) for entry in generated)
    stored = set(Customer.objects.values_list("code", "card_number"))
    assert stored == {(entry["code"], entry["card_number"]) for entry in generated}


# Generated card numbers


def test_card_number_generate_gives_new_customers_n_digit_card_numbers(post):
    response = post(("code", "first_name"), "C1|Ann\nC2|Bob", card_number_generate="10")

    generated = batch(response)["generated"]
    assert [(entry["line"], entry["code"]) for entry in generated] == [(1, "C1"), (2, "C2")]
    assert all(is_card_number(entry["card_number"], 10) for entry in generated)
    stored = dict(Customer.objects.values_list("code", "card_number"))
    assert stored == {entry["code"]: entry["card_number"] for entry in generated}


def test_card_number_generate_gives_written_customers_without_a_card_one(post, account):
    make_customer(account=account, code="C1", first_name="Jane")
    make_customer(account=account, code="C2", card_number="2002", first_name="Jane")

    response = post(
        ("code", "first_name"),
        "C1|Ann\nC2|Bob",
        overwrite_duplicates="update",
        card_number_generate="8",
    )

    assert counts(response)["updated"] == 2
    [entry] = batch(response)["generated"]
    assert (entry["line"], entry["code"]) == (1, "C1")
    assert is_card_number(entry["card_number"], 8)
    stored = dict(Customer.objects.values_list("code", "card_number"))
    assert stored == {"C1": entry["card_number"], "C2": "2002"}


def test_card_number_generate_leaves_ignored_customers_without_a_card(post, account):
    make_customer(account=account, code="C1", first_name="Jane")

    response = post(("code", "first_name"), "C1|Ann", card_number_generate="8")

    assert counts(response)["ignored"] == 1
    assert batch(response)["generated"] == []
    assert Customer.objects.get().card_number is None


def test_lines_with_a_card_number_keep_theirs(post):
    data = "C1|5555|Ann\nC2||Bob"

    response = post(("code", "card_number", "first_name"), data, card_number_generate="8")

    [entry] = batch(response)["generated"]
    assert (entry["line"], entry["code"]) == (2, "C2")
    assert Customer.objects.get(code="C1").card_number == "5555"
    assert Customer.objects.get(code="C2").card_number == entry["card_number"]


def test_generation_never_hands_out_a_card_number_an_existing_customer_holds(post, account):
    now = timezone.now()
    held = {f"{n:04d}" for n in random.sample(range(10_000), 200)}
    Customer.objects.bulk_create(
        Customer(account=account, code=f"OLD{i}", card_number=card, created_at=now, updated_at=now)
        for i, card in enumerate(sorted(held))
    )
    data = "\n".join(f"NEW{i}|Name" for i in range(500))

    response = post(("code", "first_name"), data, card_number_generate="4")

    assert counts(response)["new"] == 500
    handed_out = [entry["card_number"] for entry in batch(response)["generated"]]
    assert len(set(handed_out)) == 500
    assert all(is_card_number(card, 4) for card in handed_out)
    assert not set(handed_out) & held


def hold_card_numbers(account, card_numbers) -> None:
    """Customers of `account` holding exactly `card_numbers`."""
    now = timezone.now()
    Customer.objects.bulk_create(
        (
            Customer(
                account=account, code=f"OLD{card}", card_number=card, created_at=now, updated_at=now
            )
            for card in card_numbers
        ),
        batch_size=2000,
    )


ALL_4_DIGIT_CARD_NUMBERS = [f"{n:04d}" for n in range(10_000)]


def test_card_number_generate_4_gives_each_of_5000_new_customers_a_card_number(
    post, django_assert_max_num_queries
):
    data = "\n".join(f"|Name{i}" for i in range(5000))

    with django_assert_max_num_queries(BATCH_QUERIES):
        response = post(("code", "first_name"), data, card_number_generate="4")

    assert counts(response) == {"new": 5000, "updated": 0, "ignored": 0, "failed": 0}
    handed_out = [entry["card_number"] for entry in batch(response)["generated"]]
    assert len(set(handed_out)) == 5000
    assert all(is_card_number(card, 4) for card in handed_out)
    assert set(Customer.objects.values_list("card_number", flat=True)) == set(handed_out)


def test_the_last_free_card_numbers_are_handed_out(post, account):
    # Leading zeros count: "0042" is one of the 10,000 4-digit card numbers.
    free = {"0042", random.choice(ALL_4_DIGIT_CARD_NUMBERS[43:])}
    hold_card_numbers(account, sorted(set(ALL_4_DIGIT_CARD_NUMBERS) - free))

    response = post(("code", "first_name"), "N1|Ann\nN2|Bob", card_number_generate="4")

    assert counts(response) == {"new": 2, "updated": 0, "ignored": 0, "failed": 0}
    assert {entry["card_number"] for entry in batch(response)["generated"]} == free
    assert (
        set(Customer.objects.filter(code__in=["N1", "N2"]).values_list("card_number", flat=True))
        == free
    )


def test_only_the_lines_beyond_a_used_up_card_number_space_fail(post, account):
    hold_card_numbers(account, [card for card in ALL_4_DIGIT_CARD_NUMBERS if card != "7315"])

    response = post(("code", "first_name"), "N1|Ann\nOLD0001|Bob\nN3|Cy", card_number_generate="4")

    assert counts(response) == {"new": 1, "updated": 0, "ignored": 1, "failed": 1}
    message = m.NO_FREE_CARD_NUMBER.format(digits=4)
    assert batch(response)["errors"] == [{"line": 3, "field": "card_number", "message": message}]
    assert Customer.objects.get(code="N1").card_number == "7315"
    assert not Customer.objects.filter(code="N3").exists()
    assert Customer.objects.count() == 10_000


def test_a_nearly_full_card_number_space_is_used_up_across_chunks(post, account, settings):
    # Numbers a chunk drew but did not hand out are free again for the next chunk.
    settings.LOYALTY = {**settings.LOYALTY, "IMPORT_CHUNK_ROWS": 2}
    free = set(random.sample(ALL_4_DIGIT_CARD_NUMBERS, 5))
    held = sorted(set(ALL_4_DIGIT_CARD_NUMBERS) - free)
    hold_card_numbers(account, held)
    # Every chunk has a line matching a customer that keeps its card number.
    data = "\n".join(f"N{i}|Ann\nOLD{held[i]}|Old" for i in range(5))

    response = post(
        ("code", "first_name"), data, overwrite_duplicates="update", card_number_generate="4"
    )

    assert counts(response) == {"new": 5, "updated": 5, "ignored": 0, "failed": 0}
    assert {entry["card_number"] for entry in batch(response)["generated"]} == free


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_free_card_number_a_concurrent_import_takes_first_is_not_handed_out_twice(
    post, account, monkeypatch
):
    free = {"0042", "4200"}
    hold_card_numbers(account, sorted(set(ALL_4_DIGIT_CARD_NUMBERS) - free))
    original = write.insert_customers
    taken_concurrently = []

    def insert_customers(**arguments):
        # Between our draw and our write, another import commits the number we drew.
        if not taken_concurrently and arguments["records"]:
            [record] = arguments["records"]
            taken_concurrently.append(record["card_number"])
            _commit_elsewhere(account, code="OTHER", card_number=record["card_number"])
        return original(**arguments)

    monkeypatch.setattr(write, "insert_customers", insert_customers)

    response = post(("code", "first_name"), "N1|Ann", card_number_generate="4")

    assert counts(response) == {"new": 1, "updated": 0, "ignored": 0, "failed": 0}
    [other] = taken_concurrently
    assert Customer.objects.get(code="OTHER").card_number == other
    assert Customer.objects.get(code="N1").card_number == (free - {other}).pop()


def _commit_elsewhere(account, **fields) -> None:
    """Create a customer from another thread's connection, committed at once."""

    def other() -> None:
        try:
            now = timezone.now()
            Customer.objects.create(account=account, created_at=now, updated_at=now, **fields)
        finally:
            connection.close()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(10)


@pytest.mark.parametrize("digits", [4, 5, 7, 16, 32])
def test_counting_the_free_card_numbers_hands_out_only_free_ones(
    account, monkeypatch, django_assert_max_num_queries, digits
):
    # The fallback of a dense space, taken at once (no random rounds), for every length.
    monkeypatch.setattr(generate, "DRAW_ROUNDS", 0)
    held = {f"{n:0{digits}d}" for n in range(0, 400, 2)} | {f"{10**digits - 1}"}
    hold_card_numbers(account, sorted(held))
    taken_in_chunk = {f"{n:0{digits}d}" for n in range(1, 400, 4)}
    generator = generate.IdentityGenerator(account=account, digits=digits)

    with django_assert_max_num_queries(1):
        generator.prepare(
            codes=0, card_numbers=300, taken_codes=(), taken_card_numbers=taken_in_chunk
        )

    handed_out = [generator.card_number() for _ in range(300)]
    assert generator.card_number() is None
    assert len(set(handed_out)) == 300
    assert all(is_card_number(card, digits) for card in handed_out)
    assert not set(handed_out) & (held | taken_in_chunk)


# Query count


@pytest.mark.parametrize("size", [10, 2000])
def test_a_batch_costs_the_same_number_of_queries_whatever_its_size(
    post, account, django_assert_max_num_queries, size
):
    now = timezone.now()
    Customer.objects.bulk_create(
        Customer(account=account, code=f"C{i}", created_at=now, updated_at=now)
        for i in range(0, size, 2)
    )
    # Half the lines write existing customers, half create customers with generated codes;
    # every line credits and is enrolled in two campaigns.
    data = "\n".join(f"C{i}|Ann|5" if i % 2 == 0 else "|Bob|5" for i in range(size))

    with django_assert_max_num_queries(BATCH_QUERIES):
        response = post(
            ("code", "first_name", "auto_add"),
            data,
            overwrite_duplicates="update",
            card_number_generate="12",
            campaigns_to_include=f"{POINTS}|,|{EVENTS}",
        )

    assert counts(response) == {"new": size // 2, "updated": size // 2, "ignored": 0, "failed": 0}


def test_card_numbers_drawn_from_a_dense_space_come_in_random_order(post, account):
    hold_card_numbers(account, ALL_4_DIGIT_CARD_NUMBERS[:8000])
    # Enough lines that the free numbers are counted and drawn from exactly.
    data = "\n".join(f"D{i}|Name" for i in range(1500))

    response = post(("code", "first_name"), data, card_number_generate="4")

    generated = json.loads(response.content)["batch"]["generated"]
    numbers = [int(item["card_number"]) for item in sorted(generated, key=lambda g: g["line"])]
    assert len(numbers) == 1500 and all(number >= 8000 for number in numbers)
    # In random order about half the steps go down (749.5 on average, 19 standard
    # deviation); the nearly sorted draw made most go down, line 1 the highest number.
    descending = sum(a > b for a, b in zip(numbers, numbers[1:], strict=False))
    assert 600 < descending < 900
