"""Reading the form: names case-insensitive, a name given twice refused, urlencoded bodies
decoded exactly like Django does but in bounded memory."""

import io
import json
import random
from urllib.parse import quote_plus, unquote_plus, urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from api import parsers as parsers_module
from api.exceptions import NOT_FORM_DATA
from api.params import GIVEN_TWICE, GIVEN_TWICE_IN_TWO_CASES, form_pairs, form_params
from api.parsers import BODY_NOT_READ, CUT_SHORT, NO_BOUNDARY, FormParser
from core.errors import InvalidRequest
from customers.models import Customer
from tests.conftest import batch_params


def parsed(body: bytes, charset: str = "utf-8") -> list[tuple[str, str]]:
    """The (name, value) pairs the API's urlencoded parser reads from `body`."""
    request = RequestFactory().post(
        "/api", data=body, content_type="application/x-www-form-urlencoded"
    )
    context = {"request": request, "encoding": charset}
    return form_pairs(FormParser().parse(io.BytesIO(body), parser_context=context))


def test_form_params_lowercases_parameter_names():
    assert form_params([("Profiles_Data", "x"), ("OUTPUT", "Json")]) == {
        "profiles_data": "x",
        "output": "Json",
    }


@pytest.mark.parametrize(
    ("names", "said"),
    [
        (("output", "OUTPUT"), GIVEN_TWICE_IN_TWO_CASES.format(name="output", other="OUTPUT")),
        (("Output", "Output"), GIVEN_TWICE.format(name="Output")),
    ],
)
def test_form_params_refuses_a_name_given_twice_in_any_case_naming_it_as_sent(names, said):
    with pytest.raises(InvalidRequest) as raised:
        form_params([(names[0], "xml"), (names[1], "json")])

    assert raised.value.message == said


def test_urlencoded_fields_are_decoded_in_order():
    body = urlencode([("a", "x y"), ("Profiles_Data", "1|a\n2|b&c"), ("e", "")]).encode()

    assert parsed(body) == [
        ("a", "x y"),
        ("Profiles_Data", "1|a\n2|b&c"),
        ("e", ""),
    ]


def test_invalid_utf8_is_replaced_as_django_does():
    pairs = parsed(b"first_name=%FF%FEbad")

    assert pairs == [("first_name", "\ufffd\ufffdbad")]


def test_decoding_in_segments_never_cuts_an_escape(monkeypatch):
    monkeypatch.setattr(parsers_module, "UNQUOTE_SEGMENT_BYTES", 7)
    generator = random.Random(5)
    alphabet = 'ab|, \n"%+é€😀&='
    for _ in range(300):
        value = "".join(generator.choice(alphabet) for _ in range(generator.randrange(40)))
        body = ("v=" + quote_plus(value)).encode()

        assert parsed(body) == [("v", unquote_plus(quote_plus(value)))]


def test_a_multipart_body_without_a_boundary_is_refused_saying_the_boundary_is_missing(client):
    response = client.post("/api", data=b"%", content_type="multipart/form-data")

    assert response.status_code == 400
    assert NO_BOUNDARY in response.content.decode().replace("&#x27;", "'")


def test_a_charset_named_by_the_content_type_decodes_the_form():
    assert parsed(b"first_name=Jos%E9", charset="iso-8859-1") == [("first_name", "José")]


def test_a_body_that_is_not_form_data_is_refused_saying_how_to_send_it(client):
    response = client.post(
        "/api", data=b'{"type": "customers_batch"}', content_type="application/json"
    )

    assert response.status_code == 400
    assert response.content.decode() == (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<response status="error">\n'
        f"  <error>{NOT_FORM_DATA}</error>\n"
        "</response>\n"
    )


# An integrator's report: a JSON body sent to /api?output=JSON was refused in XML.
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(b'{"type": "customers_batch"}', "application/json", id="json body"),
        pytest.param(b"type=x", "text/plain", id="text body"),
    ],
)
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param("output=JSON", '{\n  "status": "error",\n  "error": "%s"\n}', id="json"),
        pytest.param(
            "output=JSON&condensed=yes", '{"status":"error","error":"%s"}', id="condensed"
        ),
        pytest.param(
            "callback=cb", '/**/cb({\n  "status": "error",\n  "error": "%s"\n});', id="jsonp"
        ),
    ],
)
def test_a_body_that_is_not_form_data_is_refused_in_the_format_the_query_string_asks(
    client, body, content_type, query, expected
):
    response = client.post(f"/api?{query}", data=body, content_type=content_type)

    assert response.status_code == (200 if "callback" in query else 400)
    assert response.content.decode() == expected % NOT_FORM_DATA


@pytest.mark.parametrize(
    ("meta", "reason"),
    [
        ({"HTTP_TRANSFER_ENCODING": "chunked"}, "chunked transfer encoding is not read"),
        ({"CONTENT_LENGTH": "ten"}, "got Content-Length ten"),
        ({"CONTENT_LENGTH": "-5"}, "got Content-Length -5"),
    ],
)
def test_a_body_without_a_usable_length_is_refused_saying_so(client, meta, reason):
    response = client.generic(
        "POST", "/api", b"", content_type="application/x-www-form-urlencoded", **meta
    )

    assert response.status_code == 400
    assert BODY_NOT_READ.format(reason=reason) in response.content.decode()


def multipart_batch(boundary: str = "XyZ") -> bytes:
    params = batch_params(data=None, output="JSON")
    # Profiles_Data last, as a cut-short body would end inside it.
    params["Profiles_Data"] = "T1|A\nT2|B\nT3|C\nT4|D"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in params.items()
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def test_a_whole_multipart_body_imports(client, user, campaigns):
    response = client.generic(
        "POST", "/api", multipart_batch(), content_type="multipart/form-data; boundary=XyZ"
    )

    assert response.status_code == 200, response.content
    assert Customer.objects.count() == 4


def test_a_multipart_body_cut_short_is_refused_and_nothing_is_imported(client, user, campaigns):
    body = multipart_batch()
    cut = body[: body.index(b"T3|C") + 2]

    response = client.generic("POST", "/api", cut, content_type="multipart/form-data; boundary=XyZ")

    assert response.status_code == 400
    assert CUT_SHORT in response.content.decode().replace("&#x27;", "'")
    assert not Customer.objects.exists()


def test_profiles_data_sent_as_a_file_part_is_read_as_the_text(client, user, campaigns):
    # curl -F 'Profiles_Data=@customers.csv', PHP's CURLFile: a file part, not a text field.
    upload = SimpleUploadedFile("customers.csv", "T1|Zoë\r\nT2|B\n".encode())
    params = {**batch_params(data=None, output="JSON"), "Profiles_Data": upload}

    response = client.post("/api", params)

    assert response.status_code == 200, response.content
    assert sorted(Customer.objects.values_list("code", "first_name")) == [
        ("T1", "Zoë"),
        ("T2", "B"),
    ]


def test_profiles_data_as_a_file_part_and_a_text_field_is_given_twice(client, user, campaigns):
    upload = SimpleUploadedFile("customers.csv", b"T1|A")
    params = {**batch_params(data="T2|B", output="JSON"), "profiles_data": upload}

    response = client.post("/api", params)

    assert response.status_code == 400
    said = GIVEN_TWICE_IN_TWO_CASES.format(name="Profiles_Data", other="profiles_data")
    assert json.loads(response.content)["error"] == said
    assert not Customer.objects.exists()


def test_profiles_data_as_a_file_part_is_within_the_body_limit(client, user, campaigns, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    upload = SimpleUploadedFile("customers.csv", b"T1|A\n" * 1000)
    params = {**batch_params(data=None, output="JSON"), "Profiles_Data": upload}

    response = client.post("/api", params)

    assert response.status_code == 413
    assert not Customer.objects.exists()


def test_more_fields_than_allowed_are_refused_and_as_many_are_read(settings):
    from rest_framework.exceptions import ParseError

    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3

    assert parsed(b"a=1&&b=2&c=3&") == [("a", "1"), ("b", "2"), ("c", "3")]
    with pytest.raises(ParseError) as raised:
        parsed(b"a=1&b=2&c=3&d")
    assert raised.value.detail == parsers_module.TOO_MANY_FIELDS


def test_a_field_without_an_equals_sign_is_a_name_with_an_empty_value():
    assert parsed(b"a&b=&=c&d=e=f+g") == [("a", ""), ("b", ""), ("", "c"), ("d", "e=f g")]
