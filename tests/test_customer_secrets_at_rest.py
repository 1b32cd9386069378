"""No customer password or PIN can be recovered from a copy of the database (or the logs)
for less than the full-strength hasher's cost: not from the customer row, the undo data,
the stored replies of request_id, nor the log lines. And a rollback never lowers a hash's
strength (issue 13, item 5a).

The attack these tests repeat: take every value of every table (undo chunks unpacked) and
every log line, and try all 10,000 4-digit PINs against every hash-like value with the
hash's algorithm minus the key. Nothing may be found.
"""

import hashlib
import hmac
import importlib
import json
import logging
import re
import zlib
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from customers.hashers import is_interim, mac_key, wrap_interim_hash
from customers.management.commands.harden_customer_secrets import (
    ACCOUNT_HARDENED,
    TOTAL_HARDENED,
    UNDO_HARDENED,
)
from customers.models import Customer, UndoChunk, UndoState

PIN = "4821"
PASSWORD = "correct horse 93"
PINS = [f"{number:04d}" for number in range(10_000)]
# algorithm$salt$digest or algorithm$iterations$salt$digest, as Django's hashers write them.
HASH_LIKE = re.compile(r"([a-z0-9_]+)\$(?:(\d+)\$)?([A-Za-z0-9:._/+=-]+)\$([A-Za-z0-9+/=]{20,})")
MIGRATION = importlib.import_module("customers.migrations.0006_key_unkeyed_interim_secret_hashes")


def stored_texts() -> list[str]:
    """Every value of every table as text, compressed payloads (undo chunks) unpacked."""
    texts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes):
                        raw = bytes(value)
                        try:
                            raw = zlib.decompress(raw)
                        except zlib.error:
                            pass
                        texts.append(raw.decode("utf-8", "replace"))
                    elif isinstance(value, dict | list):
                        texts.append(json.dumps(value))
                    elif value is not None:
                        texts.append(str(value))
    return texts


def hash_like_values(texts: list[str]) -> list[tuple[str, str, str]]:
    """(algorithm, salt, digest) of every hash-like value in `texts`."""
    return [(match[1], match[3], match[4]) for text in texts for match in HASH_LIKE.finditer(text)]


def cheap_guesses(salt: str, pin: str, key: bytes = b"") -> set[str]:
    """What a hash of `pin` computed without the key (or with `key`) could be."""
    salts = {salt, salt.partition(":")[0]}
    guesses = set()
    for each in salts:
        inner = hashlib.sha256((each + pin).encode()).hexdigest()
        guesses |= {
            inner,
            hashlib.sha256((pin + each).encode()).hexdigest(),
            hmac.new(key, inner.encode(), hashlib.sha256).hexdigest(),
            hashlib.blake2b(inner.encode(), key=key, digest_size=32).hexdigest(),
        }
    guesses.add(hashlib.sha256(pin.encode()).hexdigest())
    return guesses


def pins_found(texts: list[str], key: bytes = b"") -> set[str]:
    """The PINs that verify cheaply against some hash-like value of `texts`."""
    found = set()
    for _algorithm, salt, digest in hash_like_values(texts):
        for pin in PINS:
            if digest in cheap_guesses(salt, pin, key):
                found.add(pin)
    return found


def the_key(settings) -> bytes:
    return mac_key(settings.LOYALTY_CUSTOMER_SECRET_HASH_KEY)


@pytest.fixture
def imported_twice(post_batch):
    """Through the API, with request_id: C1 created with a PIN and a password, then updated
    (its name only), so the second import's undo data holds C1's secrets as they were."""
    first = post_batch(
        ("code", "first_name", "customer_PIN", "customer_password"),
        f"C1|Ann|{PIN}|{PASSWORD}",
        request_id="first-import",
    )
    second = post_batch(
        ("code", "first_name"), "C1|Anna", overwrite_duplicates="update", request_id="second"
    )
    assert first.status_code == second.status_code == 200
    return UndoState.objects.order_by("id").last()


def test_a_copy_of_the_database_and_logs_gives_no_cheap_check_of_a_pin(
    post_batch, caplog, settings
):
    caplog.set_level(logging.DEBUG)
    with caplog.at_level(logging.DEBUG):
        post_batch(
            ("code", "first_name", "customer_PIN", "customer_password"),
            f"C1|Ann|{PIN}|{PASSWORD}",
            request_id="first-import",
        )
        post_batch(
            ("code", "first_name"), "C1|Anna", overwrite_duplicates="update", request_id="again"
        )
        before_hardening = stored_texts()
        call_command("harden_customer_secrets", verbosity=2)
    after_hardening = stored_texts()
    logged = [record.getMessage() for record in caplog.records]

    # The scan reads what it should: with the key, the interim hash gives the PIN away.
    assert pins_found(before_hardening, the_key(settings)) == {PIN}
    assert pins_found(before_hardening + logged) == set()
    assert pins_found(after_hardening + logged) == set()
    # After hardening nothing is interim any more, anywhere: not even the key helps cheaply.
    assert pins_found(after_hardening, the_key(settings)) == set()
    assert not any(PASSWORD in text for text in after_hardening + before_hardening + logged)
    customer = Customer.objects.get(code="C1")
    assert check_password(PIN, customer.customer_pin)
    assert check_password(PASSWORD, customer.customer_password)


def test_hardening_raises_the_secrets_kept_in_undo_data_too(imported_twice):
    out = StringIO()

    call_command("harden_customer_secrets", stdout=out)

    assert out.getvalue().splitlines() == [
        UNDO_HARDENED.format(slug="greatwidgets", values=2),
        ACCOUNT_HARDENED.format(slug="greatwidgets", passwords=1, pins=1),
        TOTAL_HARDENED.format(passwords=1, pins=1),
    ]
    payload = UndoChunk.objects.get(undo_state=imported_twice).unpack()
    (_pk, _version, before) = payload["written"][0]
    customer = Customer.objects.get(code="C1")
    assert not is_interim(before["customer_pin"])
    assert before["customer_pin"] == customer.customer_pin
    assert before["customer_password"] == customer.customer_password


def test_rolling_back_after_hardening_keeps_the_full_strength_hash(imported_twice, admin_client):
    call_command("harden_customer_secrets")
    hardened = Customer.objects.get(code="C1")

    rolled_back = admin_client.post(
        reverse("admin:customers_undostate_rollback", args=[imported_twice.pk]),
        {"seen_conflicts": ""},
        follow=True,
    )

    assert rolled_back.status_code == 200
    customer = Customer.objects.get(code="C1")
    assert customer.first_name == "Ann"
    assert customer.customer_pin == hardened.customer_pin
    assert customer.customer_password == hardened.customer_password
    assert check_password(PIN, customer.customer_pin)


def test_rolling_back_a_pin_change_after_hardening_restores_the_old_pin_at_full_strength(
    post_batch, admin_client
):
    post_batch(("code", "customer_PIN"), "C1|1111")
    post_batch(("code", "customer_PIN"), "C1|2222", overwrite_duplicates="update")
    changed = UndoState.objects.order_by("id").last()
    call_command("harden_customer_secrets")

    admin_client.post(
        reverse("admin:customers_undostate_rollback", args=[changed.pk]),
        {"seen_conflicts": ""},
        follow=True,
    )

    customer = Customer.objects.get(code="C1")
    assert not is_interim(customer.customer_pin)
    assert customer.customer_pin.startswith("pbkdf2_")
    assert check_password("1111", customer.customer_pin)
    assert not check_password("2222", customer.customer_pin)


def test_rolling_back_over_a_row_hardened_while_its_undo_data_was_not_keeps_the_row_hash(
    imported_twice, admin_client
):
    # What the hardening step before issue 13 left: the row raised, the undo data interim.
    customer = Customer.objects.get(code="C1")
    hardened_pin = wrap_interim_hash(customer.customer_pin)
    Customer.objects.filter(pk=customer.pk).update(customer_pin=hardened_pin)

    admin_client.post(
        reverse("admin:customers_undostate_rollback", args=[imported_twice.pk]),
        {"seen_conflicts": ""},
        follow=True,
    )

    restored = Customer.objects.get(code="C1")
    assert restored.first_name == "Ann"
    assert restored.customer_pin == hardened_pin
    assert check_password(PIN, restored.customer_pin)


def test_the_migration_keys_the_unkeyed_interim_hashes_of_rows_and_undo_data(run_import, settings):
    run_import(("code", "first_name", "customer_PIN"), f"C1|Ann|{PIN}")
    # The first interim hash, as imports wrote it before issue 13: salted SHA-256, no key.
    salt = "0123456789abcdef"
    unkeyed = f"interim_sha256${salt}${hashlib.sha256((salt + PIN).encode()).hexdigest()}"
    Customer.objects.filter(code="C1").update(customer_pin=unkeyed)
    run_import(("code", "first_name"), "C1|Anna", overwrite_duplicates="update")
    assert pins_found(stored_texts()) == {PIN}

    MIGRATION.key_unkeyed_hashes(apps, connection.schema_editor())

    assert pins_found(stored_texts()) == set()
    customer = Customer.objects.get(code="C1")
    assert customer.customer_pin.startswith("interim_keyed_blake2b$")
    assert check_password(PIN, customer.customer_pin)
    before = UndoChunk.objects.order_by("id").last().unpack()["written"][0][2]
    assert before["customer_pin"] == customer.customer_pin


def test_rolling_back_a_pin_change_over_a_row_hardened_alone_hardens_the_old_pin(
    post_batch, admin_client
):
    post_batch(("code", "customer_PIN"), "C1|1111")
    post_batch(("code", "customer_PIN"), "C1|2222", overwrite_duplicates="update")
    changed = UndoState.objects.order_by("id").last()
    # The row raised, the undo data (holding the interim hash of 1111) not.
    customer = Customer.objects.get(code="C1")
    Customer.objects.filter(pk=customer.pk).update(
        customer_pin=wrap_interim_hash(customer.customer_pin)
    )

    admin_client.post(
        reverse("admin:customers_undostate_rollback", args=[changed.pk]),
        {"seen_conflicts": ""},
        follow=True,
    )

    restored = Customer.objects.get(code="C1")
    assert restored.customer_pin.startswith("pbkdf2_")
    assert check_password("1111", restored.customer_pin)
