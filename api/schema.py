"""The OpenAPI 3.1 description of POST /api and /api.php, built from the code's own
parameter definitions (header fields, delimiters, limits, patterns) so the two cannot drift.

Served as JSON at /api/schema/ and as a page at /api/docs/ (api/docs.py).
"""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from django.http import QueryDict

from customers.batch.messages import BAD_DATE_FORMAT
from customers.batch.params import DELIMITERS, HEADER_FIELDS, MAX_HEADER_NUMBER
from customers.batch.rows import MAX_LENGTHS
from customers.batch.types import GeneratedIdentity, ImportResult, LineError, OverwriteMode
from customers.models import CUSTOM_FIELD_MAX_LENGTH

from .negotiation import CALLBACK, CALLBACK_MAX_LENGTH
from .renderers import JSONPRenderer, JSONRenderer, XMLRenderer
from .serializers import batch_data

YES_NO = {"type": "string", "enum": ["yes", "no"]}
ACCOUNT_ID_PATTERN = r"^[-a-zA-Z0-9_]{1,64}$"
REQUEST_ID_PATTERN = r"^[!-~]{1,128}$"
HEADER_PARAMETER_PATTERN = r"^profiles_header_[1-9][0-9]*$"

HEADER_FIELD_RULES = {
    "code": "The shop's id for the customer. A line with a code matches the account's "
    "customer with that code; a new customer without one gets a random 16-digit code, "
    "listed in `generated`. An empty value never clears it.",
    "card_number": "A line without a code matches by card number. A card number held by "
    "another customer is a line error. card_number_generate fills it when missing. An "
    "empty value never clears it.",
    "first_name": "",
    "last_name": "",
    "email": "Must look like local@domain.tld.",
    "phone": "",
    "custom_date": "Exactly YYYY-MM-DD and a real date; anything else is a line error.",
    "street1": "",
    "street2": "",
    "city": "",
    "state": "",
    "postal_code": "",
    "country": "",
    "custom_field": "",
    "customer_username": "Unique in the account when set.",
    "customer_password": "Stored hashed.",
    "customer_PIN": "Stored hashed.",
    "auto_add": "Credits this amount, in the unit of the first listed campaign, to created "
    "and written customers: whole points or visits, money with at most 2 decimals, or a "
    "buyx item's id or name (one purchase).",
}

_COMMON_RULE = (
    " Values are trimmed; a longer value or a control character is a line error, never cut."
)


@cache
def _openapi_schema() -> dict[str, Any]:
    operation = {
        "summary": "Call the API; type=customers_batch imports customers in bulk.",
        "description": (
            "Form data, `application/x-www-form-urlencoded` or `multipart/form-data`. "
            "Parameter names are matched case-insensitively; a name given twice (in any "
            "case) is refused. Credentials in the query string are refused. Without `API` "
            "the 1.0 rules apply; `API=1.5` selects the 1.5 spellings."
        ),
        "parameters": [
            {
                "name": "api_access_key",
                "in": "header",
                "required": False,
                "description": "API 1.5: the API key; wins over `user_api_key` in the body.",
                "schema": {"type": "string"},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                media_type: {"schema": {"oneOf": [_ref("Request10"), _ref("Request15")]}}
                for media_type in ("application/x-www-form-urlencoded", "multipart/form-data")
            },
        },
        "responses": _responses(),
    }
    get_refused = {
        "summary": "Refused: only POST is accepted.",
        "responses": {"405": _error("Only POST is accepted.", allow=True)},
    }
    paths = {}
    for path, suffix in (("/api", ""), ("/api.php", "Php")):
        paths[path] = {
            "post": {**operation, "operationId": f"callApi{suffix}"},
            "get": {**get_refused, "operationId": f"refuseGet{suffix}"},
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Loyalty API",
            "version": "1.5",
            "description": (
                "A drop-in replacement for the original public loyalty API: an integration "
                "changes only the host name. The first call is `customers_batch`, the bulk "
                "customer import."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": _component_schemas()},
    }


def openapi_schema() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API, as a fresh dict the caller may change."""
    return copy.deepcopy(_openapi_schema())


def header_field_rules() -> list[tuple[str, int | None, str]]:
    """(name, maximum length, rule) of every header field, in the contract's order; no
    maximum for custom_date, whose rule fixes its form."""
    return [
        (name, MAX_LENGTHS.get(attribute), HEADER_FIELD_RULES[name])
        for name, attribute in HEADER_FIELDS.items()
    ]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _component_schemas() -> dict[str, Any]:
    return {
        "Request10": _request_schema("1.0"),
        "Request15": _request_schema("1.5"),
        "HeaderField10": _header_field_schema("1.0"),
        "HeaderField15": _header_field_schema("1.5"),
        "Counts": {
            "type": "object",
            "required": ["new", "updated", "ignored", "failed"],
            "properties": {
                name: {"type": "integer", "minimum": 0}
                for name in ("new", "updated", "ignored", "failed")
            },
        },
        "Batch": _batch_schema(),
        "SuccessResponse": {
            "type": "object",
            "required": ["status", "batch"],
            "properties": {"status": {"const": "success"}, "batch": _ref("Batch")},
        },
        "RejectedResponse": {
            "type": "object",
            "description": "all_or_nothing with failing lines: nothing was written.",
            "required": ["status", "error", "batch"],
            "properties": {
                "status": {"const": "error"},
                "error": {"type": "string"},
                "batch": _ref("Batch"),
            },
        },
        "ErrorResponse": {
            "type": "object",
            "required": ["status", "error"],
            "properties": {"status": {"const": "error"}, "error": {"type": "string"}},
        },
        "XmlResponse": _xml_response_schema(),
    }


def _request_schema(version: str) -> dict[str, Any]:
    v15 = version == "1.5"
    data_name = "profiles_data" if v15 else "Profiles_Data"
    separator = "`,` (spaces trimmed)" if v15 else "`|,|`"
    properties: dict[str, Any] = {
        "API": (
            {"const": "1.5", "description": "Selects the 1.5 rules."}
            if v15
            else {
                "type": "string",
                "enum": ["1", "1.0"],
                "description": "Absent, `1` or `1.0`: the 1.0 rules.",
            }
        ),
        "type": {
            "type": "string",
            "enum": ["customers_batch"],
            "description": "The call. Missing or unknown: an error naming the accepted types.",
        },
        "user_id": {"type": "string", "description": "The user's login."},
    }
    if v15:
        properties["user_api_key"] = {
            "type": "string",
            "format": "password",
            "description": "The user's API key; or send it in the `api_access_key` header.",
        }
    else:
        properties["user_password"] = {
            "type": "string",
            "format": "password",
            "description": "The user's password.",
        }
    properties |= {
        "account_id": {
            "type": "string",
            "pattern": ACCOUNT_ID_PATTERN,
            "description": "The account's slug (e.g. greatwidgets) or its 16-digit owner id.",
        },
        "delimiter": {
            "type": "string",
            "enum": list(DELIMITERS),
            "description": "Separates the values of a line: pipe, comma or tab, or the "
            "character itself. Standard CSV double-quote quoting works with each.",
        },
        "overwrite_duplicates": {
            "type": "string",
            "enum": [mode.value for mode in OverwriteMode],
            "default": OverwriteMode.IGNORE.value,
            "description": "A line that matches a customer: `ignore` leaves it untouched; "
            "`update` writes the columns in the headers (an empty value clears that field); "
            "`yes` also blanks every profile field not in the headers.",
        },
        "allow_undo" if v15 else "no_undo": {
            **YES_NO,
            "description": "`yes`: record an undo state (1.5 records none unless asked)."
            if v15
            else "`yes`: record no undo state (1.0 records one unless told not to).",
        },
        "card_number_generate": {
            "type": "integer",
            "minimum": 4,
            "maximum": 32,
            "description": "N: give every customer that would have no card number a random, "
            "all-digit, N-digit one, unique in the account (listed in `generated`).",
        },
        "campaigns_to_include": {
            "type": "string",
            "description": f"This account's active campaign ids, separated by {separator}. "
            "An unknown or inactive id is an error naming it; nothing is imported.",
        },
        data_name: {
            "type": "string",
            "description": "The lines, one customer each; header k names the k-th value. "
            "UTF-8; LF, CRLF or CR; blank lines skipped; line numbers count from 1 over the "
            "raw data. Matched case-insensitively (Profiles_Data or profiles_data).",
        },
        "output": {
            "type": "string",
            "enum": ["XML", "JSON"],
            "default": "XML",
            "description": "The response format (case-insensitive).",
        },
        "callback": {
            "type": "string",
            "pattern": f"^{CALLBACK.pattern}$",
            "maxLength": CALLBACK_MAX_LENGTH,
            "description": "JSONP: the answer is `callback({...});` as "
            "application/javascript, always with HTTP 200.",
        },
        "condensed": {**YES_NO, "description": "`yes`: JSON without white space."},
        "request_id": {
            "type": "string",
            "pattern": REQUEST_ID_PATTERN,
            "description": "A client token: the same token for the same account within 24 "
            "hours returns the first response again and changes nothing.",
        },
        "validate_only": {
            **YES_NO,
            "description": "`yes`: do everything except write; report what would happen.",
        },
        "all_or_nothing": {
            **YES_NO,
            "description": "`yes`: if any line fails, import nothing and report every "
            "failing line (HTTP 400, batch status `rejected`).",
        },
    }
    required = ["type", "user_id", "account_id", "delimiter", "campaigns_to_include", data_name]
    if v15:
        required.insert(0, "API")
    else:
        required.insert(2, "user_password")
    return {
        "title": f"customers_batch, API {version}",
        "type": "object",
        "required": required,
        "properties": properties,
        "patternProperties": {
            HEADER_PARAMETER_PATTERN: {
                **_ref(f"HeaderField{version.replace('.', '')}"),
                "description": f"profiles_header_N (N = 1..{MAX_HEADER_NUMBER}) names the "
                "field of the N-th value of every line. At least one; a missing or empty "
                "number leaves that column unread, two missing in a row are an error; a field "
                "named twice is an error.",
            }
        },
    }


def _header_field_schema(version: str) -> dict[str, Any]:
    choices = [
        {"const": name, "description": _field_description(rule, limit)}
        for name, limit, rule in header_field_rules()
    ]
    if version == "1.5":
        choices.append(
            {
                "type": "string",
                "pattern": r"^custom_field_[1-9][0-9]*$",
                "description": _field_description(
                    "The account's custom field N (up to its custom field count).",
                    CUSTOM_FIELD_MAX_LENGTH,
                ),
            }
        )
    return {
        "title": f"Header field, API {version}",
        "description": "A field name, matched case-insensitively. An unknown name is an "
        "error that suggests the closest valid one (custome_date: did you mean custom_date?).",
        "oneOf": choices,
    }


def _field_description(rule: str, limit: int | None) -> str:
    if limit is not None:
        rule = f"{rule} At most {limit} characters.".strip()
    return rule + _COMMON_RULE


def _batch_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["status", "customers", "generated", "errors"],
        "properties": {
            "status": {"type": "string", "enum": ["imported", "validated", "rejected"]},
            "customers": _ref("Counts"),
            "undo_state": {
                "type": "integer",
                "description": "The undo state's id; absent when none was recorded.",
            },
            "generated": {
                "type": "array",
                "description": "Every customer whose code or card number the service made up.",
                "items": {
                    "type": "object",
                    "required": ["line"],
                    "properties": {
                        "line": {"type": "integer"},
                        "code": {"type": "string"},
                        "card_number": {"type": "string"},
                    },
                },
            },
            "errors": {
                "type": "array",
                "description": "Line errors: one per failing line.",
                "items": {
                    "type": "object",
                    "required": ["line", "message"],
                    "properties": {
                        "line": {"type": "integer"},
                        "field": {"type": "string"},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    }


def _xml_response_schema() -> dict[str, Any]:
    attribute = {"attribute": True}
    return {
        "type": "object",
        "description": "The XML answer. An `<error>` of a line holds its message as text.",
        "xml": {"name": "response"},
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["success", "error"], "xml": attribute},
            "error": {"type": "string", "description": "The message, when status is error."},
            "batch": {
                "type": "object",
                "properties": {
                    "status": {
                        "type": "string",
                        "enum": ["imported", "validated", "rejected"],
                        "xml": attribute,
                    },
                    "customers": _ref("Counts"),
                    "undo_state": {"type": "integer"},
                    "generated": {
                        "type": "array",
                        "xml": {"wrapped": True},
                        "items": {
                            "type": "object",
                            "xml": {"name": "customer"},
                            "properties": {
                                "line": {"type": "integer", "xml": attribute},
                                "code": {"type": "string"},
                                "card_number": {"type": "string"},
                            },
                        },
                    },
                    "errors": {
                        "type": "array",
                        "xml": {"wrapped": True},
                        "items": {
                            "type": "object",
                            "xml": {"name": "error"},
                            "properties": {
                                "line": {"type": "integer", "xml": attribute},
                                "field": {"type": "string", "xml": attribute},
                            },
                        },
                    },
                },
            },
        },
    }


# The answer to the contract's example, rendered by the real renderer so it cannot drift.
EXAMPLE_RESULT = ImportResult(
    new=2,
    updated=1,
    failed=1,
    undo_state_id=42,
    generated=[GeneratedIdentity(line=3, code="4417093316641128", card_number="0071937715")],
    errors=[
        LineError(line=5, field="custom_date", message=BAD_DATE_FORMAT.format(value="04-03-2010"))
    ],
)


class _ExampleRequest:
    """Stands for a request with these parameters when rendering the examples."""

    def __init__(self, **params: str) -> None:
        self.POST = QueryDict(mutable=True)
        self.POST.update(params)


def _example(renderer: XMLRenderer | JSONRenderer, **params: str) -> str:
    context = {"request": _ExampleRequest(**params)}
    return renderer.render(batch_data(EXAMPLE_RESULT), renderer_context=context).decode()


def _responses() -> dict[str, Any]:
    return {
        "200": {
            "description": "The batch was imported or validated. JSONP answers are always "
            "200, errors included, so the callback runs.",
            "content": {
                "application/xml": {
                    "schema": _ref("XmlResponse"),
                    "example": _example(XMLRenderer()),
                },
                "application/json": {
                    "schema": _ref("SuccessResponse"),
                    "example": json.loads(_example(JSONRenderer(), output="json")),
                },
                "application/javascript": {
                    "schema": {"type": "string"},
                    "example": _example(JSONPRenderer(), callback="handle", condensed="yes"),
                },
            },
        },
        "400": _error(
            "A request error (nothing was done), or a batch rejected by all_or_nothing "
            "(status error with the batch and its line errors; nothing was written).",
            rejected=True,
        ),
        "401": _error("Authentication failed; one message for every cause."),
        "405": _error("Only POST is accepted.", allow=True),
        "413": _error("The body is larger than the server accepts (LOYALTY_MAX_REQUEST_BYTES)."),
        "429": _error(
            "Too many failed authentication attempts for this user id or client address.",
            retry_after=True,
        ),
    }


def _error(
    description: str, *, rejected: bool = False, allow: bool = False, retry_after: bool = False
) -> dict[str, Any]:
    json_schema = _ref("ErrorResponse")
    if rejected:
        json_schema = {"oneOf": [_ref("ErrorResponse"), _ref("RejectedResponse")]}
    response: dict[str, Any] = {
        "description": description,
        "content": {
            "application/xml": {"schema": _ref("XmlResponse")},
            "application/json": {"schema": json_schema},
        },
    }
    headers = {}
    if allow:
        headers["Allow"] = {"schema": {"const": "POST"}}
    if retry_after:
        headers["Retry-After"] = {
            "description": "Seconds until failures expire (an upper bound).",
            "schema": {"type": "integer"},
        }
    if headers:
        response["headers"] = headers
    return response
