"""The OpenAPI document at /api/schema/ and the page at /api/docs/."""

import jsonschema
import pytest
from openapi_spec_validator import validate

# The contract's parameter table (../shared/spec/customers-batch.md) and its transport and
# authentication sections.
CONTRACT_PARAMETERS = [
    "delimiter",
    "overwrite_duplicates",
    "no_undo",
    "card_number_generate",
    "campaigns_to_include",
    "Profiles_Data",
    "output",
    "callback",
    "condensed",
    "request_id",
    "validate_only",
    "all_or_nothing",
    "user_id",
    "user_password",
    "account_id",
    "type",
]
API_15_PARAMETERS = ["API", "user_api_key", "allow_undo", "profiles_data"]
HEADER_FIELDS = [
    "code",
    "card_number",
    "first_name",
    "last_name",
    "email",
    "phone",
    "custom_date",
    "street1",
    "street2",
    "city",
    "state",
    "postal_code",
    "country",
    "custom_field",
    "customer_username",
    "customer_password",
    "customer_PIN",
    "auto_add",
]
STATUSES = {"200", "400", "401", "405", "413", "429"}


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def components(schema):
    return schema["components"]["schemas"]


def test_the_schema_is_valid_openapi(schema):
    validate(schema)
    assert schema["openapi"] == "3.1.0"


def test_both_paths_take_the_form_of_both_versions(schema):
    for path in ("/api", "/api.php"):
        body = schema["paths"][path]["post"]["requestBody"]["content"]
        assert set(body) == {"application/x-www-form-urlencoded", "multipart/form-data"}
        for media in body.values():
            assert media["schema"]["oneOf"] == [
                {"$ref": "#/components/schemas/Request10"},
                {"$ref": "#/components/schemas/Request15"},
            ]


def test_every_parameter_of_the_contract_is_described(schema):
    v10 = components(schema)["Request10"]["properties"]
    v15 = components(schema)["Request15"]["properties"]

    assert set(CONTRACT_PARAMETERS) <= set(v10)
    assert set(API_15_PARAMETERS) <= set(v15)
    assert "user_password" not in v15 and "no_undo" not in v15


@pytest.mark.parametrize("version", ["Request10", "Request15"])
def test_profiles_header_n_is_described_for_1_to_200(schema, version):
    (pattern,) = components(schema)[version]["patternProperties"]
    header_schema = {"type": "object", "patternProperties": {pattern: {"const": "x"}}}

    for name in ("profiles_header_1", "profiles_header_18", "profiles_header_200"):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({name: "y"}, header_schema)
    jsonschema.validate({"profiles_header_": "y", "profiles_header_0": "y"}, header_schema)


def test_all_18_header_fields_are_described(schema):
    v10 = [choice["const"] for choice in components(schema)["HeaderField10"]["oneOf"]]
    v15 = components(schema)["HeaderField15"]["oneOf"]

    assert v10 == HEADER_FIELDS
    assert [choice.get("const") for choice in v15[:18]] == HEADER_FIELDS
    assert v15[18]["pattern"] == "^custom_field_[1-9][0-9]*$"


def test_the_api_access_key_header_is_described(schema):
    (header,) = schema["paths"]["/api"]["post"]["parameters"]

    assert (header["name"], header["in"]) == ("api_access_key", "header")


def test_every_status_and_output_format_is_described(schema):
    responses = schema["paths"]["/api"]["post"]["responses"]

    assert set(responses) == STATUSES
    assert set(responses["200"]["content"]) == {
        "application/xml",
        "application/json",
        "application/javascript",
    }
    for status in STATUSES - {"200"}:
        assert set(responses[status]["content"]) == {"application/xml", "application/json"}
    assert "Retry-After" in responses["429"]["headers"]
    assert set(schema["paths"]["/api"]["get"]["responses"]) == {"405"}


def test_the_json_example_matches_its_schema(schema):
    content = schema["paths"]["/api"]["post"]["responses"]["200"]["content"]
    example = content["application/json"]["example"]
    document = {**schema, "$ref": "#/components/schemas/SuccessResponse"}

    jsonschema.Draft202012Validator(document).validate(example)
    assert example["batch"]["errors"][0]["field"] == "custom_date"
    assert content["application/javascript"]["example"].startswith('/**/handle({"status":"success"')


@pytest.mark.django_db
def test_the_api_still_refuses_get(client):
    assert client.get("/api").status_code == 405


def test_the_schema_and_the_docs_refuse_post(client):
    assert client.post("/api/schema/").status_code == 405
    assert client.post("/api/docs/").status_code == 405


def test_the_docs_page_lists_every_parameter_and_header_field(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    page = response.content.decode()
    names = CONTRACT_PARAMETERS + API_15_PARAMETERS + HEADER_FIELDS
    for name in [*names, "profiles_header_N", "api_access_key"]:
        assert f"<code>{name}</code>" in page, name
    for status in STATUSES:
        assert f"<td>{status}</td>" in page


def test_the_docs_page_loads_nothing_from_elsewhere(client):
    page = client.get("/api/docs/").content.decode()

    assert "http://" not in page and "https://" not in page
    assert "<script" not in page and "<link" not in page
