"""What drf-spectacular cannot infer about the API, taught at its extension points.

- Const and Secret: form fields documented as OpenAPI 3.1's `const` and as a password;
- ApiSchema: one view at two paths, so an operation id per path;
- the authentication extensions: API 1.5's key in its header as a security scheme, and
  beside it the empty requirement, since 1.0's password (and 1.5's user_api_key) are form
  fields, which no security scheme can name;
- xml_responses: the XML answer's schema, derived from its JSON schema by the XML renderer's
  own tables (attributes, item names, item text).

The operation itself (request, responses, examples) is api/schema.py's.
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .authentication import API_KEY_HEADER, ApiKeyAuthentication, PasswordAuthentication
from .renderers import ATTRIBUTES, ITEM_TEXT, LIST_ITEMS, XMLRenderer

API_KEY_HEADER_NAME = API_KEY_HEADER.removeprefix("HTTP_").lower()
XML = XMLRenderer.media_type


class Const(serializers.Field):
    """A field that always holds `value`: OpenAPI 3.1's `const` (documentation only)."""

    def __init__(self, value: str, **kwargs: Any) -> None:
        self.value = value
        super().__init__(**kwargs)


class ConstExtension(OpenApiSerializerFieldExtension):
    target_class = Const

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "const": self.target.value}


@extend_schema_field({"type": "string", "format": "password"})
class Secret(serializers.CharField):
    """A password or key: shown masked by the docs page."""


class ApiSchema(AutoSchema):
    """ApiView's schema: one view at two paths, so an operation id of each path's own
    (callApi, callApiPhp)."""

    def get_operation_id(self) -> str:
        return "call" + "".join(part.capitalize() for part in re.split(r"\W+", self.path) if part)


# Who is calling.


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """API 1.5's key in its header. Sent as `user_api_key` in the form instead, it is the
    request body's to describe: a security scheme cannot name a form field."""

    target_class = ApiKeyAuthentication
    name = "apiAccessKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": API_KEY_HEADER_NAME,
            "description": "API 1.5 (with `API=1.5` in the form): the user's API key. Or "
            "`user_api_key` in the form.",
        }


class PasswordScheme(OpenApiAuthenticationExtension):
    """API 1.0's `user_id` and `user_password` travel in the form, which no OpenAPI
    security scheme can describe: the request body does (Request10). So this adds the empty
    requirement, "nothing at the HTTP level", beside the 1.5 key's header."""

    target_class = PasswordAuthentication
    name: list[str] = []

    def get_security_requirement(self, auto_schema):
        return {}

    def get_security_definition(self, auto_schema):
        return []


# The XML answer: the JSON shape under <response>, as the XML renderer writes it.


def xml_responses(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook (SPECTACULAR_SETTINGS): each application/xml answer gets the XML
    form of its JSON schema, with attributes and item names from the XML renderer's own
    tables (api/renderers.py), so the two cannot drift."""
    schemas = result.get("components", {}).get("schemas", {})
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for response in operation.get("responses", {}).values():
                media = response.get("content", {}).get(XML)
                if media and "$ref" in media.get("schema", {}):
                    media["schema"] = _xml_ref(media["schema"]["$ref"], schemas, root=True)
    return result


def _xml_ref(ref: str, schemas: dict[str, Any], *, root: bool = False) -> dict[str, Any]:
    name = ref.rsplit("/", 1)[1]
    if "anyOf" in schemas[name]:
        # One of several answers (api/schema.py, AnswerSerializer): each as XML.
        xml_name = f"Xml{name}"
        if xml_name not in schemas:
            schemas[xml_name] = {
                "anyOf": [
                    _xml_ref(one["$ref"], schemas, root=root) for one in schemas[name]["anyOf"]
                ]
            }
        return {"$ref": f"#/components/schemas/{xml_name}"}
    if schemas[name].get("type") != "object":
        return {"$ref": ref}
    xml_name = f"Xml{name}"
    if xml_name not in schemas:
        schemas[xml_name] = _as_xml(schemas[name], schemas)
        if root:
            schemas[xml_name]["xml"] = {"name": "response"}
    return {"$ref": f"#/components/schemas/{xml_name}"}


def _as_xml(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    properties = {}
    for key, prop in schema.get("properties", {}).items():
        if key in ATTRIBUTES:
            prop = {**prop, "xml": {"attribute": True}}
        elif prop.get("type") == "array" and "$ref" in prop["items"]:
            items = _xml_ref(prop["items"]["$ref"], schemas)
            items["xml"] = {"name": LIST_ITEMS[key]}
            prop = {**prop, "items": items, "xml": {"wrapped": True}}
        elif "$ref" in prop:
            prop = {**prop, **_xml_ref(prop["$ref"], schemas)}
        properties[key] = prop
    xml_schema = {**schema, "properties": properties}
    if ITEM_TEXT in properties:
        # An item's message is its element's text, which OpenAPI's xml object cannot name.
        del properties[ITEM_TEXT]
        xml_schema["required"] = [key for key in schema.get("required", []) if key != ITEM_TEXT]
        xml_schema["description"] = f"The element's text is the {ITEM_TEXT}."
    return xml_schema
