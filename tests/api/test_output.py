"""What customers_batch answers: the XML tree of the contract, JSON mirroring it, JSONP,
condensed JSON, the error envelope, escaping of hostile text, and the headers every response
carries."""

import json
import re
from urllib.parse import urlencode

import pytest
from lxml import etree

from accounts.credentials import INVALID_CREDENTIALS
from api.negotiation import BAD_CALLBACK
from api.parsers import TOO_BIG
from api.serializers import REJECTED_SUMMARY
from customers.batch.messages import (
    BAD_DATE_FORMAT,
    MISSING_PARAMETER,
    UNKNOWN_FIELD,
    UNKNOWN_FIELD_SUGGESTION,
)
from customers.models import Customer, UndoState
from tests.conftest import batch_params
from tests.factories import make_customer

XML_TYPE = "application/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
JSONP_TYPE = "application/javascript; charset=utf-8"
ONLY_POST = "Only POST is accepted; send the parameters as form data."

HOSTILE_NAME = "<b>Tom & Jerry</b> ]]> \"quoted\" 'single'"
HOSTILE_DATE = '<script>alert("x&y")</script>]]>'

# The contract's example: an update, a new customer, one with generated identities, a blank
# line and a failing line.
EXAMPLE_HEADERS = ("code", "card_number", "first_name", "custom_date")
EXAMPLE_DATA = "E1|5001|Ann|\nN1|5002|Bob|\n||Cid|\n\nN2|5004|Dan|04-03-2010"
EXAMPLE_PARAMS = {"overwrite_duplicates": "update", "card_number_generate": "10"}

# A JSON string literal, to look at what lies outside strings.
JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')


def csv_quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def parse_xml(content: bytes) -> etree._Element:
    return etree.fromstring(content, etree.XMLParser(remove_blank_text=True))


def canonical(root: etree._Element) -> bytes:
    return etree.tostring(root, method="c14n")


def jsonp_body(response, callback: str) -> dict:
    text = response.content.decode()
    assert text.startswith(f"/**/{callback}(") and text.endswith(");")
    return json.loads(text[len(f"/**/{callback}(") : -2])


@pytest.fixture
def example(post_batch, account):
    """post(**params) -> (response, generated customer, undo state) of the contract's example."""

    def post(**extra):
        make_customer(account=account, code="E1", card_number="5001")
        response = post_batch(EXAMPLE_HEADERS, EXAMPLE_DATA, **EXAMPLE_PARAMS, **extra)
        return response, Customer.objects.get(first_name="Cid"), UndoState.objects.get()

    return post


def test_success_xml_has_exactly_the_contracts_shape(example):
    response, made, state = example()

    expected = (
        '<response status="success"><batch status="imported">'
        "<customers><new>2</new><updated>1</updated><ignored>0</ignored><failed>1</failed>"
        f"</customers><undo_state>{state.pk}</undo_state>"
        f'<generated><customer line="3"><code>{made.code}</code>'
        f"<card_number>{made.card_number}</card_number></customer></generated>"
        '<errors><error line="5" field="custom_date">'
        f"{BAD_DATE_FORMAT.format(value='04-03-2010')}</error></errors>"
        "</batch></response>"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == XML_TYPE
    assert canonical(parse_xml(response.content)) == canonical(parse_xml(expected.encode()))
    assert (len(made.code), len(made.card_number)) == (16, 10)


def test_xml_declares_utf_8(post_batch):
    response = post_batch(data="C1|Zoë")

    root = etree.fromstring(response.content)
    assert root.getroottree().docinfo.encoding == "UTF-8"


def test_success_json_mirrors_the_xml_tree(example):
    response, made, state = example(output="JSON")

    assert response.status_code == 200
    assert response["Content-Type"] == JSON_TYPE
    assert json.loads(response.content) == {
        "status": "success",
        "batch": {
            "status": "imported",
            "customers": {"new": 2, "updated": 1, "ignored": 0, "failed": 1},
            "undo_state": state.pk,
            "generated": [{"line": 3, "code": made.code, "card_number": made.card_number}],
            "errors": [
                {
                    "line": 5,
                    "field": "custom_date",
                    "message": BAD_DATE_FORMAT.format(value="04-03-2010"),
                }
            ],
        },
    }


def test_output_is_case_insensitive(post_batch):
    response = post_batch(data="C1|Ann", output="json")

    assert response["Content-Type"] == JSON_TYPE
    assert json.loads(response.content)["status"] == "success"


def test_xml_escapes_hostile_values_and_messages(post_batch):
    data = f"C1|{csv_quoted(HOSTILE_NAME)}|\nC2|Ann|{csv_quoted(HOSTILE_DATE)}"

    response = post_batch(("code", "first_name", "custom_date"), data)

    root = etree.fromstring(response.content)
    [error] = root.findall("batch/errors/error")
    assert error.attrib == {"line": "2", "field": "custom_date"}
    assert error.text == BAD_DATE_FORMAT.format(value=HOSTILE_DATE)
    assert root.find("batch/errors/error/script") is None
    assert Customer.objects.get(code="C1").first_name == HOSTILE_NAME


def test_json_carries_hostile_messages_exactly(post_batch):
    data = f"C1|{csv_quoted(HOSTILE_NAME)}|\nC2|Ann|{csv_quoted(HOSTILE_DATE)}"

    response = post_batch(("code", "first_name", "custom_date"), data, output="JSON")

    [error] = json.loads(response.content)["batch"]["errors"]
    assert error["message"] == BAD_DATE_FORMAT.format(value=HOSTILE_DATE)


def test_xml_error_envelope_escapes_a_hostile_header_name(post_batch):
    response = post_batch(("code", '<b>&"]]>'), "C1|Ann")

    root = etree.fromstring(response.content)
    assert response.status_code == 400
    assert (root.tag, root.get("status")) == ("response", "error")
    assert root.findtext("error") == UNKNOWN_FIELD.format(
        name="profiles_header_2", value='<b>&"]]>'
    )
    assert not Customer.objects.exists()


def test_xml_stays_well_formed_with_a_control_character_in_a_message(post_batch):
    response = post_batch(("code", "custom\x01date"), "C1|Ann")

    message = UNKNOWN_FIELD_SUGGESTION.format(
        name="profiles_header_2", value="custom\x01date", suggestion="custom_date"
    )
    root = etree.fromstring(response.content)
    assert root.findtext("error") == message.replace("\x01", "\ufffd")


def test_json_error_envelope(post_batch):
    response = post_batch(data="C1|Ann", delimiter=None, output="JSON")

    assert response.status_code == 400
    assert response["Content-Type"] == JSON_TYPE
    assert json.loads(response.content) == {
        "status": "error",
        "error": MISSING_PARAMETER.format(name="delimiter"),
    }
    assert not Customer.objects.exists()


def test_xml_error_envelope(post_batch):
    response = post_batch(data="C1|Ann", delimiter=None)

    expected = f'<response status="error"><error>{MISSING_PARAMETER.format(name="delimiter")}'
    expected += "</error></response>"
    assert response.status_code == 400
    assert response["Content-Type"] == XML_TYPE
    assert canonical(parse_xml(response.content)) == canonical(parse_xml(expected.encode()))


def test_jsonp_wraps_the_json_in_the_callback(post_batch):
    response = post_batch(data="C1|Ann", output="JSON", callback="f")
    plain = Customer.objects.get()

    assert response.status_code == 200
    assert response["Content-Type"] == JSONP_TYPE
    body = jsonp_body(response, "f")
    assert body["status"] == "success"
    assert body["batch"]["customers"] == {"new": 1, "updated": 0, "ignored": 0, "failed": 0}
    assert plain.first_name == "Ann"


def test_callback_alone_asks_for_jsonp(post_batch):
    response = post_batch(data="C1|Ann", callback="app.loyalty.on_batch_1$")

    assert response["Content-Type"] == JSONP_TYPE
    assert jsonp_body(response, "app.loyalty.on_batch_1$")["status"] == "success"


def test_jsonp_error_is_200_so_the_callback_runs(post_batch):
    response = post_batch(data="C1|Ann", user_password="wrong", callback="f")

    assert response.status_code == 200
    assert response["Content-Type"] == JSONP_TYPE
    assert jsonp_body(response, "f") == {"status": "error", "error": INVALID_CREDENTIALS}
    assert not Customer.objects.exists()


@pytest.mark.parametrize("callback", ["alert(1)", "a..b", "1a", "a.", "f;g", "a b"])
def test_a_bad_callback_is_refused_in_plain_json(post_batch, callback):
    response = post_batch(data="C1|Ann", callback=callback)

    assert response.status_code == 400
    assert response["Content-Type"] == JSON_TYPE
    assert json.loads(response.content) == {
        "status": "error",
        "error": BAD_CALLBACK.format(value=callback),
    }
    assert not Customer.objects.exists()


def test_condensed_json_has_no_white_space_outside_strings(post_batch):
    params = {"output": "JSON", "validate_only": "yes"}
    headers, data = ("code", "first_name", "custom_date"), "C1|Ann Lee|\nC2|Bob|04-03-2010"

    pretty = post_batch(headers, data, **params)
    condensed = post_batch(headers, data, condensed="yes", **params)

    outside = JSON_STRING.sub('""', condensed.content.decode())
    assert re.search(r"\s", outside) is None
    assert b"\n" in pretty.content
    assert json.loads(condensed.content) == json.loads(pretty.content)
    assert json.loads(condensed.content)["batch"]["customers"]["failed"] == 1


def test_condensed_applies_to_jsonp(post_batch):
    response = post_batch(data="C1|Ann Lee", condensed="yes", callback="f")

    outside = JSON_STRING.sub('""', response.content.decode())
    assert re.search(r"\s", outside) is None
    assert jsonp_body(response, "f")["status"] == "success"


def test_rejected_batch_xml_is_an_error_holding_the_rejected_batch(post_batch, account):
    make_customer(account=account, code="E1", card_number="5001")
    before = list(Customer.objects.values())

    response = post_batch(
        ("code", "first_name", "custom_date"),
        "C1|Ann|\nC2|Bob|04-03-2010",
        all_or_nothing="yes",
    )

    root = parse_xml(response.content)
    assert response.status_code == 400
    assert (root.tag, root.attrib) == ("response", {"status": "error"})
    assert [child.tag for child in root] == ["error", "batch"]
    assert root.findtext("error") == REJECTED_SUMMARY.format(n=1)
    batch = root.find("batch")
    assert batch.attrib == {"status": "rejected"}
    assert batch.find("undo_state") is None
    counts = {child.tag: child.text for child in batch.find("customers")}
    assert counts == {"new": "1", "updated": "0", "ignored": "0", "failed": "1"}
    [error] = batch.findall("errors/error")
    assert (error.attrib, error.text) == (
        {"line": "2", "field": "custom_date"},
        BAD_DATE_FORMAT.format(value="04-03-2010"),
    )
    assert list(Customer.objects.values()) == before
    assert not UndoState.objects.exists()


def test_rejected_batch_json_mirrors_the_xml(post_batch):
    response = post_batch(
        ("code", "first_name", "custom_date"),
        "C1|Ann|\nC2|Bob|04-03-2010",
        all_or_nothing="yes",
        output="JSON",
    )

    body = json.loads(response.content)
    assert response.status_code == 400
    assert (body["status"], body["error"]) == ("error", REJECTED_SUMMARY.format(n=1))
    assert body["batch"]["status"] == "rejected"
    assert "undo_state" not in body["batch"]
    assert body["batch"]["customers"] == {"new": 1, "updated": 0, "ignored": 0, "failed": 1}
    assert body["batch"]["errors"] == [
        {"line": 2, "field": "custom_date", "message": BAD_DATE_FORMAT.format(value="04-03-2010")}
    ]
    assert not Customer.objects.exists()


def test_get_is_refused_with_405_in_the_error_envelope(client, user, campaigns):
    response = client.get("/api")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response["Content-Type"] == XML_TYPE
    root = etree.fromstring(response.content)
    assert (root.get("status"), root.findtext("error")) == ("error", ONLY_POST)


def test_a_body_over_the_limit_is_refused_with_413(client, user, campaigns, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    form = urlencode(batch_params(data="C1|Ann\n" * 400))

    response = client.post("/api", form, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 413
    root = etree.fromstring(response.content)
    assert root.findtext("error") == TOO_BIG.format(limit=2000)
    assert not Customer.objects.exists()


def test_a_body_over_the_limit_is_answered_as_the_query_string_asks(
    client, user, campaigns, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    form = urlencode(batch_params(data="C1|Ann\n" * 400, output="JSON"))

    response = client.post(
        "/api?output=JSON", form, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 413
    assert response["Content-Type"] == JSON_TYPE
    assert json.loads(response.content) == {
        "status": "error",
        "error": TOO_BIG.format(limit=2000),
    }


def test_an_unreadable_body_is_answered_as_the_query_string_asks(client, user, campaigns):
    response = client.post("/api?output=JSON", "%", content_type="multipart/form-data; boundary=x")

    assert response.status_code == 400
    assert response["Content-Type"] == JSON_TYPE
    assert json.loads(response.content)["status"] == "error"


def test_the_forms_output_wins_over_the_query_strings(client, user, campaigns):
    response = client.post("/api?output=JSON", batch_params(data="C1|Ann", output="XML"))

    assert response.status_code == 200
    assert response["Content-Type"] == XML_TYPE


def _success(client):
    return client.post("/api", batch_params(data="C1|Ann"))


def _json_success(client):
    return client.post("/api", batch_params(data="C1|Ann", output="JSON"))


def _jsonp(client):
    return client.post("/api", batch_params(data="C1|Ann", callback="f"))


def _unauthorized(client):
    return client.post("/api", batch_params(data="C1|Ann", user_password="wrong"))


def _bad_request(client):
    return client.post("/api", batch_params(data="C1|Ann", delimiter=None, output="JSON"))


def _rejected(client):
    return client.post("/api", batch_params(data="C1|Ann|x", all_or_nothing="yes"))


def _get(client):
    return client.get("/api")


def _too_big(client):
    form = urlencode(batch_params(data="C1|Ann\n" * 400))
    return client.post("/api", form, content_type="application/x-www-form-urlencoded")


@pytest.mark.parametrize(
    ("send", "status"),
    [
        (_success, 200),
        (_json_success, 200),
        (_jsonp, 200),
        (_unauthorized, 401),
        (_bad_request, 400),
        (_rejected, 400),
        (_get, 405),
        (_too_big, 413),
    ],
)
def test_every_response_says_nosniff(client, user, campaigns, settings, send, status):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000

    response = send(client)

    assert response.status_code == status
    assert response["X-Content-Type-Options"] == "nosniff"
