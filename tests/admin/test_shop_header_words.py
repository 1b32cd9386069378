"""A shop's own file names its columns in its own words (Mobile, Surname, Birthday,
Points): the admin import reads them as the contract's fields from one table, and its
preview says how each was read; a bare "Name" is refused with advice, and two columns of
one field are refused naming both."""

import datetime
from decimal import Decimal
from html import unescape

import pytest

from campaigns.models import Transaction
from customers.file_headers import (
    AMBIGUOUS,
    AMBIGUOUS_HEADERS,
    HEADER_NAMES,
    SAME_FIELD,
    SYNONYM_WORDS,
    header_key,
)
from customers.models import Customer
from tests.admin import IMPORT_URL, form_errors, post_file

SHOP_FILE = (
    "Customer Code;First name;Surname;E-mail;Mobile;Birthday;Postcode;Points\n"
    "S1;Zoë;Müller;zoe@example.com;07700 900123;1980-02-29;LS1 4AP;50\n"
)


def post_shop_file(client, account, content: str):
    return post_file(client, account, content, name="shop.csv")


def test_a_shops_own_column_names_are_read_as_the_fields_and_imported(boss, account):
    response = post_shop_file(boss, account, SHOP_FILE)

    # E-mail and First name are the fields' own names, written as people do: not explained.
    assert response.context["headers_read_as"] == [
        "Column 1, Customer Code, is read as Code.",
        "Column 3, Surname, is read as Last name.",
        "Column 5, Mobile, is read as Phone.",
        "Column 6, Birthday, is read as Birthday / custom date.",
        "Column 7, Postcode, is read as Postal code.",
        "Column 8, Points, is read as the points or credit to add.",
    ]
    assert "Column 6, Birthday, is read as Birthday / custom date." in unescape(
        response.content.decode()
    )
    boss.post(IMPORT_URL, {"pending": response.context["pending"]})

    customer = Customer.objects.get(account=account)
    assert (
        customer.code,
        customer.first_name,
        customer.last_name,
        customer.email,
        customer.phone,
        customer.custom_date,
        customer.postal_code,
    ) == (
        "S1",
        "Zoë",
        "Müller",
        "zoe@example.com",
        "07700 900123",
        datetime.date(1980, 2, 29),
        "LS1 4AP",
    )
    assert Transaction.objects.get(customer=customer).amount == Decimal(50)


def test_columns_named_as_the_api_or_the_export_are_not_explained(boss, account):
    response = post_shop_file(boss, account, "code,First Name,last_name\nC1,Ann,Lee\n")

    assert response.context["headers_read_as"] == []


@pytest.mark.parametrize("header", ["Name", "Full name", "NAME"])
def test_a_bare_name_column_is_refused_with_advice(boss, account, header):
    response = post_shop_file(boss, account, f"code,{header}\nC1,Ann Lee\n")

    assert form_errors(response) == [AMBIGUOUS.format(number=2, value=header)]
    assert not Customer.objects.exists()


def test_two_columns_of_one_field_are_refused_naming_both(boss, account):
    response = post_shop_file(boss, account, "code,Phone,Mobile\nC1,0113 496 0000,07700 900123\n")

    assert form_errors(response) == [
        SAME_FIELD.format(
            number=3, value="Mobile", other_number=2, other_value="Phone", field="phone"
        )
    ]
    assert form_errors(response) == [
        "Column 2, Phone, and column 3, Mobile, both name phone: keep one of them, or leave "
        "the other's header empty to skip it."
    ]


def test_the_synonym_table_names_each_word_once_and_never_shadows_a_name():
    keys = [header_key(word) for words in SYNONYM_WORDS.values() for word in words]

    assert len(keys) == len(set(keys))
    assert not set(keys) & set(HEADER_NAMES)
    assert not set(keys) & AMBIGUOUS_HEADERS
    assert set(SYNONYM_WORDS) <= set(HEADER_NAMES.values())


def test_the_import_page_lists_the_words_each_column_is_also_read_from(boss):
    page = boss.get(IMPORT_URL).content.decode()

    assert "Also read from: " + ", ".join(SYNONYM_WORDS["phone"]) + "." in page


FRENCH_FILE = (
    "Prénom;Nom;Téléphone;Date de naissance;E-mail;Code postal;Ville;Adresse;Code client\n"
    "Zoé;Lefèvre;+33 6 10 20 30 40;14/07/1980;zoe@example.fr;75011;Paris;3 rue Oberkampf;F1\n"
)


def test_a_french_shops_column_names_are_read_as_the_fields_and_imported(boss, account):
    # A French shop owner's file: its columns were refused as unknown fields.
    response = post_file(boss, account, FRENCH_FILE, name="clients.csv", date_order="dmy")
    assert response.status_code == 200, form_errors(response)
    assert response.context["headers_read_as"] == [
        "Column 1, Prénom, is read as First name.",
        "Column 2, Nom, is read as Last name.",
        "Column 3, Téléphone, is read as Phone.",
        "Column 4, Date de naissance, is read as Birthday / custom date.",
        "Column 6, Code postal, is read as Postal code.",
        "Column 7, Ville, is read as City.",
        "Column 8, Adresse, is read as Street1.",
        "Column 9, Code client, is read as Code.",
    ]
    boss.post(IMPORT_URL, {"pending": response.context["pending"]})

    customer = Customer.objects.get(code="F1")
    assert (customer.first_name, customer.last_name, customer.phone) == (
        "Zoé",
        "Lefèvre",
        "+33 6 10 20 30 40",
    )
    assert customer.custom_date == datetime.date(1980, 7, 14)
    assert (customer.email, customer.postal_code, customer.city, customer.street1) == (
        "zoe@example.fr",
        "75011",
        "Paris",
        "3 rue Oberkampf",
    )


def test_a_header_is_read_without_its_accents_too():
    assert header_key("Prénom") == header_key("PRENOM") == "prenom"
    assert header_key("Téléphone") == header_key("telephone")


def test_a_customer_number_headed_n_degree_client_is_read_as_the_code(boss, account):
    # Thirteenth run: "N° client" was refused with "did you mean code?".
    response = post_file(boss, account, "N° client;Prénom\nF2;Zoé\n", name="clients.csv")

    assert response.status_code == 200, form_errors(response)
    assert "Column 1, N° client, is read as Code." in response.context["headers_read_as"]
