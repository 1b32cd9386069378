"""The admin search finds a word whatever the case of its letters, accented ones too, on
SQLite as on PostgreSQL (shop owner: "AMÉLIE" found no "amélie" on SQLite, whose LIKE folds
ASCII only); what a searched word holds is matched as itself, GLOB's and LIKE's wildcards
included. Accents: tests/admin/test_search_accents.py."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.search_lookup import glob_contains, letter_class, narrowing_likes
from tests.admin import result_ids
from tests.factories import make_campaign, make_customer

CUSTOMERS = reverse("admin:customers_customer_changelist")
CAMPAIGNS = reverse("admin:campaigns_campaign_changelist")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user("view_customer", "view_campaign"))
    return client


def found_names(client, term: str, url: str = CUSTOMERS) -> set[str]:
    response = client.get(url, {"q": term})
    assert response.status_code == 200
    return {row.first_name for row in response.context["cl"].result_list}


@pytest.mark.parametrize(
    ("term", "stored"),
    [
        ("AMÉLIE", "amélie"),
        ("amélie", "AMÉLIE"),
        ("Émile", "émile"),
        ("émile", "Émile"),
        ("ÇA", "ça"),
        ("ΟΔΟΣ", "οδος"),
        ("ЖЕНЯ", "женя"),
    ],
)
def test_a_capital_accented_letter_finds_its_small_letter_and_back(
    staff_client, account, term, stored
):
    make_customer(account=account, code="A1", first_name=stored)
    make_customer(account=account, code="Z9", first_name="Zoe")

    assert found_names(staff_client, term) == {stored}


def test_a_word_mixing_ascii_and_accented_letters_is_found_in_any_case(staff_client, account):
    make_customer(account=account, code="A1", first_name="Amélie", last_name="Poulain")
    make_customer(account=account, code="A2", first_name="Amelie")
    make_customer(account=account, code="A3", first_name="Aimée")

    assert found_names(staff_client, "aMÉlIe") == {"Amélie", "Amelie"}
    # Each word in any of the searched fields, every word in the customer.
    assert found_names(staff_client, "POULAIN amÉlie") == {"Amélie"}
    assert found_names(staff_client, "poulain aimée") == set()


def test_a_quoted_phrase_with_accents_is_one_word_found_in_any_case(staff_client, account):
    make_customer(account=account, code="A1", first_name="Marie Hélène")
    make_customer(account=account, code="A2", first_name="Hélène Marie")

    assert found_names(staff_client, '"MARIE HÉLÈNE"') == {"Marie Hélène"}
    assert found_names(staff_client, "MARIE HÉLÈNE") == {"Marie Hélène", "Hélène Marie"}


def test_an_accented_word_is_found_in_each_searched_field(staff_client, account):
    make_customer(account=account, code="CÉ1", card_number="É5001", first_name="A")
    make_customer(account=account, code="C2", last_name="Lefèvre", first_name="B")
    make_customer(account=account, code="C3", email="zoé@example.com", first_name="C")
    make_customer(account=account, code="C4", phone="№ 5", first_name="D")

    assert found_names(staff_client, "cé1") == {"A"}
    assert found_names(staff_client, "é5001") == {"A"}
    assert found_names(staff_client, "LEFÈVRE") == {"B"}
    assert found_names(staff_client, "ZOÉ@EXAMPLE") == {"C"}
    assert found_names(staff_client, "№") == {"D"}


@pytest.mark.parametrize("special", ["*", "?", "[", "]", "[x]", "%", "_", "\\"])
def test_a_wildcard_in_an_accented_word_is_matched_as_itself(staff_client, account, special):
    make_customer(account=account, code="W1", first_name=f"Zoé{special}")
    # What the word would find if its character were a wildcard.
    for n, other in enumerate(["Zoéx", "Zoé", "Zoé-"]):
        make_customer(account=account, code=f"O{n}", first_name=other)

    assert found_names(staff_client, f"ZOÉ{special}") == {f"Zoé{special}"}


@pytest.mark.parametrize("special", ["*", "?", "[", "]", "%", "_"])
def test_a_wildcard_in_an_ascii_word_is_matched_as_itself(staff_client, account, special):
    make_customer(account=account, code="W1", first_name=f"Zoe{special}")
    for n, other in enumerate(["Zoex", "Zoe", "Zoe-"]):
        make_customer(account=account, code=f"O{n}", first_name=other)

    assert found_names(staff_client, f"ZOE{special}") == {f"Zoe{special}"}


@pytest.mark.parametrize(
    ("term", "stored"),
    [("straße", "Straße"), ("İstanbul", "İstanbul"), ("ﬁnn", "ﬁnn"), ("ǅemal", "ǆemal")],
)
def test_a_letter_whose_case_is_not_one_letter_finds_itself(staff_client, account, term, stored):
    make_customer(account=account, code="A1", first_name=stored)
    make_customer(account=account, code="Z9", first_name="Zoe")

    assert found_names(staff_client, term) == {stored}


def test_the_phone_search_still_finds_digits_beside_an_accented_word(staff_client, account):
    spaced = make_customer(account=account, code="P1", first_name="Zoé", phone="06 12 34 56")
    make_customer(account=account, code="P2", first_name="Zoe", phone="07 12 34 56")

    assert result_ids(staff_client.get(CUSTOMERS, {"q": "0612"})) == {spaced.pk}
    assert found_names(staff_client, "ZOÉ 06") == {"Zoé"}


def test_a_word_of_letters_without_other_forms_is_searched_with_like_as_before(
    staff_client, account
):
    # b, f, m, p, q, v and x have no accented forms: LIKE (or UPPER ... LIKE) finds them.
    make_customer(account=account, code="A1", first_name="Pfff")
    with CaptureQueriesContext(connection) as queries:
        assert found_names(staff_client, "PFFF") == {"Pfff"}

    sql = " ".join(query["sql"] for query in queries)
    assert "GLOB" not in sql and "~" not in sql


def test_an_accented_word_is_globbed_only_in_values_outside_ascii_narrowed_by_a_like(
    staff_client, account
):
    # A GLOB starting with a class tries every position of every value: over twenty times
    # LIKE's time on 270,000 customers with every accented form in its classes.
    with CaptureQueriesContext(connection) as queries:
        found_names(staff_client, "AMÉLIE")

    sql = " ".join(query["sql"] for query in queries)
    column = '"customers_customer"."first_name"'
    if connection.vendor == "sqlite":
        assert (
            f"{column} LIKE '%AMeLIE%' ESCAPE '\\' OR (length(CAST({column} AS BLOB)) <> "
            f"length({column}) AND ({column} LIKE '%_M____%' ESCAPE '\\') AND {column} GLOB"
        ) in sql
    else:  # a regular expression of the classes
        assert f"({column})::text ~ '[AaÀÁÂÃÄÅ" in sql and "GLOB" not in sql


def test_other_admins_search_their_text_fields_whatever_the_case_and_accents(staff_client, account):
    accented = make_campaign(account=account, campaign_id="555", name="Fidélité")
    plain = make_campaign(account=account, campaign_id="556", name="Fidelite")
    make_campaign(account=account, campaign_id="557", name="Fidèle")

    response = staff_client.get(CAMPAIGNS, {"q": "FIDÉLITÉ"})

    assert {row.pk for row in response.context["cl"].result_list} == {accented.pk, plain.pk}


def test_the_glob_pattern_holds_each_letters_one_character_case_variants():
    assert glob_contains("Mm") == "*[Mm][mM]*"
    # An ASCII letter as LIKE matches it, in an ASCII word: not ı for i, nor ſ for s.
    assert "ı" not in letter_class("i") and "ſ" not in letter_class("s")
    assert glob_contains("Σς") == "*[Σσς][ςΣσ]*"
    assert glob_contains("ß") == "*ß*"
    assert glob_contains("ﬁ") == "*ﬁ*"
    assert glob_contains("ǅ") == "*[ǅǆǄ]*"
    assert glob_contains("é*?[]%_") == f"*[{''.join(letter_class('é'))}][*][?][[]]%_*"


def test_the_like_before_the_glob_holds_the_letters_of_no_other_form_or_else_the_first():
    def escaped(text: str) -> str:
        return connection.ops.prep_for_like_query(text)

    assert narrowing_likes("AMÉLIE", escaped) == ["%_M____%"]
    assert narrowing_likes("Séverine", escaped) == ["%__v_____%"]
    assert narrowing_likes("anne", escaped) == []
    assert narrowing_likes("é%_\\", escaped) == ["%_\\%\\_\\\\%"]
    assert narrowing_likes("ΣΟΣ", escaped) == ["%Σ%", "%σ%", "%ς%"]
