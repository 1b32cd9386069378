"""A search term that is a phone number is one number, not words (shop owner: "06 11 11 11
11" also found C009, "06 09 10 11 12", whose phone holds "06" and "11"), and finds the
number in its national and international forms ("0610203040" found no "+33 6 10 20 30
40")."""

import pytest

from tests.admin import found_codes
from tests.factories import make_customer


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user("view_customer"))
    return client


def test_a_phone_number_with_spaces_is_one_number_not_words(staff_client, account):
    make_customer(account=account, code="C001", phone="06 11 11 11 11")
    make_customer(account=account, code="C009", phone="06 09 10 11 12")

    assert found_codes(staff_client, "06 11 11 11 11") == {"C001"}
    assert found_codes(staff_client, "06.11.11.11.11") == {"C001"}
    assert found_codes(staff_client, "(06) 11-11-11-11") == {"C001"}
    # Part of a number, from its start or not, as before.
    assert found_codes(staff_client, "11 11 11") == {"C001"}


@pytest.mark.parametrize("term", ["0610203040", "06 10 20 30 40", "06 10 20"])
def test_a_national_number_finds_its_international_form(staff_client, account, term):
    make_customer(account=account, code="INT", phone="+33 6 10 20 30 40")
    make_customer(account=account, code="ZZ", phone="0033 6 10 20 30 40")
    make_customer(account=account, code="NAT", phone="06 10 20 30 40")
    # The national digits after a digit more than a country code: another number.
    make_customer(account=account, code="UK", phone="+44 1 610 203 040")

    assert found_codes(staff_client, term) == {"INT", "ZZ", "NAT"}


@pytest.mark.parametrize(
    "term", ["+33 6 10 20 30 40", "+33610203040", "0033610203040", "0033 6 10 20 30 40"]
)
def test_an_international_number_finds_its_national_form(staff_client, account, term):
    make_customer(account=account, code="NAT", phone="06 10 20 30 40")
    make_customer(account=account, code="INT", phone="+33 6 10 20 30 40")
    make_customer(account=account, code="ZZ", phone="00 33 6 10 20 30 40")
    make_customer(account=account, code="BRK", phone="+33 (0)6 10 20 30 40")
    # The same national digits in another country, and a number of other digits.
    make_customer(account=account, code="BE", phone="+32 6 10 20 30 40")
    make_customer(account=account, code="OTH", phone="01 02 03 04 05")

    assert found_codes(staff_client, term) == {"NAT", "INT", "ZZ", "BRK"}


def test_a_country_code_of_three_digits_is_read_as_such(staff_client, account):
    make_customer(account=account, code="US", phone="+1 212 555 0100")
    make_customer(account=account, code="IE", phone="087 123 4567")
    make_customer(account=account, code="IT", phone="06 1234 5678")
    # What "+353 87..." would be with a code of two digits (35), or one (3).
    make_customer(account=account, code="X2", phone="03 87 123 4567")
    make_customer(account=account, code="X1", phone="053 87 123 4567")

    assert found_codes(staff_client, "001 212 555 0100") == {"US"}
    assert found_codes(staff_client, "+353 87 123 4567") == {"IE"}
    # Italy's numbers keep their 0 after the country code.
    assert found_codes(staff_client, "+39 06 1234 5678") == {"IT"}


def test_a_phone_number_term_finds_a_code_or_card_number_holding_it_not_a_name(
    staff_client, account
):
    make_customer(account=account, code="061111", phone="01 00 00 00 00")
    make_customer(account=account, code="K1", card_number="0611 1122")
    make_customer(account=account, code="K2", card_number="4000061111")
    # No name or email holds a number typed with spaces: not searched for one.
    make_customer(account=account, code="K3", first_name="06", last_name="1111")
    make_customer(account=account, code="K4", email="061111@example.com")

    assert found_codes(staff_client, "06 11 11") == {"061111", "K2"}
    assert found_codes(staff_client, "0611 1122") == {"K1"}


def test_a_short_number_is_still_searched_word_by_word(staff_client, account):
    make_customer(account=account, code="06", last_name="Martin", phone="01 00 00 00 00")
    make_customer(account=account, code="P1", phone="06 12 34 56 78")

    assert found_codes(staff_client, "06 12") == {"P1"}
    assert found_codes(staff_client, "06 martin") == {"06"}


def test_a_phone_number_finds_no_customer_of_another_account(staff_client, account, other_account):
    make_customer(account=account, code="MINE", phone="06 10 20 30 40")
    make_customer(account=other_account, code="THEIRS", phone="+33 6 10 20 30 40")
    make_customer(account=other_account, code="THEIRS2", phone="06 10 20 30 40")

    assert found_codes(staff_client, "0610203040") == {"MINE"}
    assert found_codes(staff_client, "+33 6 10 20 30 40") == {"MINE"}
