"""Security: tenancy through the parameters tests/api/test_tenancy.py does not cover,
credentials only hashed at rest, the same answer and similar timing for an unknown user and
a wrong password, nothing secret or from a data row in the logs, and JSONP only when asked."""

import json
import logging
import statistics
import time

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, identify_hasher
from django.db import IntegrityError, connection

from accounts.credentials import INVALID_CREDENTIALS
from accounts.models import ApiKey, Membership, hash_api_key
from api.exceptions import INTERNAL_ERROR
from campaigns.models import Transaction
from customers.batch import write
from customers.models import Customer, FailedLineChunk, ImportRequest, UndoChunk
from tests.conftest import API_KEY, BUYX, PASSWORD, USER_ID, batch_params
from tests.factories import make_campaign, make_customer, make_item, make_member

from .conftest import form

CUSTOMER_PASSWORD = "Cust-Pass-7f3a91"
CUSTOMER_PIN = "9317-Pin-8842"
# Values of data rows that must never reach a log.
ROW_VALUES = ("Zyxwvut-Ann", "Qponmlk-Lee", "ann.zyxwvut@example.com", "Rue-Secrete-17")


def body(response) -> dict:
    return json.loads(response.content)


# --- tenancy --------------------------------------------------------------------------


@pytest.fixture
def other_member(other_account):
    """A user of the other account only, with an API key of their own."""
    return make_member(
        account=other_account,
        username="jane1980",
        password="jane-pass-5521",
        api_key="janekey1" * 5,
        role=Membership.Role.OWNER,
    )


def test_an_api_key_of_another_accounts_member_is_refused(client, user, campaigns, other_member):
    params = batch_params(
        data="C1|Ann",
        API="1.5",
        user_id="jane1980",
        user_password=None,
        user_api_key="janekey1" * 5,
        output="JSON",
    )

    response = client.post("/api", params)

    assert (response.status_code, body(response)["error"]) == (401, INVALID_CREDENTIALS)
    assert not Customer.objects.exists()


def test_a_username_held_in_another_account_does_not_collide(post_batch, account, other_account):
    make_customer(account=other_account, code="B1", customer_username="ann")

    response = post_batch(("code", "customer_username"), "A1|ann", output="JSON")

    assert body(response)["batch"]["errors"] == []
    assert Customer.objects.get(account=account).customer_username == "ann"


def test_a_buyx_item_of_another_accounts_campaign_cannot_be_credited(
    post_batch, campaigns, other_account
):
    theirs = make_campaign(account=other_account, campaign_id="B-BUYX", type="buyx")
    their_item = make_item(campaign=theirs, name="Caviar")

    response = post_batch(
        ("code", "auto_add"),
        f"C1|{their_item.pk}\nC2|Caviar",
        campaigns_to_include=BUYX,
        output="JSON",
    )

    batch = body(response)["batch"]
    assert [(error["line"], error["field"]) for error in batch["errors"]] == [
        (1, "auto_add"),
        (2, "auto_add"),
    ]
    assert not Transaction.objects.exists()


# --- credentials only hashed at rest --------------------------------------------------


def every_stored_text() -> str:
    """Every row of every table, as text; undo data, failed lines and request_id replies
    decompressed."""
    texts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            texts.append(repr(cursor.fetchall()))
    texts += [json.dumps(chunk.unpack()) for chunk in UndoChunk.objects.all()]
    texts += [json.dumps(chunk.unpack()) for chunk in FailedLineChunk.objects.all()]
    texts += [json.dumps(reply.response) for reply in ImportRequest.objects.all()]
    return "\n".join(texts)


def test_no_credential_is_stored_in_plaintext(client, post_batch):
    headers = ("code", "first_name", "customer_password", "customer_PIN")
    post_batch(headers, f"C1|Ann|{CUSTOMER_PASSWORD}|{CUSTOMER_PIN}", request_id="r-1")
    # A second import keeps the first hashes in its undo data.
    post_batch(headers, "C1|Ann|other-pass|other-pin", overwrite_duplicates="update")
    # A failing line's secrets are not kept with its failed line either.
    post_batch((*headers, "email"), f"C3|Cy|{CUSTOMER_PASSWORD}|{CUSTOMER_PIN}|not-an-email")
    assert FailedLineChunk.objects.exists()
    client.post("/api", batch_params(data="C2|Bob", user_password="wrong-guess-1"))
    client.post("/api", batch_params(data="C2|Bob", API="1.5", user_api_key=API_KEY))

    stored = every_stored_text()

    for secret in (PASSWORD, API_KEY, CUSTOMER_PASSWORD, CUSTOMER_PIN, "wrong-guess-1"):
        assert secret not in stored
    customer = Customer.objects.get(code="C1")
    assert identify_hasher(customer.customer_password) and identify_hasher(customer.customer_pin)
    assert ApiKey.objects.get().key_hash == hash_api_key(API_KEY)


# --- the same answer and similar timing for an unknown user and a wrong password ------


class TimingHasher(PBKDF2PasswordHasher):
    """Slow enough that the hash dominates a refused request, as in production (a million
    iterations); quick enough for twenty of them."""

    iterations = 60_000


def test_unknown_user_and_wrong_password_get_one_answer_in_similar_time(
    client, account, campaigns, settings
):
    settings.PASSWORD_HASHERS = ["tests.reliability.test_security.TimingHasher"]
    settings.LOYALTY = {**settings.LOYALTY, "AUTH_FAILURE_LIMIT": 1000}
    make_member(account=account, username=USER_ID, password=PASSWORD)
    attempts = {"unknown user": {"user_id": "nobody1970"}, "wrong password": {}}
    times: dict[str, list[float]] = {name: [] for name in attempts}
    answers = set()

    for number in range(10):
        for name, credentials in attempts.items():
            params = batch_params(
                data="C1|Ann", user_password=f"guess-{number}", output="JSON", **credentials
            )
            started = time.perf_counter()
            response = client.post("/api", params)
            times[name].append(time.perf_counter() - started)
            answers.add((response.status_code, response.content))

    refused = json.dumps({"status": "error", "error": INVALID_CREDENTIALS}, indent=2)
    assert answers == {(401, refused.encode())}
    unknown, wrong = (statistics.median(times[name]) for name in attempts)
    assert 1 / 3 < unknown / wrong < 3, times
    # The hash is what the time is spent on: both are slower than a request without one.
    assert min(unknown, wrong) > 0.005, times


# --- nothing secret or from a data row in the logs -------------------------------------


def test_no_credential_or_row_value_reaches_the_logs(client, post_batch, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    headers = ("code", "first_name", "last_name", "email", "street1", "customer_password")
    good = "|".join(["C1", *ROW_VALUES, CUSTOMER_PASSWORD])
    bad_line = "|".join(["C2", *ROW_VALUES[:2], "not-an-email", ROW_VALUES[3], CUSTOMER_PIN])

    client.post("/api", batch_params(headers, good, user_password="wrong-guess-2"))
    post_batch(headers, f"{good}\n{bad_line}", output="JSON")
    post_batch(headers, good, API="1.5", user_password=None, user_api_key=API_KEY)

    def failing(**arguments):
        # What a database error says: the row's values, quoted back.
        raise IntegrityError(f"duplicate key value violates unique constraint: {good}")

    monkeypatch.setattr(write, "insert_customers", failing)
    failed = post_batch(headers, good.replace("C1", "C9"), output="JSON")
    assert (failed.status_code, body(failed)["error"]) == (500, INTERNAL_ERROR)

    logged = caplog.text + "\n".join(
        repr((record.args, record.exc_info)) for record in caplog.records
    )
    assert caplog.records, "nothing was logged: the test would prove nothing"
    secrets_and_rows = (PASSWORD, API_KEY, CUSTOMER_PASSWORD, CUSTOMER_PIN, "wrong-guess-2")
    for text in (*secrets_and_rows, *ROW_VALUES):
        assert text not in logged


# --- headers and JSONP ------------------------------------------------------------------


def test_the_500_envelope_says_nosniff_too(post_batch, monkeypatch):
    def failing(**arguments):
        raise IntegrityError("boom")

    monkeypatch.setattr(write, "insert_customers", failing)

    response = post_batch(data="C1|Ann")

    assert response.status_code == 500
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/xml; charset=utf-8"


@pytest.mark.parametrize(
    "where",
    [
        pytest.param({"path": "/api?callback=evil&output=JSON"}, id="callback in the URL"),
        pytest.param({"callback": ""}, id="empty callback"),
        pytest.param({"callback": "   "}, id="blank callback"),
        pytest.param({"jsonp": "evil"}, id="another parameter name"),
    ],
)
def test_jsonp_only_when_the_form_names_a_callback(client, user, campaigns, where):
    where = dict(where)
    path = where.pop("path", "/api")
    params = batch_params(data="C1|Ann", output="JSON", **where)

    response = client.post(path, params)

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert body(response)["status"] == "success"
    assert not response.content.startswith(b"evil")


def test_jsonp_errors_are_200_only_for_jsonp(client, user, campaigns):
    plain = client.post("/api", batch_params(data="C1|Ann", user_password="x", output="JSON"))
    jsonp = client.post("/api", batch_params(data="C1|Ann", user_password="x", callback="cb"))

    assert plain.status_code == 401
    assert (jsonp.status_code, jsonp["Content-Type"]) == (
        200,
        "application/javascript; charset=utf-8",
    )


def test_the_api_access_key_header_reaches_the_app_through_gunicorn(server):
    params = form("C1|Ann", api="1.5", user_password=None)

    answer = server.post(params, headers={"api_access_key": API_KEY})

    assert answer.status == 200, answer.body
    assert json.loads(answer.body)["batch"]["customers"]["new"] == 1
