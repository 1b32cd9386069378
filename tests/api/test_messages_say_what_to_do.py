"""An integrator's requests that were refused with a message that misled them (issue 15's
outsider, with curl): each is answered saying what is wrong and how to send it, and the
call's name is read as every other parameter's value is, in any case."""

import gzip
import json
from urllib.parse import urlencode

import pytest

from customers.models import Customer
from jobs.messages import UNKNOWN_JOB
from tests.conftest import batch_params


def error_of(response, status: int = 400) -> str:
    assert response.status_code == status, response.content
    return json.loads(response.content)["error"]


def test_a_gzip_body_is_refused_saying_compressed_bodies_are_not_read(client, user, campaigns):
    form = urlencode(batch_params(data="C1|Jane", output="JSON")).encode()

    response = client.generic(
        "POST",
        "/api?output=JSON",
        gzip.compress(form),
        content_type="application/x-www-form-urlencoded",
        HTTP_CONTENT_ENCODING="gzip",
    )

    assert error_of(response) == (
        "The request body is compressed (Content-Encoding: gzip); this server reads only "
        "uncompressed form data: send it without Content-Encoding. Nothing was done."
    )
    assert not Customer.objects.exists()


def test_a_request_id_with_a_space_is_refused_saying_so_and_showing_it(post_batch):
    response = post_batch(data="C1|Jane", output="JSON", request_id="a b")

    assert error_of(response) == (
        "request_id must be 1 to 128 printable ASCII characters, without spaces, got a b."
    )


def test_profiles_header_0_is_refused_saying_the_numbers_start_at_1(post_batch):
    response = post_batch(data="C1|Jane", output="JSON", profiles_header_0="email")

    assert error_of(response) == ("profiles_header_0: header numbers start at 1 and go up to 200.")


@pytest.mark.parametrize("name", ["no_undo", "validate_only", "all_or_nothing"])
def test_a_yes_no_option_refuses_another_value_naming_yes_and_no(post_batch, name):
    response = post_batch(data="C1|Jane", output="JSON", **{name: "true"})

    assert error_of(response) == (
        f"{name} must be yes or no (or left out; either in any case), got true."
    )


def test_run_in_background_is_a_yes_no_option_as_the_others(post_batch):
    response = post_batch(data="C1|Jane", output="JSON", run_in_background="soon")

    assert error_of(response) == (
        "run_in_background must be yes or no (or left out; either in any case), got soon."
    )


@pytest.mark.parametrize("value", ["NO", "No", " no "])
def test_no_in_any_case_is_no(post_batch, value):
    response = post_batch(data="C1|Jane", output="JSON", validate_only=value)

    assert json.loads(response.content)["batch"]["status"] == "imported"
    assert Customer.objects.count() == 1


def test_an_unknown_header_name_that_starts_a_fields_word_suggests_those_fields(post_batch):
    response = post_batch(headers=("code", "nam"), data="C1|Jane", output="JSON")

    assert error_of(response) == (
        "profiles_header_2: unknown field nam; did you mean first_name or last_name?"
    )


@pytest.mark.parametrize("value", ["CUSTOMERS_BATCH", "Customers_Batch", " customers_batch "])
def test_the_call_is_named_in_any_case(post_batch, value):
    response = post_batch(data="C1|Jane", output="JSON", type=value)

    assert json.loads(response.content)["batch"]["status"] == "imported"


def test_the_status_call_is_named_in_any_case(post_batch):
    response = post_batch(
        data=None, headers=(), output="JSON", type="Customers_Batch_Status", job_id="x"
    )

    assert error_of(response) == UNKNOWN_JOB.format(value="x")
