"""A code that differs from a customer's only in capitals (c006 beside C006): the contract
tells them apart, so the API and the import still do, but the admin's customer form refuses
one and the admin's preview warns of the lines that have one, since staff, whose search
finds both, would not notice two customers (shop owner's medium)."""

from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers.code_capitals import OTHER_CAPITALS
from customers.models import Customer
from tests.admin import confirm, customer_form, post_file
from tests.factories import make_customer

ADD_URL = "/admin/customers/customer/add/"

# Line 5 fails (no real date), so its c002 is not named.
FILE = (
    "code,first_name,custom_date\n"
    "C001,Ann,\n"
    "c001,Ann,\n"
    "N1,Bo,\n"
    "c002,Cem,not a date\n"
    "N2,Dan,\n"
    "c006,Eve,\n"
)
WARNING = (
    "Lines 3 (c001) and 7 (c006) have a code that differs only in capitals from an existing "
    "customer's (C001, C006): they are added as new customers. Write the code as the "
    "existing customer has it to update that customer."
)


@pytest.fixture
def existing(account):
    return [make_customer(account=account, code=code) for code in ("C001", "C002", "C006")]


def code_errors(response) -> list[str]:
    return response.context["adminform"].form.errors.get("code", [])


def test_the_form_refuses_a_code_another_customer_has_in_other_capitals(boss, account, existing):
    bob = make_customer(account=account, code="B1")

    added = boss.post(ADD_URL, customer_form(bob, code="c006", card_number=""))
    changed = boss.post(
        f"/admin/customers/customer/{bob.pk}/change/", customer_form(bob, code="c006")
    )

    message = (
        "Another customer of this account has code C006, which differs only in capitals: use "
        "another code, or edit C006 instead."
    )
    assert OTHER_CAPITALS.format(existing="C006") == message
    assert code_errors(added) == [message]
    assert code_errors(changed) == [message]
    assert message in unescape(added.content.decode())
    assert set(Customer.objects.values_list("code", flat=True)) == {"C001", "C002", "C006", "B1"}


def test_the_form_takes_a_customers_own_code_in_other_capitals(boss, account, existing):
    c006 = existing[2]

    response = boss.post(
        f"/admin/customers/customer/{c006.pk}/change/", customer_form(c006, code="c006")
    )

    assert response.status_code == 302
    assert Customer.objects.get(pk=c006.pk).code == "c006"


def test_the_form_takes_a_code_another_account_has_in_other_capitals(
    boss, account, other_account, existing
):
    elsewhere = make_customer(account=other_account, code="X1")

    response = boss.post(ADD_URL, customer_form(elsewhere, code="c006"))

    assert response.status_code == 302
    assert Customer.objects.filter(account=other_account, code="c006").exists()


def test_the_same_code_keeps_its_own_refusal(boss, account, existing):
    response = boss.post(ADD_URL, customer_form(existing[2], card_number=""))

    assert code_errors(response) == []
    assert response.context["adminform"].form.errors["__all__"] == [
        "Another customer of this account already has code C006."
    ]


def test_the_preview_warns_of_new_codes_differing_only_in_capitals(boss, account, existing):
    response = post_file(boss, account, FILE)

    assert response.context["code_capitals"] == WARNING
    assert WARNING in unescape(response.content.decode())
    assert [error.line for error in response.context["errors_shown"]] == [5]


def test_confirming_still_adds_them_as_new_customers(boss, account, existing):
    confirm(boss, post_file(boss, account, FILE))

    assert set(Customer.objects.values_list("code", flat=True)) == {
        "C001", "C002", "C006", "c001", "N1", "N2", "c006"
    }  # fmt: skip


def test_no_warning_when_codes_are_written_as_the_customers_have_them(boss, account, existing):
    response = post_file(boss, account, "code\nC001\nC006\nN1\n")

    assert response.context["code_capitals"] == ""
    assert b"import-code-capitals" not in response.content


def test_one_line_and_many_lines_are_said_so(boss, account, existing):
    one = post_file(boss, account, "code\nc006\n")
    many = [make_customer(account=account, code=f"M{n}") for n in range(1, 9)]
    several = post_file(boss, account, "code\n" + "".join(f"m{n}\n" for n in range(1, 9)))

    assert one.context["code_capitals"] == (
        "Line 2 (c006) has a code that differs only in capitals from an existing customer's "
        "(C006): it is added as a new customer. Write the code as the existing customer has "
        "it to update that customer."
    )
    assert len(many) == 8
    assert several.context["code_capitals"].startswith(
        "Lines 2 (m1), 3 (m2), 4 (m3), 5 (m4), 6 (m5) and 3 more have a code that differs "
        "only in capitals from an existing customer's (M1, M2, M3, M4, M5, …): they are "
        "added as new customers."
    )


@pytest.mark.parametrize(
    ("stored", "given", "warned"),
    [
        # Capitals of A to Z only, alike on SQLite and PostgreSQL (docs/decisions.md).
        ("éA1", "éa1", True),
        ("ÉA1", "éa1", False),
        ("É1", "é1", False),
    ],
)
def test_only_capitals_of_a_to_z_are_told(boss, account, stored, given, warned):
    make_customer(account=account, code=stored)

    response = post_file(boss, account, f"code\n{given}\n")

    assert bool(response.context["code_capitals"]) is warned


def test_the_warning_reads_the_customers_once_whatever_the_lines(boss, account, existing):
    def queries(lines: int) -> int:
        data = "code\n" + "".join(f"c00{n % 2 + 1}-{n}\nc006\n" for n in range(lines))
        with CaptureQueriesContext(connection) as captured:
            assert post_file(boss, account, data).context["code_capitals"]
        return len(captured)

    assert queries(300) == queries(600)
