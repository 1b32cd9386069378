"""Reading the form: names case-insensitive, a name given twice refused, urlencoded bodies
decoded exactly like Django does but in bounded memory."""

import random
from urllib.parse import quote_plus, unquote_plus, urlencode

import pytest
from django.test import RequestFactory

from api import params as params_module
from api.exceptions import ApiError
from api.params import GIVEN_TWICE, form_pairs, form_params


def urlencoded_request(body: bytes):
    return RequestFactory().post(
        "/api", data=body, content_type="application/x-www-form-urlencoded"
    )


def test_form_params_lowercases_parameter_names():
    assert form_params([("Profiles_Data", "x"), ("OUTPUT", "Json")]) == {
        "profiles_data": "x",
        "output": "Json",
    }


@pytest.mark.parametrize("names", [("output", "OUTPUT"), ("output", "output")])
def test_form_params_refuses_a_name_given_twice_in_any_case(names):
    with pytest.raises(ApiError) as raised:
        form_params([(names[0], "xml"), (names[1], "json")])

    assert raised.value.message == GIVEN_TWICE.format(name="output")
    assert raised.value.status == 400


def test_urlencoded_fields_are_decoded_in_order():
    body = urlencode([("a", "x y"), ("Profiles_Data", "1|a\n2|b&c"), ("e", "")]).encode()

    assert form_pairs(urlencoded_request(body)) == [
        ("a", "x y"),
        ("Profiles_Data", "1|a\n2|b&c"),
        ("e", ""),
    ]


def test_invalid_utf8_is_replaced_as_django_does():
    pairs = form_pairs(urlencoded_request(b"first_name=%FF%FEbad"))

    assert pairs == [("first_name", "\ufffd\ufffdbad")]


def test_decoding_in_segments_never_cuts_an_escape(monkeypatch):
    monkeypatch.setattr(params_module, "UNQUOTE_SEGMENT_BYTES", 7)
    generator = random.Random(5)
    alphabet = 'ab|, \n"%+é€😀&='
    for _ in range(300):
        value = "".join(generator.choice(alphabet) for _ in range(generator.randrange(40)))
        body = ("v=" + quote_plus(value)).encode()

        assert form_pairs(urlencoded_request(body)) == [("v", unquote_plus(quote_plus(value)))]


def test_a_malformed_multipart_body_is_a_clear_400(client):
    response = client.post("/api", data=b"%", content_type="multipart/form-data")

    assert response.status_code == 400
    assert b"cannot be read as form data" in response.content
