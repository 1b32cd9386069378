"""Faults: a worker killed in the middle of an import, a database error in the last chunk,
concurrent imports of colliding rows, one request_id sent twice at once, and undo under
load. Whatever happens, an import is applied completely or not at all, exactly once."""

import json
import os
import random
import signal
import threading
import time
from collections import Counter
from decimal import Decimal

import psutil
import pytest
from django.test import Client

from api.exceptions import INTERNAL_ERROR
from campaigns.credits import Credit
from campaigns.models import Enrollment, Transaction
from customers.batch import write
from customers.models import Customer, ImportRequest, UndoState
from customers.rollback import roll_back
from tests.conftest import batch_params

from .conftest import form, run_together

KILL_ROWS = 200_000
CLIENTS = 8
REQUESTS_PER_CLIENT = 50


# --- housekeeping after the commit -----------------------------------------------------


@pytest.mark.parametrize("step", ["prune_undo_states", "delete_expired_replies"])
def test_a_database_error_after_the_commit_does_not_report_a_written_import_as_failed(
    post_batch, monkeypatch, step
):
    # On SQLite a prune after the commit timed out behind another import's write lock: the
    # API answered "nothing was changed" (503) for an import that was written, inviting a
    # retry that would credit again.
    from django.db import OperationalError

    from customers.batch import pipeline

    def locked(**arguments):
        raise OperationalError("database is locked")

    monkeypatch.setattr(pipeline, step, locked)

    response = post_batch(
        ("code", "first_name", "auto_add"), "H1|Ann|5", request_id="after-1", output="JSON"
    )

    assert response.status_code == 200
    assert json.loads(response.content)["batch"]["customers"]["new"] == 1
    assert Transaction.objects.get(customer__code="H1").amount == 5
    assert ImportRequest.objects.get(request_id="after-1").response["new"] == 1


# --- a worker killed with SIGKILL in the middle of an import --------------------------


def busiest(pids: list[int], since: dict[int, float]) -> tuple[int, float]:
    """The worker that used the most CPU since `since` (pid -> CPU seconds), and how much."""
    used = {pid: _cpu(pid) - since.get(pid, 0.0) for pid in pids}
    pid = max(used, key=used.get)
    return pid, used[pid]


def _cpu(pid: int) -> float:
    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return times.user + times.system


@pytest.mark.postgres
def test_a_worker_killed_in_the_middle_of_an_import_changes_nothing(server):
    existing = [f"C{n}|Old{n}|5" for n in range(1000)]
    seeded = server.post(form("\n".join(existing), ("code", "first_name", "auto_add")))
    assert seeded.status == 200, seeded.body
    before = server.database.snapshot()
    data = "\n".join(f"C{n}|New{n}|7" for n in range(KILL_ROWS))
    big = form(data, ("code", "first_name", "auto_add"), overwrite_duplicates="update")
    workers = server.gunicorn.worker_pids()
    cpu_at_start = {pid: _cpu(pid) for pid in workers}
    answers: list = []
    request = threading.Thread(target=lambda: answers.append(_post_or_error(server, big)))

    started = time.monotonic()
    request.start()
    deadline = started + 30
    while time.monotonic() < deadline:
        if time.monotonic() - started >= 1 and server.database.open_transactions() >= 1:
            break
        time.sleep(0.05)
    victim, cpu_used = busiest(workers, cpu_at_start)
    assert cpu_used > 0.3, "no worker is busy with the import"
    os.kill(victim, signal.SIGKILL)
    request.join(60)

    assert answers and isinstance(answers[0], OSError), f"the import was not cut: {answers}"
    _wait_until(lambda: server.database.open_transactions() == 0, "the transaction to end")
    assert server.database.snapshot() == before
    # The master replaces the worker, and nothing is left locked: the same rows import.
    server.gunicorn.wait_until_ready()
    again = server.post(
        form(
            "\n".join(existing[:100]),
            ("code", "first_name", "auto_add"),
            overwrite_duplicates="yes",
        )
    )
    assert again.status == 200, again.body


def _post_or_error(server, params):
    try:
        return server.post(params, timeout=120)
    except OSError as error:
        return error


def _wait_until(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.1)


# --- a database error in the last chunk -------------------------------------------------


def everything() -> dict:
    return {
        "customers": list(Customer.objects.order_by("id").values_list()),
        "enrollments": list(Enrollment.objects.order_by("id").values_list()),
        "transactions": list(Transaction.objects.order_by("id").values_list()),
        "undo_states": list(UndoState.objects.order_by("id").values_list()),
        "request_ids": list(ImportRequest.objects.order_by("id").values_list()),
    }


def _null_amount(credits):
    """A credit the ledger's NOT NULL refuses at once."""
    customer_id, _ = credits[0]
    return [(customer_id, Credit(amount=None)), *credits[1:]]


def _unknown_customer(credits):
    """A credit for a customer that does not exist: the foreign key, deferred by Django,
    refuses it only at COMMIT."""
    _, credit = credits[0]
    return [(10**12, credit), *credits[1:]]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("output", ["JSON", "XML"])
@pytest.mark.parametrize("fault", [_null_amount, _unknown_customer], ids=["now", "at commit"])
def test_a_database_error_in_the_last_chunk_changes_nothing(
    post_batch, settings, monkeypatch, output, fault
):
    post_batch(("code", "first_name", "auto_add"), "\n".join(f"C{n}|Old|1" for n in range(15)))
    before = everything()
    settings.LOYALTY = {**settings.LOYALTY, "IMPORT_CHUNK_ROWS": 10}
    chunks = 4
    data = "\n".join(f"C{n}|New|2" for n in range(10 * chunks - 5))
    original = write.insert_credits
    calls = []

    def failing_in_the_last_chunk(*, credits, **arguments):
        calls.append(len(credits))
        if len(calls) % chunks == 0:
            credits = fault(credits)
        return original(credits=credits, **arguments)

    monkeypatch.setattr(write, "insert_credits", failing_in_the_last_chunk)

    response = post_batch(
        ("code", "first_name", "auto_add"),
        data,
        overwrite_duplicates="update",
        request_id="nightly-7",
        output=output,
    )

    assert response.status_code == 500
    if output == "JSON":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert json.loads(response.content) == {"status": "error", "error": INTERNAL_ERROR}
    else:
        assert response["Content-Type"] == "application/xml; charset=utf-8"
        assert b"<error>" + INTERNAL_ERROR.encode() + b"</error>" in response.content
    # Retried as a conflict would be, three times in all, then given up.
    assert len(calls) == 3 * chunks
    assert everything() == before


# --- concurrent imports of colliding rows -------------------------------------------------


def colliding_batch(rng: random.Random, client: int, number: int) -> str:
    """Ten lines: seven customers by code (with the card number that goes with the code)
    out of 60, three by card number alone out of 20; no line collides with another of its
    own batch, every line collides with other batches."""
    by_code = [f"C{n}|K{n}|r{client}-{number}|1" for n in rng.sample(range(60), 7)]
    by_card = [f"|Q{n}|r{client}-{number}|1" for n in rng.sample(range(20), 3)]
    return "\n".join(by_code + by_card)


@pytest.mark.postgres
def test_concurrent_imports_of_colliding_rows_lose_nothing(server):
    headers = ("code", "card_number", "first_name", "auto_add")

    def client(number: int):
        rng = random.Random(number)
        answers = []
        for request in range(REQUESTS_PER_CLIENT):
            data = colliding_batch(rng, number, request)
            answers.append(server.post(form(data, headers, overwrite_duplicates="update")))
        return answers

    results = run_together([lambda n=n: client(n) for n in range(CLIENTS)], timeout=300)

    assert not [r for r in results if isinstance(r, Exception)]
    answers = [answer for answers in results for answer in answers]
    assert Counter(answer.status for answer in answers) == {200: CLIENTS * REQUESTS_PER_CLIENT}
    counts = [answer.json()["batch"]["customers"] for answer in answers]
    new = sum(c["new"] for c in counts)
    written = sum(c["new"] + c["updated"] for c in counts)
    assert sum(c["failed"] + c["ignored"] for c in counts) == 0
    assert written == CLIENTS * REQUESTS_PER_CLIENT * 10
    query = server.database.query
    assert query(
        "SELECT count(*), count(DISTINCT code), count(DISTINCT card_number), sum(version) "
        "FROM customers_customer"
    ) == [(80, 80, 80, written)]
    assert new == 80
    # Every written line credited once and no write was lost: versions count every write.
    assert server.database.count("campaigns_transaction") == written
    assert server.database.count("campaigns_enrollment") == 80


# --- one request_id sent twice at once ---------------------------------------------------


@pytest.mark.postgres
def test_the_same_request_id_sent_twice_at_once_applies_once(server):
    # Without codes every line creates a customer: a second application would double them.
    data = "\n".join(f"Ann{n}|5" for n in range(500))
    for round_ in range(1, 6):
        params = form(data, ("first_name", "auto_add"), request_id=f"nightly-{round_}")

        first, second = run_together([lambda p=params: server.post(p)] * 2)

        assert (first.status, second.status) == (200, 200)
        assert first.body == second.body
        assert first.json()["batch"]["customers"]["new"] == 500
        assert server.database.count("customers_customer") == 500 * round_
        assert server.database.count("campaigns_transaction") == 500 * round_
        assert server.database.count("customers_undostate") == round_


# --- undo under load ------------------------------------------------------------------------

UNDO_CLIENTS = 4
UNDO_ROUNDS = 5
UNDO_HEADERS = ("code", "card_number", "first_name", "auto_add")


def undo_script(client: int) -> list[tuple]:
    """What one client does, round after round: import A (its ten regulars and five new
    customers), roll A back, import B (the regulars again)."""
    steps = []
    for r in range(UNDO_ROUNDS):
        a = [f"S{client}-{k}|A{client}-{r}-{k}|A{r}|3" for k in range(10)]
        a += [f"N{client}-{r}-{k}||New{r}|2" for k in range(5)]
        b = [f"S{client}-{k}|B{client}-{r}-{k}|B{r}|1" for k in range(10)]
        steps += [("import", "\n".join(a)), ("roll back", None), ("import", "\n".join(b))]
    return steps


def run_script(client: int) -> None:
    http = Client()
    last = None
    for step, data in undo_script(client):
        if step == "import":
            params = batch_params(UNDO_HEADERS, data, overwrite_duplicates="update", output="JSON")
            response = http.post("/api", params)
            assert response.status_code == 200, response.content
            last = json.loads(response.content)["batch"]["undo_state"]
        else:
            roll_back(undo_state=UndoState.objects.get(pk=last), user=None)


def outcome() -> dict:
    """Every table by customer code, without ids and times (they differ between runs)."""
    return {
        "customers": sorted(
            Customer.objects.values_list("code", "card_number", "first_name", "version")
        ),
        "enrollments": sorted(Enrollment.objects.values_list("customer__code", "campaign_id")),
        "transactions": sorted(
            (code, str(amount))
            for code, amount in Transaction.objects.values_list("customer__code", "amount")
        ),
        "undo_states": Counter(UndoState.objects.values_list("status", "new", "updated")),
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_undo_under_load_ends_as_a_sequential_replay(user, campaigns):
    results = run_together([lambda n=n: run_script(n) for n in range(UNDO_CLIENTS)])
    assert [r for r in results if r is not None] == []
    concurrent = outcome()

    for model in (Transaction, Enrollment, UndoState, Customer):
        model.objects.all().delete()
    for client in range(UNDO_CLIENTS):
        run_script(client)

    assert concurrent == outcome()
    rolled_back = sum(
        n for (status, *_), n in concurrent["undo_states"].items() if status == "rolled_back"
    )
    assert rolled_back == UNDO_CLIENTS * UNDO_ROUNDS
    assert len(concurrent["customers"]) == UNDO_CLIENTS * 10
    # Only the B imports' credits are left: one per regular and round.
    credited = sum(Decimal(amount) for _, amount in concurrent["transactions"])
    assert credited == UNDO_CLIENTS * UNDO_ROUNDS * 10
