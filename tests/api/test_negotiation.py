"""The answer's format comes from `output` and `callback` alone: no Accept header, whatever
an HTTP library sends, can make the API refuse a request or change the format."""

import json

import pytest
from lxml import etree

from accounts.credentials import INVALID_CREDENTIALS
from customers.models import Customer
from tests.conftest import batch_params

ACCEPT_HEADERS = [
    None,
    "*/*",
    "application/xml",
    "text/xml",
    "application/json",
    "text/html",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/javascript",
    "image/png",
    "nonsense",
    "",
]
FORMATS = {
    "xml": ({}, "application/xml; charset=utf-8"),
    "json": ({"output": "JSON"}, "application/json; charset=utf-8"),
    "jsonp": ({"callback": "handle"}, "application/javascript; charset=utf-8"),
}


def post(client, params, accept):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    return client.post("/api", params, **headers)


def body_of(response, kind):
    content = response.content.decode()
    if kind == "xml":
        root = etree.fromstring(response.content)
        return root.get("status"), root.findtext("batch/customers/new") or root.findtext("error")
    if kind == "jsonp":
        content = content.removeprefix("/**/handle(").removesuffix(");")
    body = json.loads(content)
    return body["status"], str(body["batch"]["customers"]["new"]) if "batch" in body else body[
        "error"
    ]


@pytest.mark.parametrize("accept", ACCEPT_HEADERS)
@pytest.mark.parametrize("kind", FORMATS)
def test_any_accept_header_imports_and_answers_in_the_asked_format(
    client, user, campaigns, accept, kind
):
    extra, content_type = FORMATS[kind]
    response = post(client, batch_params(data="C1|Ann", **extra), accept)

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert body_of(response, kind) == ("success", "1")
    assert Customer.objects.filter(code="C1").exists()


@pytest.mark.parametrize("accept", ACCEPT_HEADERS)
@pytest.mark.parametrize("kind", FORMATS)
def test_any_accept_header_gets_errors_in_the_asked_format(client, user, campaigns, accept, kind):
    extra, content_type = FORMATS[kind]
    params = batch_params(data="C1|Ann", user_password="wrong", **extra)

    response = post(client, params, accept)

    assert response.status_code == (200 if kind == "jsonp" else 401)
    assert response["Content-Type"] == content_type
    assert body_of(response, kind) == ("error", INVALID_CREDENTIALS)
    assert not Customer.objects.exists()


def test_the_answer_does_not_vary_with_the_accept_header(client, user, campaigns):
    response = post(client, batch_params(data="C1|Ann"), "application/json")

    assert "Accept" not in response.get("Vary", "")
