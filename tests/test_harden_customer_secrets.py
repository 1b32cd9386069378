"""harden_customer_secrets raises interim hashes to full-strength PBKDF2 without the
plaintext, and the secrets still verify."""

from io import StringIO

from django.contrib.auth.hashers import check_password
from django.core.management import call_command

from customers.batch.params import parse_batch_request
from customers.batch.service import import_customers
from customers.management.commands.harden_customer_secrets import (
    ACCOUNT_HARDENED,
    TOTAL_HARDENED,
)
from customers.models import Customer, UndoState
from tests.conftest import batch_params

WRAPPED = "pbkdf2_wrapped_interim_keyed_blake2b$"


def test_an_imported_password_and_pin_still_verify_once_hardened(account, user, campaigns):
    params = batch_params(
        ("code", "customer_password", "customer_PIN"), "C1|s3cret pass|4321\nC2||"
    )
    request = parse_batch_request({key.lower(): value for key, value in params.items()})
    import_customers(account=account, user=user, request=request, source=UndoState.Source.API)
    imported = Customer.objects.get(code="C1")
    assert imported.customer_password.startswith("interim_keyed_blake2b$")
    out = StringIO()

    call_command("harden_customer_secrets", stdout=out)

    assert out.getvalue().splitlines() == [
        ACCOUNT_HARDENED.format(slug="greatwidgets", passwords=1, pins=1),
        TOTAL_HARDENED.format(passwords=1, pins=1),
    ]
    hardened = Customer.objects.get(code="C1")
    assert hardened.customer_password.startswith(WRAPPED)
    assert hardened.customer_pin.startswith(WRAPPED)
    assert check_password("s3cret pass", hardened.customer_password)
    assert check_password("4321", hardened.customer_pin)
    assert not check_password("s3cret pas", hardened.customer_password)
    assert hardened.version == imported.version
    assert Customer.objects.get(code="C2").customer_password == ""


def test_hardening_again_changes_nothing(account, user, campaigns):
    params = batch_params(("code", "customer_PIN"), "C1|4321")
    request = parse_batch_request({key.lower(): value for key, value in params.items()})
    import_customers(account=account, user=user, request=request, source=UndoState.Source.API)
    call_command("harden_customer_secrets", stdout=StringIO())
    pin = Customer.objects.get(code="C1").customer_pin
    out = StringIO()

    call_command("harden_customer_secrets", stdout=out)

    assert out.getvalue().splitlines() == [TOTAL_HARDENED.format(passwords=0, pins=0)]
    assert Customer.objects.get(code="C1").customer_pin == pin
