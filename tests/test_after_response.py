"""after_response: work that waits until the response is sent, or runs at once outside a
request; and the statistics refresh after a large import uses it."""

import logging

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection

from core.after_response import after_response


def test_outside_a_request_a_task_runs_at_once():
    ran = []
    after_response(lambda: ran.append("task"))
    assert ran == ["task"]


def test_inside_a_request_tasks_run_in_order_when_the_response_is_closed(db):
    ran = []
    request_started.send(sender=None)
    after_response(lambda: ran.append(1))
    after_response(lambda: ran.append(2))
    assert ran == []
    request_finished.send(sender=None)
    assert ran == [1, 2]
    after_response(lambda: ran.append(3))  # no request any more: at once
    assert ran == [1, 2, 3]


def test_a_failing_task_is_logged_and_the_others_still_run(db, caplog):
    ran = []

    def fail():
        raise ValueError("boom")

    request_started.send(sender=None)
    after_response(fail)
    after_response(lambda: ran.append("after"))
    with caplog.at_level(logging.ERROR, logger="loyalty.after_response"):
        request_finished.send(sender=None)
    assert ran == ["after"]
    assert "boom" in caplog.text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL statistics only")
def test_a_large_api_import_refreshes_statistics_after_its_response(post_batch, monkeypatch):
    from api import calls
    from customers import statistics

    events = []
    respond, analyze = calls.batch_data, statistics.analyze_import_tables
    monkeypatch.setattr(statistics, "ANALYZE_AFTER_ROWS", 3)
    monkeypatch.setattr(
        calls, "batch_data", lambda *args: events.append("response") or respond(*args)
    )
    monkeypatch.setattr(
        statistics, "analyze_import_tables", lambda: events.append("analyze") or analyze()
    )

    response = post_batch(data="C1|Ann\nC2|Bob\nC3|Cy")

    assert response.status_code == 200
    assert events == ["response", "analyze"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'customers_customer'")
        assert cursor.fetchone()[0] == 3
