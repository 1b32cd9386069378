"""The request log: one JSON line per API request on "loyalty.request", never a secret or
row data."""

import json
import logging

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from core.request_log import RequestLogMiddleware, note_request
from tests.conftest import API_KEY, PASSWORD, batch_params

ROW_VALUE = "Rowena-Privatedata"


@pytest.fixture
def request_log(caplog):
    """request_log() -> the JSON lines logged on loyalty.request so far, decoded."""
    caplog.set_level(logging.INFO, logger="loyalty.request")

    def lines():
        return [json.loads(r.getMessage()) for r in caplog.records if r.name == "loyalty.request"]

    return lines


def test_an_import_logs_one_line_with_method_path_status_duration_type_and_account(
    post_batch, request_log
):
    response = post_batch(data="C1|Ann")

    assert response.status_code == 200
    (line,) = request_log()
    assert line["method"] == "POST"
    assert line["path"] == "/api"
    assert line["status"] == 200
    assert line["type"] == "customers_batch"
    assert line["account_id"] == "greatwidgets"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["client"] == "127.0.0.1"


def test_a_failing_import_logs_neither_the_password_nor_row_data(
    client, user, campaigns, request_log, caplog
):
    params = batch_params(headers=("code", "custome_date"), data=f"C1|{ROW_VALUE}\nC2|{ROW_VALUE}")

    response = client.post("/api.php", params)

    assert response.status_code == 400
    (line,) = request_log()
    assert line["status"] == 400
    assert line["path"] == "/api.php"
    assert PASSWORD not in caplog.text
    assert ROW_VALUE not in caplog.text


def test_a_failed_login_logs_neither_the_api_key_nor_row_data(
    client, user, campaigns, request_log, caplog
):
    params = batch_params(data=f"C1|{ROW_VALUE}", API="1.5", user_password=None)
    params["user_api_key"] = API_KEY + "wrong"

    response = client.post("/api", params, HTTP_API_ACCESS_KEY=API_KEY + "wrong")

    assert response.status_code == 401
    (line,) = request_log()
    assert line["status"] == 401
    assert API_KEY not in caplog.text
    assert ROW_VALUE not in caplog.text


@pytest.mark.parametrize("account_id", [f"greatwidgets|{ROW_VALUE}", "a b", "x" * 65, ""])
def test_an_account_id_that_is_not_a_plain_slug_or_owner_id_is_not_logged(
    post_batch, request_log, caplog, account_id
):
    post_batch(data="C1|Ann", account_id=account_id)

    (line,) = request_log()
    assert line["account_id"] is None
    assert ROW_VALUE not in caplog.text


def test_an_owner_id_is_logged_as_sent(post_batch, request_log):
    post_batch(data="C1|Ann", account_id="1000000000000001")

    (line,) = request_log()
    assert line["account_id"] == "1000000000000001"


def test_a_refused_get_is_logged(client, request_log):
    client.get("/api")

    (line,) = request_log()
    assert (line["method"], line["status"], line["type"]) == ("GET", 405, None)


def test_a_body_too_big_is_logged_without_reading_it(client, user, settings, request_log):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client.post("/api", batch_params(data="C1|" + "x" * 2000))

    assert response.status_code == 413
    (line,) = request_log()
    assert (line["status"], line["type"], line["account_id"]) == (413, None, None)


def test_other_paths_are_not_logged(client, db, request_log):
    client.get("/healthz")

    assert request_log() == []


def test_fields_noted_by_the_view_are_logged_but_never_secrets(rf: RequestFactory, request_log):
    def view(request):
        note_request(request, account="greatwidgets", new=3, updated=1)
        note_request(request, user_password=PASSWORD, Profiles_Data=ROW_VALUE, status=999)
        return HttpResponse(status=200)

    RequestLogMiddleware(view)(rf.post("/api", {"type": "customers_batch"}))

    (line,) = request_log()
    assert line["account"] == "greatwidgets"
    assert (line["new"], line["updated"], line["status"]) == (3, 1, 200)
    assert "user_password" not in line and "Profiles_Data" not in line


def test_the_account_the_view_authenticated_is_logged(rf: RequestFactory, request_log):
    class Account:
        slug = "greatwidgets"

    def view(request):
        request.loyalty_account = Account()
        return HttpResponse(status=200)

    RequestLogMiddleware(view)(rf.post("/api", {}))

    (line,) = request_log()
    assert line["account"] == "greatwidgets"
