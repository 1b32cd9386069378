"""customers_batch request parameters: every row of the contract's parameter table, the
transport rules (/api, /api.php, GET, body size, credentials in the URL) and API 1.5."""

import json
from urllib.parse import urlencode

import pytest
from lxml import etree

from accounts.credentials import INVALID_CREDENTIALS
from api.authentication import CREDENTIALS_IN_URL
from api.negotiation import BAD_CALLBACK, BAD_OUTPUT
from api.params import GIVEN_TWICE, MISSPELLED
from api.parsers import TOO_BIG
from api.views import MISSING_TYPE, UNKNOWN_TYPE
from campaigns.models import Campaign, Enrollment
from customers.batch import messages as m
from customers.models import Customer, UndoState
from tests.conftest import API_KEY, EVENTS, GIFTCARD, POINTS, batch_params
from tests.factories import make_campaign

METHOD_NOT_ALLOWED = "Only POST is accepted; send the parameters as form data."
XML_TYPE = "application/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
JSONP_TYPE = "application/javascript; charset=utf-8"


def body(response) -> dict:
    return json.loads(response.content)


def xml(response) -> etree._Element:
    return etree.fromstring(response.content)


def xml_error(response, status: int = 400) -> str:
    assert response.status_code == status
    assert response["Content-Type"] == XML_TYPE
    root = xml(response)
    assert root.get("status") == "error"
    return root.findtext("error")


def json_error(response, status: int = 400) -> str:
    assert response.status_code == status
    assert response["Content-Type"] == JSON_TYPE
    data = body(response)
    assert data["status"] == "error"
    return data["error"]


def counts(data: dict) -> dict:
    return data["batch"]["customers"]


def assert_nothing_imported() -> None:
    assert not Customer.objects.exists()
    assert not UndoState.objects.exists()
    assert not Enrollment.objects.exists()


def params_15(headers=("code", "first_name"), data="C1|Jane", **extra) -> dict:
    """An API 1.5 form: the API key instead of the password."""
    extra = {"API": "1.5", "user_password": None, "user_api_key": API_KEY, **extra}
    return batch_params(headers, data, **extra)


@pytest.fixture
def api(client, user, campaigns):
    """api(params, path="/api", **http_headers) -> response."""

    def post(params, path="/api", **headers):
        return client.post(path, params, **headers)

    return post


# delimiter


@pytest.mark.parametrize(
    ("delimiter", "character"),
    [("pipe", "|"), ("|", "|"), ("comma", ","), (",", ","), ("tab", "\t"), ("\t", "\t")],
)
def test_delimiter_accepts_the_words_and_the_characters(post_batch, delimiter, character):
    response = post_batch(data=f"C1{character}Jane", delimiter=delimiter, output="JSON")

    assert counts(body(response))["new"] == 1
    assert Customer.objects.get().first_name == "Jane"


def test_delimiter_word_is_case_insensitive(post_batch):
    response = post_batch(data="C1,Jane", delimiter="Comma", output="JSON")

    assert counts(body(response))["new"] == 1


def test_missing_delimiter_is_refused(post_batch):
    response = post_batch(data="C1|Jane", delimiter=None, output="JSON")

    assert json_error(response) == m.MISSING_PARAMETER.format(name="delimiter")
    assert_nothing_imported()


def test_unknown_delimiter_is_refused(post_batch):
    response = post_batch(data="C1;Jane", delimiter="semicolon", output="JSON")

    assert json_error(response) == m.BAD_DELIMITER.format(value="semicolon")
    assert_nothing_imported()


# overwrite_duplicates


@pytest.mark.parametrize("mode", ["yes", "update", "ignore", "UPDATE"])
def test_overwrite_duplicates_accepts_the_three_modes(post_batch, mode):
    response = post_batch(data="C1|Jane", overwrite_duplicates=mode, output="JSON")

    assert response.status_code == 200
    assert counts(body(response))["new"] == 1


def test_absent_overwrite_duplicates_means_ignore(post_batch):
    post_batch(data="C1|Jane")

    response = post_batch(data="C1|Joan", output="JSON")

    assert counts(body(response)) == {"new": 0, "updated": 0, "ignored": 1, "failed": 0}
    assert Customer.objects.get().first_name == "Jane"


def test_unknown_overwrite_duplicates_is_refused(post_batch):
    response = post_batch(data="C1|Jane", overwrite_duplicates="overwrite", output="JSON")

    assert json_error(response) == m.BAD_OVERWRITE.format(value="overwrite")
    assert_nothing_imported()


# no_undo


def test_no_undo_yes_records_no_undo_state(post_batch):
    response = post_batch(data="C1|Jane", no_undo="yes", output="JSON")

    assert "undo_state" not in body(response)["batch"]
    assert Customer.objects.count() == 1
    assert not UndoState.objects.exists()


def test_without_no_undo_one_undo_state_is_recorded(post_batch):
    response = post_batch(data="C1|Jane\nC2|Jim", output="JSON")

    state = UndoState.objects.get()
    assert body(response)["batch"]["undo_state"] == state.pk
    assert (state.new, state.source) == (2, UndoState.Source.API)


def test_no_undo_no_records_an_undo_state(post_batch):
    post_batch(data="C1|Jane", no_undo="no")

    assert UndoState.objects.count() == 1


def test_bad_no_undo_value_is_refused(post_batch):
    response = post_batch(data="C1|Jane", no_undo="true", output="JSON")

    assert json_error(response) == m.BAD_YES_FLAG.format(name="no_undo", value="true")
    assert_nothing_imported()


# card_number_generate


@pytest.mark.parametrize("digits", [4, 32])
def test_card_number_generate_accepts_4_to_32_digits(post_batch, digits):
    response = post_batch(data="C1|Jane", card_number_generate=str(digits), output="JSON")

    card_number = Customer.objects.get().card_number
    assert len(card_number) == digits and card_number.isdigit()
    assert body(response)["batch"]["generated"] == [
        {"line": 1, "code": "C1", "card_number": card_number}
    ]


@pytest.mark.parametrize("value", ["3", "33", "ten", "10a", "-5", "1e1"])
def test_card_number_generate_outside_4_to_32_is_refused(post_batch, value):
    response = post_batch(data="C1|Jane", card_number_generate=value, output="JSON")

    assert json_error(response) == m.BAD_CARD_NUMBER_DIGITS.format(value=value)
    assert_nothing_imported()


# campaigns_to_include


def test_campaigns_to_include_is_required(post_batch):
    response = post_batch(data="C1|Jane", campaigns_to_include=None, output="JSON")

    assert json_error(response) == m.MISSING_PARAMETER.format(name="campaigns_to_include")
    assert_nothing_imported()


def test_campaigns_are_separated_by_pipe_comma_pipe_in_1_0(post_batch, campaigns):
    post_batch(data="C1|Jane", campaigns_to_include=f"{POINTS}|,|{EVENTS}|,|{GIFTCARD}")

    enrolled = Enrollment.objects.filter(customer__code="C1").values_list("campaign", flat=True)
    assert set(enrolled) == {campaigns[c].pk for c in (POINTS, EVENTS, GIFTCARD)}


def test_comma_is_no_campaign_separator_in_1_0(post_batch):
    ids = f"{POINTS},{EVENTS}"
    response = post_batch(data="C1|Jane", campaigns_to_include=ids, output="JSON")

    assert json_error(response) == m.UNKNOWN_SEPARATED_CAMPAIGNS.format(ids=ids)
    assert_nothing_imported()


def test_unknown_inactive_and_foreign_campaigns_are_named_and_nothing_imported(
    post_batch, campaigns, other_account
):
    Campaign.objects.filter(campaign_id=EVENTS).update(is_active=False)
    make_campaign(account=other_account, campaign_id="777")

    response = post_batch(
        data="C1|Jane",
        campaigns_to_include=f"{POINTS}|,|nope|,|{EVENTS}|,|777",
        output="JSON",
    )

    assert json_error(response) == m.UNKNOWN_CAMPAIGNS.format(ids=f"nope, {EVENTS}, 777")
    assert_nothing_imported()


# profiles_header_N, Profiles_Data


def test_at_least_one_header_is_required(post_batch):
    response = post_batch(headers=(), data="C1|Jane", output="JSON")

    assert json_error(response) == m.NO_HEADERS
    assert_nothing_imported()


@pytest.mark.parametrize("name", ["Profiles_Data", "profiles_data", "PROFILES_DATA"])
def test_profiles_data_is_read_in_either_spelling(post_batch, name):
    spelling = {"Profiles_Data": None, name: "C1|Jane"}
    response = post_batch(**spelling, output="JSON")

    assert counts(body(response))["new"] == 1


def test_missing_profiles_data_is_refused(post_batch):
    response = post_batch(Profiles_Data=None, output="JSON")

    assert json_error(response) == m.MISSING_PARAMETER.format(name="Profiles_Data")
    assert_nothing_imported()


# Parameter names


@pytest.mark.parametrize("rename", [str.upper, str.title])
def test_parameter_names_are_case_insensitive(client, user, campaigns, rename):
    params = batch_params(data="C1|Jane", output="JSON", no_undo="yes")
    response = client.post("/api", {rename(name): value for name, value in params.items()})

    assert counts(body(response))["new"] == 1
    assert not UndoState.objects.exists()


def test_user_id_and_delimiter_in_other_case(post_batch):
    response = post_batch(
        data="C1,Jane",
        user_id=None,
        USER_ID="john1970",
        delimiter=None,
        Delimiter="comma",
        output="JSON",
    )

    assert counts(body(response))["new"] == 1


def test_parameter_given_twice_in_two_cases_is_refused_naming_it_as_sent(post_batch):
    # Integrator: "Parameter profiles_data is given more than once" for the Profiles_Data
    # it sent (and the contract names), lowercased.
    response = post_batch(data="C1|Jane", profiles_data="C2|Jim")

    assert xml_error(response) == (
        "Parameter Profiles_Data is given more than once, also as profiles_data."
    )
    assert_nothing_imported()


def test_parameter_given_twice_with_one_name_is_refused(post_batch):
    response = post_batch(data="C1|Jane", delimiter=["pipe", "comma"])

    assert xml_error(response) == GIVEN_TWICE.format(name="delimiter")


def test_a_mixed_case_parameter_given_twice_is_named_as_sent(client, user, campaigns):
    params = batch_params(data=None, output="JSON")
    form = urlencode(params) + "&Profiles_Data=C1|Jane&Profiles_Data=C2|Jim"

    response = client.post("/api", form, content_type="application/x-www-form-urlencoded")

    assert json.loads(response.content)["error"] == GIVEN_TWICE.format(name="Profiles_Data")
    assert_nothing_imported()


# output, callback, condensed


def test_output_defaults_to_xml(post_batch):
    response = post_batch(data="C1|Jane")

    assert response.status_code == 200
    assert response["Content-Type"] == XML_TYPE
    root = xml(response)
    assert (root.tag, root.get("status")) == ("response", "success")
    assert root.findtext("batch/customers/new") == "1"


@pytest.mark.parametrize("output", ["JSON", "json", "Json"])
def test_output_json_is_case_insensitive(post_batch, output):
    response = post_batch(data="C1|Jane", output=output)

    assert response["Content-Type"] == JSON_TYPE
    assert body(response)["status"] == "success"


@pytest.mark.parametrize("output", ["xml", "XML"])
def test_output_xml_is_accepted(post_batch, output):
    response = post_batch(data="C1|Jane", output=output)

    assert response["Content-Type"] == XML_TYPE
    assert xml(response).findtext("batch/customers/new") == "1"


def test_unknown_output_is_refused_in_xml(post_batch):
    response = post_batch(data="C1|Jane", output="html")

    assert xml_error(response) == BAD_OUTPUT.format(value="html")
    assert_nothing_imported()


def jsonp(response, callback: str) -> dict:
    text = response.content.decode()
    assert text.startswith(f"/**/{callback}(") and text.endswith(");")
    return json.loads(text[len(f"/**/{callback}(") : -2])


@pytest.mark.parametrize("callback", ["cb", "a.b_c$1", "App.handlers.onImport"])
def test_callback_wraps_json_in_the_function_call(post_batch, callback):
    response = post_batch(data="C1|Jane", callback=callback)

    assert response.status_code == 200
    assert response["Content-Type"] == JSONP_TYPE
    assert counts(jsonp(response, callback))["new"] == 1


def test_callback_answers_errors_with_status_200(post_batch):
    response = post_batch(data="C1|Jane", user_password="wrong", callback="cb")

    assert response.status_code == 200
    assert response["Content-Type"] == JSONP_TYPE
    assert jsonp(response, "cb") == {"status": "error", "error": INVALID_CREDENTIALS}
    assert_nothing_imported()


@pytest.mark.parametrize("callback", ["alert(1)", "a..b", "1abc", "cb;evil"])
def test_callback_that_is_no_identifier_is_refused_in_plain_json(post_batch, callback):
    response = post_batch(data="C1|Jane", callback=callback)

    assert json_error(response) == BAD_CALLBACK.format(value=callback)
    assert not response.content.decode().startswith(callback)
    assert_nothing_imported()


def test_condensed_json_has_no_white_space(post_batch):
    response = post_batch(data="C1|Jane\nC2|Jim|extra", output="JSON", condensed="yes")

    assert counts(body(response)) == {"new": 1, "updated": 0, "ignored": 0, "failed": 1}
    text = response.content.decode()
    message = m.WRONG_VALUE_COUNT.format(got=3, expected=2)
    assert not any(c.isspace() for c in text.replace(json.dumps(message)[1:-1], ""))


# An integrator's low: condensed=1 and condensed=true were taken and ignored.
@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes"])
def test_condensed_1_and_true_condense_as_yes_does(post_batch, value):
    response = post_batch(data="C1|Jane", output="JSON", condensed=value)

    assert counts(body(response))["new"] == 1
    assert not any(c.isspace() for c in response.content.decode())


def test_json_without_condensed_is_indented(post_batch):
    response = post_batch(data="C1|Jane", output="JSON")

    assert b"\n  " in response.content


def test_condensed_applies_to_jsonp(post_batch):
    response = post_batch(data="C1|Jane", callback="cb", condensed="yes")

    assert not any(c.isspace() for c in response.content.decode())


# type

ACCEPTED_TYPES = "customers_batch, customers_batch_failed_lines, customers_batch_status"


def test_missing_type_names_the_accepted_types(post_batch):
    response = post_batch(data="C1|Jane", type=None, output="JSON")

    assert json_error(response) == MISSING_TYPE.format(types=ACCEPTED_TYPES)
    assert_nothing_imported()


def test_unknown_type_names_the_accepted_types(post_batch):
    response = post_batch(data="C1|Jane", type="customers_delete", output="JSON")

    expected = UNKNOWN_TYPE.format(types=ACCEPTED_TYPES, value="customers_delete")
    assert json_error(response) == expected
    assert_nothing_imported()


# Transport


@pytest.mark.parametrize("path", ["/api", "/api.php"])
def test_get_is_refused_with_405_in_the_xml_envelope(client, user, campaigns, path):
    response = client.get(path, {"type": "customers_batch"})

    assert xml_error(response, 405) == METHOD_NOT_ALLOWED
    assert response["Allow"] == "POST"
    assert_nothing_imported()


def test_api_php_works_like_api(api):
    response = api(batch_params(data="C1|Jane", output="JSON"), path="/api.php")

    assert counts(body(response))["new"] == 1
    assert Customer.objects.get().code == "C1"


@pytest.mark.parametrize("name", ["user_password", "USER_API_KEY", "api_access_key"])
def test_credentials_in_the_query_string_are_refused(api, name):
    params = batch_params(data="C1|Jane")
    response = api(params, path=f"/api?{name}=1959caadac9b13dcb3")

    assert xml_error(response) == CREDENTIALS_IN_URL
    assert_nothing_imported()


def test_body_over_the_size_limit_gets_413_in_xml(post_batch, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    data = "\n".join(f"C{i}|Jane" for i in range(200))

    response = post_batch(data=data)

    assert xml_error(response, 413) == TOO_BIG.format(limit=1000)
    assert_nothing_imported()


def test_urlencoded_body_over_the_size_limit_gets_413_in_xml(client, user, campaigns, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    data = "\n".join(f"C{i}|Jane" for i in range(200))
    form = urlencode(batch_params(data=data))

    response = client.post("/api", form, content_type="application/x-www-form-urlencoded")

    assert xml_error(response, 413) == TOO_BIG.format(limit=1000)
    assert_nothing_imported()


def test_urlencoded_body_is_accepted(client, user, campaigns):
    form = urlencode(batch_params(data="C1|Jane", output="JSON"))

    response = client.post("/api", form, content_type="application/x-www-form-urlencoded")

    assert counts(body(response))["new"] == 1


def test_a_100000_line_request_is_accepted(post_batch):
    data = "\n".join(f"C{i}|x" for i in range(100_000))

    response = post_batch(data=data, no_undo="yes", output="JSON")

    assert response.status_code == 200
    assert counts(body(response)) == {"new": 100_000, "updated": 0, "ignored": 0, "failed": 0}
    assert Customer.objects.count() == 100_000


# API version


@pytest.mark.parametrize("version", [None, "1", "1.0"])
def test_without_api_1_5_the_1_0_rules_apply(post_batch, version):
    response = post_batch(data="C1|Jane", API=version, output="JSON")

    assert counts(body(response))["new"] == 1
    assert UndoState.objects.count() == 1


@pytest.mark.parametrize("version", ["2", "1.4", "latest"])
def test_unknown_api_version_is_refused(post_batch, version):
    response = post_batch(data="C1|Jane", API=version, output="JSON")

    assert json_error(response) == m.UNKNOWN_API_VERSION.format(value=version)
    assert_nothing_imported()


def test_api_1_5_authenticates_with_user_api_key(api):
    response = api(params_15(output="JSON"))

    assert counts(body(response))["new"] == 1


def test_api_1_5_does_not_take_user_password_instead_of_the_key(api):
    response = api(params_15(user_api_key=None, user_password=API_KEY, output="JSON"))

    assert json_error(response, 401) == INVALID_CREDENTIALS
    assert_nothing_imported()


def test_api_1_5_key_in_the_http_header_wins_over_the_body(api):
    response = api(params_15(user_api_key="wrong", output="JSON"), HTTP_API_ACCESS_KEY=API_KEY)

    assert counts(body(response))["new"] == 1


def test_api_1_5_wrong_key_in_the_http_header_is_refused_even_with_a_good_body_key(api):
    response = api(params_15(output="JSON"), HTTP_API_ACCESS_KEY="wrong")

    assert json_error(response, 401) == INVALID_CREDENTIALS
    assert_nothing_imported()


def test_api_1_5_keeps_no_undo_state_unless_asked(api):
    response = api(params_15(output="JSON"))

    assert "undo_state" not in body(response)["batch"]
    assert Customer.objects.count() == 1
    assert not UndoState.objects.exists()


def test_api_1_5_allow_undo_yes_records_an_undo_state(api):
    response = api(params_15(allow_undo="yes", output="JSON"))

    assert body(response)["batch"]["undo_state"] == UndoState.objects.get().pk


def test_api_1_5_bad_allow_undo_is_refused(api):
    response = api(params_15(allow_undo="always", output="JSON"))

    assert json_error(response) == m.BAD_YES_FLAG.format(name="allow_undo", value="always")
    assert_nothing_imported()


def test_api_1_5_campaigns_are_separated_by_comma_with_spaces_trimmed(api, campaigns):
    api(params_15(campaigns_to_include=f" {POINTS} ,{EVENTS},  {GIFTCARD}"))

    enrolled = Enrollment.objects.filter(customer__code="C1").values_list("campaign", flat=True)
    assert set(enrolled) == {campaigns[c].pk for c in (POINTS, EVENTS, GIFTCARD)}


def test_api_1_5_reads_data_from_profiles_data(api):
    response = api(params_15(Profiles_Data=None, profiles_data="C1|Jane", output="JSON"))

    assert counts(body(response))["new"] == 1


@pytest.fixture
def two_custom_fields(account):
    account.custom_field_count = 2
    account.save()


def test_api_1_5_headers_may_name_the_accounts_custom_fields(api, two_custom_fields):
    headers = ("code", "custom_field_1", "custom_field_2", "custom_field")
    response = api(params_15(headers, "C1|red|large|plain", output="JSON"))

    assert counts(body(response))["new"] == 1
    customer = Customer.objects.get()
    assert customer.custom_fields == {"custom_field_1": "red", "custom_field_2": "large"}
    assert customer.custom_field == "plain"


def test_api_1_5_custom_field_beyond_the_accounts_count_is_refused(api, two_custom_fields):
    response = api(params_15(("code", "custom_field_3"), "C1|red", output="JSON"))

    prefix = "profiles_header_2: unknown field custom_field_3"
    assert json_error(response).startswith(prefix)
    assert_nothing_imported()


def test_api_1_0_headers_cannot_name_custom_fields(post_batch, two_custom_fields):
    response = post_batch(headers=("code", "custom_field_1"), data="C1|red", output="JSON")

    assert json_error(response) == m.UNKNOWN_FIELD_SUGGESTION.format(
        name="profiles_header_2", value="custom_field_1", suggestion="custom_field"
    )
    assert_nothing_imported()


# misspelled parameter names


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("validate-only", "validate_only"),
        ("validateonly", "validate_only"),
        ("All-Or-Nothing", "all_or_nothing"),
        ("user-password", "user_password"),
        ("profiles-header-3", "profiles_header_3"),
    ],
)
def test_a_misspelled_parameter_is_refused_naming_the_one_meant(api, name, meant):
    response = api(batch_params(data="C1|Ann", output="JSON", **{name: "yes"}))

    assert response.status_code == 400
    assert json.loads(response.content)["error"] == MISSPELLED.format(
        name=name.lower(), known=meant
    )
    assert not Customer.objects.exists()


def test_a_parameter_of_the_integrators_own_is_still_ignored(api):
    response = api(batch_params(data="C1|Ann", output="JSON", pos_terminal="7", dry_run="yes"))

    assert response.status_code == 200
    assert Customer.objects.filter(code="C1").exists()


def test_a_parameter_name_with_a_trailing_space_is_refused_in_a_urlencoded_form(
    client, user, campaigns
):
    body = urlencode({**batch_params(data="C1|Ann", output="JSON"), "validate_only ": "yes"})

    response = client.post("/api", body, content_type="application/x-www-form-urlencoded")

    assert json.loads(response.content)["error"] == MISSPELLED.format(
        name="validate_only ", known="validate_only"
    )
    assert not Customer.objects.exists()
