"""Output formats, the error envelope and the customers_batch response, as the contract's
Responses section shows them: the negotiation's choice from the parameters, the renderers,
and the view's finishing of every answer (JSONP's 200, the headers)."""

import json

import pytest
from django.test import RequestFactory
from lxml import etree
from rest_framework.response import Response

from api.negotiation import (
    BAD_CALLBACK,
    BAD_OUTPUT,
    XML,
    OutputFormat,
    check_output_parameters,
    requested_format,
)
from api.renderers import XMLRenderer
from api.serializers import REJECTED_SUMMARY, batch_data, error_data
from api.views import ApiView
from core.errors import InvalidRequest
from customers.batch.types import BatchStatus, GeneratedIdentity, ImportResult, LineError

# Requests asking for each format, by their parameters.
XML_ASKED: dict[str, str] = {}
JSON = {"output": "json"}
CONDENSED = {"output": "json", "condensed": "yes"}
JSONP = {"callback": "app.done"}
DATE_ERROR = "custom_date must be YYYY-MM-DD, got 04-03-2010"
HOSTILE = "a<b & c]]> \"q\" 'q' \x00\x08\x0b\x0c\x1f\ufffe\uffff\ud800\udfff \u2028\u2029 é"
HOSTILE_FOR_XML = (
    "a<b & c]]> \"q\" 'q' \ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd \u2028\u2029 é"
)
# Only lone surrogates differ in JSON: they cannot be encoded as UTF-8.
HOSTILE_FOR_JSON = (
    "a<b & c]]> \"q\" 'q' \x00\x08\x0b\x0c\x1f\ufffe\uffff\ufffd\ufffd \u2028\u2029 é"
)


def contract_result(**changes) -> ImportResult:
    """The example of the contract's Responses section."""
    values = dict(
        status=BatchStatus.IMPORTED,
        new=2,
        updated=1,
        ignored=0,
        failed=1,
        undo_state_id=42,
        generated=[GeneratedIdentity(3, "4417093316641128", "0071937715")],
        errors=[LineError(5, "custom_date", DATE_ERROR)],
    )
    return ImportResult(**{**values, **changes})


def output_format(params: dict[str, str]) -> OutputFormat:
    """The format of a request whose output parameters were accepted."""
    check_output_parameters(params)
    return requested_format(params)


def answered(params: dict[str, str], data: dict, status: int = 200, headers=None):
    """`data` answered as ApiView answers a request with these parameters: negotiated,
    rendered and finished by the view itself."""
    view = ApiView()
    view.args, view.kwargs, view.format_kwarg = (), {}, None
    request = view.initialize_request(RequestFactory().post("/api", params))
    view.request, view.headers = request, view.default_response_headers
    request.accepted_renderer, request.accepted_media_type = view.perform_content_negotiation(
        request
    )
    response = view.finalize_response(request, Response(data, status, headers=headers))
    return response.render()


def error_response(params: dict[str, str], message: str, status: int, headers=None):
    return answered(params, error_data(message), status, headers)


def batch_response(params: dict[str, str], result: ImportResult):
    status = 400 if result.status is BatchStatus.REJECTED else 200
    return answered(params, batch_data(result), status)


def parsed_xml(response) -> etree._Element:
    return etree.fromstring(response.content)


# the format the parameters ask for


def test_output_is_xml_by_default():
    assert output_format({}) == XML


@pytest.mark.parametrize("value", ["json", "JSON", "Json"])
def test_output_json_is_case_insensitive(value):
    assert output_format({"output": value}) == OutputFormat("json")


@pytest.mark.parametrize("value", ["xml", "XML", ""])
def test_output_xml_is_case_insensitive(value):
    assert output_format({"output": value}) == XML


def test_unknown_output_is_refused_naming_the_accepted_values():
    with pytest.raises(InvalidRequest) as raised:
        output_format({"output": "csv"})
    assert raised.value.message == BAD_OUTPUT.format(value="csv")
    assert raised.value.message == "output must be XML or JSON, got csv."


@pytest.mark.parametrize("callback", ["cb", "a.b_c$1", "$", "_x.$y.z9", "a" * 128])
def test_javascript_identifier_paths_are_accepted_as_callbacks(callback):
    assert output_format({"callback": callback}) == OutputFormat("jsonp", callback)


def test_callback_implies_jsonp_even_when_xml_is_asked_for():
    assert output_format({"output": "xml", "callback": "cb"}).kind == "jsonp"


@pytest.mark.parametrize(
    "callback",
    ["alert(1)", "a..b", "1abc", "a b", "a.", ".a", "a-b", "a;b", "a\nb", "a-" * 20],
)
def test_callbacks_that_are_not_identifier_paths_are_refused(callback):
    with pytest.raises(InvalidRequest) as raised:
        output_format({"callback": callback})
    assert raised.value.message == BAD_CALLBACK.format(value=callback)


@pytest.mark.parametrize("callback", ["a" * 129, "a" * 500, "x(" + "y" * 498])
def test_a_long_refused_callback_is_quoted_back_only_40_characters_long(callback):
    with pytest.raises(InvalidRequest) as raised:
        output_format({"callback": callback})
    assert raised.value.message == (
        "callback must be a JavaScript identifier such as myFunction or app.handle_1, "
        f"got {callback[:40]}\u2026."
    )


@pytest.mark.parametrize("value", ["yes", "YES", "Yes"])
def test_condensed_yes_is_case_insensitive(value):
    assert output_format({"output": "json", "condensed": value}) == OutputFormat("json", None, True)


def test_condensed_other_than_yes_is_not_condensed():
    assert output_format({"output": "json", "condensed": "no"}) == OutputFormat("json")


def test_a_bad_callback_is_reported_in_plain_json():
    params = {"callback": "alert(1)", "condensed": "yes"}
    with pytest.raises(InvalidRequest):
        output_format(params)
    assert requested_format(params) == OutputFormat("json", None, True)


def test_a_valid_callback_is_kept_when_output_is_bad():
    assert requested_format({"output": "csv", "callback": "cb"}) == OutputFormat("jsonp", "cb")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, XML),
        ({"output": "csv"}, XML),
        ({"output": "JSON"}, OutputFormat("json")),
        ({"output": "csv", "callback": "a b"}, OutputFormat("json")),
    ],
)
def test_the_requested_format_never_raises(params, expected):
    assert requested_format(params) == expected


# the error envelope


def test_error_envelope_in_xml_by_default():
    response = error_response(XML_ASKED, "Human readable message", 401)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response.content.decode() == (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<response status="error">\n'
        "  <error>Human readable message</error>\n"
        "</response>\n"
    )


def test_error_envelope_in_xml_when_there_is_no_request():
    content = XMLRenderer().render(error_data("Human readable message"))
    assert etree.fromstring(content).findtext("error") == "Human readable message"


def test_error_envelope_in_json():
    response = error_response(JSON, "Human readable message", 403)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.content.decode() == (
        '{\n  "status": "error",\n  "error": "Human readable message"\n}'
    )


def test_condensed_error_envelope_has_no_white_space_outside_strings():
    response = error_response(CONDENSED, "Bad thing", 400)
    assert response.content == b'{"status":"error","error":"Bad thing"}'


def test_jsonp_error_is_200_so_the_callback_runs():
    response = error_response(JSONP, "Too many attempts", 429)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/javascript; charset=utf-8"
    assert response.content.decode() == (
        '/**/app.done({\n  "status": "error",\n  "error": "Too many attempts"\n});'
    )


def test_error_envelope_carries_the_extra_headers():
    response = error_response(JSON, "Slow down", 429, {"Retry-After": "60"})
    assert response["Retry-After"] == "60"
    assert response.status_code == 429


@pytest.mark.parametrize("fmt", [XML_ASKED, JSON, JSONP])
def test_every_response_is_nosniff_and_not_stored(fmt):
    for response in (
        error_response(fmt, "m", 400),
        batch_response(fmt, contract_result()),
    ):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Cache-Control"] == "no-store"


# the customers_batch answer


def test_success_in_xml_is_the_contract_example():
    response = batch_response(XML_ASKED, contract_result())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    assert response.content.decode() == (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<response status="success">\n'
        '  <batch status="imported">\n'
        "    <customers>\n"
        "      <new>2</new>\n"
        "      <updated>1</updated>\n"
        "      <ignored>0</ignored>\n"
        "      <failed>1</failed>\n"
        "    </customers>\n"
        "    <undo_state>42</undo_state>\n"
        "    <generated>\n"
        '      <customer line="3">\n'
        "        <code>4417093316641128</code>\n"
        "        <card_number>0071937715</card_number>\n"
        "      </customer>\n"
        "    </generated>\n"
        "    <errors>\n"
        f'      <error line="5" field="custom_date">{DATE_ERROR}</error>\n'
        "    </errors>\n"
        "  </batch>\n"
        "</response>\n"
    )


def test_success_in_condensed_json_is_the_contract_example():
    response = batch_response(CONDENSED, contract_result())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.content.decode() == (
        '{"status":"success","batch":{"status":"imported",'
        '"customers":{"new":2,"updated":1,"ignored":0,"failed":1},'
        '"undo_state":42,'
        '"generated":[{"line":3,"code":"4417093316641128","card_number":"0071937715"}],'
        f'"errors":[{{"line":5,"field":"custom_date","message":"{DATE_ERROR}"}}]}}}}'
    )


def test_pretty_json_has_the_same_content_indented_by_two():
    pretty = batch_response(JSON, contract_result()).content.decode()
    condensed = batch_response(CONDENSED, contract_result()).content.decode()
    assert json.loads(pretty) == json.loads(condensed)
    assert pretty.startswith('{\n  "status": "success",\n  "batch": {\n    "status"')


def test_validate_only_reports_a_validated_batch():
    result = contract_result(status=BatchStatus.VALIDATED, undo_state_id=None)
    assert parsed_xml(batch_response(XML_ASKED, result)).find("batch").get("status") == "validated"
    assert json.loads(batch_response(JSON, result).content)["batch"]["status"] == "validated"


def test_undo_state_is_left_out_when_none_was_recorded():
    result = contract_result(undo_state_id=None)
    assert parsed_xml(batch_response(XML_ASKED, result)).find("batch/undo_state") is None
    assert "undo_state" not in json.loads(batch_response(JSON, result).content)["batch"]


def test_generated_and_errors_are_always_present_even_when_empty():
    result = contract_result(generated=[], errors=[], failed=0)
    batch = parsed_xml(batch_response(XML_ASKED, result)).find("batch")
    assert [child.tag for child in batch] == ["customers", "undo_state", "generated", "errors"]
    assert len(batch.find("generated")) == 0 and len(batch.find("errors")) == 0
    body = json.loads(batch_response(JSON, result).content)["batch"]
    assert body["generated"] == [] and body["errors"] == []


def test_generated_identities_list_only_the_values_the_service_made_up():
    result = contract_result(
        generated=[GeneratedIdentity(3, "4417093316641128", None), GeneratedIdentity(4, None, "77")]
    )
    customers = parsed_xml(batch_response(XML_ASKED, result)).findall("batch/generated/customer")
    assert [[child.tag for child in customer] for customer in customers] == [
        ["code"],
        ["card_number"],
    ]
    assert json.loads(batch_response(JSON, result).content)["batch"]["generated"] == [
        {"line": 3, "code": "4417093316641128"},
        {"line": 4, "card_number": "77"},
    ]


def test_a_line_error_without_a_field_has_no_field_attribute_or_key():
    result = contract_result(errors=[LineError(7, None, "line 7 has 3 values, expected 4")])
    error = parsed_xml(batch_response(XML_ASKED, result)).find("batch/errors/error")
    assert dict(error.attrib) == {"line": "7"}
    assert json.loads(batch_response(JSON, result).content)["batch"]["errors"] == [
        {"line": 7, "message": "line 7 has 3 values, expected 4"}
    ]


def test_rejected_batch_in_xml_is_an_error_holding_the_batch():
    result = contract_result(status=BatchStatus.REJECTED, new=0, updated=0, undo_state_id=None)
    response = batch_response(XML_ASKED, result)
    assert response.status_code == 400
    assert response.content.decode() == (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<response status="error">\n'
        "  <error>Nothing was imported: 1 line(s) failed and all_or_nothing is set.</error>\n"
        '  <batch status="rejected">\n'
        "    <customers>\n"
        "      <new>0</new>\n"
        "      <updated>0</updated>\n"
        "      <ignored>0</ignored>\n"
        "      <failed>1</failed>\n"
        "    </customers>\n"
        "    <generated>\n"
        '      <customer line="3">\n'
        "        <code>4417093316641128</code>\n"
        "        <card_number>0071937715</card_number>\n"
        "      </customer>\n"
        "    </generated>\n"
        "    <errors>\n"
        f'      <error line="5" field="custom_date">{DATE_ERROR}</error>\n'
        "    </errors>\n"
        "  </batch>\n"
        "</response>\n"
    )


def test_rejected_batch_in_json_is_an_error_holding_the_batch():
    result = contract_result(status=BatchStatus.REJECTED, failed=2, undo_state_id=None)
    response = batch_response(JSON, result)
    assert response.status_code == 400
    body = json.loads(response.content)
    assert list(body) == ["status", "error", "batch"]
    assert body["status"] == "error"
    assert body["error"] == REJECTED_SUMMARY.format(n=2)
    assert body["batch"]["status"] == "rejected"
    assert body["batch"]["errors"] == [{"line": 5, "field": "custom_date", "message": DATE_ERROR}]


def test_rejected_batch_in_jsonp_is_200_so_the_callback_runs():
    result = contract_result(status=BatchStatus.REJECTED)
    assert batch_response(JSONP, result).status_code == 200


def test_json_keys_follow_the_contract_order():
    body = json.loads(batch_response(JSON, contract_result()).content)
    assert list(body) == ["status", "batch"]
    assert list(body["batch"]) == [
        "status",
        "customers",
        "undo_state",
        "generated",
        "errors",
    ]
    assert list(body["batch"]["customers"]) == ["new", "updated", "ignored", "failed"]
    assert list(body["batch"]["generated"][0]) == ["line", "code", "card_number"]
    assert list(body["batch"]["errors"][0]) == ["line", "field", "message"]


# hostile values


def hostile_result() -> ImportResult:
    return contract_result(
        generated=[GeneratedIdentity(3, HOSTILE, HOSTILE)],
        errors=[LineError(5, HOSTILE, HOSTILE)],
    )


def test_hostile_values_give_well_formed_xml_with_unrepresentable_characters_replaced():
    root = parsed_xml(batch_response(XML_ASKED, hostile_result()))
    assert root.findtext("batch/generated/customer/code") == HOSTILE_FOR_XML
    assert root.findtext("batch/generated/customer/card_number") == HOSTILE_FOR_XML
    error = root.find("batch/errors/error")
    assert error.text == HOSTILE_FOR_XML
    assert error.get("field") == HOSTILE_FOR_XML


def test_hostile_error_message_gives_well_formed_xml():
    response = error_response(XML_ASKED, HOSTILE, 400)
    assert parsed_xml(response).findtext("error") == HOSTILE_FOR_XML


@pytest.mark.parametrize("fmt", [JSON, CONDENSED])
def test_hostile_values_give_valid_json(fmt):
    body = json.loads(batch_response(fmt, hostile_result()).content.decode("utf-8"))
    assert body["batch"]["generated"][0]["code"] == HOSTILE_FOR_JSON
    assert body["batch"]["errors"][0] == {
        "line": 5,
        "field": HOSTILE_FOR_JSON,
        "message": HOSTILE_FOR_JSON,
    }
    assert json.loads(error_response(fmt, HOSTILE, 400).content) == {
        "status": "error",
        "error": HOSTILE_FOR_JSON,
    }


def test_json_escapes_markup_characters_so_it_is_safe_inside_a_script():
    content = error_response(CONDENSED, "</script><b>&", 400).content
    assert content == b'{"status":"error","error":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026"}'


def test_jsonp_escapes_line_and_paragraph_separators_so_the_script_parses():
    content = error_response(JSONP, "a\u2028b\u2029c", 400).content.decode()
    assert "\u2028" not in content and "\u2029" not in content
    assert content.endswith('"a\\u2028b\\u2029c"\n});')
    assert json.loads(content.removeprefix("/**/app.done(").removesuffix(");"))["error"] == (
        "a\u2028b\u2029c"
    )
