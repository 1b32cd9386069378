"""Malformed requests the red team found answered with a 500 (L1): a charset that is not a
character set, and numbers of thousands of digits. Each gets a 400 naming what is wrong."""

import json
from urllib.parse import urlencode

import pytest
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from lxml import etree

from api.parsers import NOT_ASCII_CHARSET, UNREADABLE_CHARSET
from customers.batch import messages as m
from customers.models import Customer
from tests.conftest import batch_params

LONG_LABEL = "a" * 100
FORM = "application/x-www-form-urlencoded"


def api_error(response, status: int = 400) -> str:
    """The error of an API envelope: JSON when the form asked for it, else XML (a form
    that cannot be read asks for nothing)."""
    assert response.status_code == status
    if response["Content-Type"].startswith("application/json"):
        data = json.loads(response.content)
        assert data["status"] == "error"
        return data["error"]
    root = etree.fromstring(response.content)
    assert root.get("status") == "error"
    return root.findtext("error")


def post_in(client, body: bytes, content_type: str):
    """POST `body` as it is with this Content-Type (the test client would re-encode a body
    into the charset its content_type argument names)."""
    return client.post("/api", body, content_type=FORM, CONTENT_TYPE=content_type)


@pytest.mark.parametrize(
    "charset", ["idna", "punycode", "unicode_escape", "utf-7", "hz", "iso-2022-jp", "iso2022_kr"]
)
def test_a_charset_that_is_an_ascii_notation_is_refused_naming_it(client, user, campaigns, charset):
    body = urlencode(batch_params(data="C1|Ann", output="JSON", type=LONG_LABEL)).encode()

    response = post_in(client, body, f"{FORM}; charset={charset}")

    assert api_error(response) == UNREADABLE_CHARSET.format(charset=charset)
    assert not Customer.objects.exists()


@pytest.mark.parametrize("charset", ["rot13", "base64", "bz2"])
def test_a_charset_that_is_a_bytes_codec_is_refused_naming_it(client, user, campaigns, charset):
    body = urlencode(batch_params(data="C1|Ann", output="JSON")).encode()

    response = post_in(client, body, f"{FORM}; charset={charset}")

    assert response.status_code == 400
    assert charset in api_error(response)


@pytest.mark.parametrize("charset", ["bogus-9", "utf-9"])
def test_a_charset_that_names_no_encoding_is_refused_naming_it(client, user, campaigns, charset):
    # Integrator's report: Django leaves an unknown name out of request.encoding, and the
    # body was read as UTF-8 without a word (rot13 was refused).
    body = urlencode(batch_params(data="C1|Ann", output="JSON")).encode()

    response = post_in(client, body, f"{FORM}; charset={charset}")

    assert api_error(response) == UNREADABLE_CHARSET.format(charset=charset)
    assert not Customer.objects.exists()


def test_a_multipart_form_in_idna_is_refused_naming_the_charset(client, user, campaigns):
    body = encode_multipart(BOUNDARY, batch_params(data="C1|Ann", output="JSON", type=LONG_LABEL))

    response = post_in(client, body, f"{MULTIPART_CONTENT}; boundary={BOUNDARY}; charset=idna")

    assert api_error(response) == UNREADABLE_CHARSET.format(charset="idna")


def post_form(client, **params):
    body = urlencode(batch_params(**params)).encode()
    return client.post("/api", body, content_type=FORM)


def test_a_header_number_of_thousands_of_digits_is_refused(client, user, campaigns):
    name = "profiles_header_" + "1" * 5000

    response = post_form(client, data="C1|Ann", output="JSON", **{name: "code"})

    assert api_error(response) == m.HEADER_NUMBER_TOO_HIGH.format(name=m.shown(name), limit=200)


def test_a_header_number_with_leading_zeros_still_counts(post_batch):
    response = post_batch(headers=(), data="C1", output="JSON", profiles_header_0001="code")

    assert response.status_code == 200
    assert Customer.objects.get().code == "C1"


def test_card_number_digits_of_thousands_of_digits_are_refused(client, user, campaigns):
    value = "9" * 5000

    response = post_form(client, data="C1|Ann", output="JSON", card_number_generate=value)

    assert api_error(response) == m.BAD_CARD_NUMBER_DIGITS.format(value=m.shown(value))


def test_a_content_length_of_thousands_of_digits_is_too_large(client, user, campaigns):
    body = urlencode(batch_params(data="C1|Ann", output="JSON")).encode()

    response = client.post("/api", body, content_type=FORM, CONTENT_LENGTH="9" * 5000)

    assert response.status_code == 413
    assert not Customer.objects.exists()


@pytest.mark.parametrize("path", ["/api", "/api.php"])
def test_a_host_not_allowed_is_a_400_in_the_envelope_and_format_asked_for(client, path):
    # Django refuses the Host before any view runs; its own answer is an HTML page.
    response = client.post(
        path, {"type": "customers_batch", "output": "JSON"}, HTTP_HOST="evil.com"
    )

    assert response["Content-Type"].startswith("application/json")
    assert "Host header" in api_error(response)


def test_a_host_not_allowed_is_answered_in_xml_when_no_format_is_asked(client):
    response = client.post("/api", {"type": "customers_batch"}, HTTP_HOST="evil.com")

    assert response["Content-Type"].startswith("application/xml")
    assert "Host header" in api_error(response)


def test_a_host_not_allowed_elsewhere_gets_djangos_page(client):
    assert client.get("/admin/", HTTP_HOST="evil.com").status_code == 400


@pytest.mark.parametrize("charset", ["utf-16", "utf-16-le", "utf-32", "cp037"])
def test_a_charset_that_does_not_write_ascii_as_ascii_is_refused_naming_it(
    client, user, campaigns, charset
):
    # Seventh red team: the answer was "type is required" although type was sent.
    body = urlencode(batch_params(data="C1|Ann", output="JSON")).encode(charset)

    response = post_in(client, body, f"{FORM}; charset={charset}")

    assert response.status_code == 400
    assert api_error(response) == NOT_ASCII_CHARSET.format(charset=charset)
    assert not Customer.objects.exists()


def test_a_header_number_in_other_digits_than_0_to_9_says_so(post_batch):
    response = post_batch(("code",), "C1", output="JSON", profiles_header_١="first_name")

    assert response.status_code == 400
    assert json.loads(response.content)["error"] == m.HEADER_NUMBER_NOT_ASCII.format(
        name="profiles_header_١"
    )
