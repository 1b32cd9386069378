"""GET /healthz: 200 after a SELECT 1, 503 when the database fails; no auth, no writes."""

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper

pytestmark = pytest.mark.django_db


def test_healthz_answers_ok_after_one_query(client, django_assert_num_queries):
    with django_assert_num_queries(1) as queries:
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert queries.captured_queries[0]["sql"] == "SELECT 1"


def test_healthz_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    def fail(self, sql, params=None):
        raise OperationalError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", fail)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unreachable"}


def test_healthz_needs_no_login_and_answers_head(client):
    assert client.head("/healthz").status_code == 200


def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405
