"""GET /api/schema/ (the OpenAPI document as JSON) and GET /api/docs/ (a page for people).

The page is rendered on the server from the same document, with inline CSS only: it must
work where browsers reach nothing but this server.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe

from .schema import header_field_rules, openapi_schema

STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 2em auto; max-width: 70em; padding: 0 1em;
       color: #222; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
code, pre { font-family: ui-monospace, monospace; font-size: 90%; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; }
"""


@require_safe
def schema_json(request: HttpRequest) -> JsonResponse:
    """The OpenAPI 3.1 document of /api."""
    return JsonResponse(openapi_schema(), json_dumps_params={"indent": 2})


@require_safe
def docs_page(request: HttpRequest) -> HttpResponse:
    """The API's parameters, header fields and responses as tables."""
    schema = openapi_schema()
    components = schema["components"]["schemas"]
    operation = schema["paths"]["/api"]["post"]
    sections = [
        format_html(
            "<h1>{}</h1><p>{}</p>", schema["info"]["title"], _rich(schema["info"]["description"])
        ),
        format_html(
            "<p><code>POST /api</code> or <code>POST /api.php</code>. {} "
            'The machine-readable OpenAPI document: <a href="/api/schema/">/api/schema/</a>.</p>',
            _rich(operation["description"]),
        ),
        _parameters_table("customers_batch, API 1.0", components["Request10"]),
        _parameters_table("customers_batch, API 1.5", components["Request15"]),
        _header_parameter_table(operation["parameters"]),
        _header_fields_table(),
        _responses_table(operation["responses"]),
        _examples(operation["responses"]["200"]["content"]),
    ]
    page = format_html(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{}</title>'
        "<style>{}</style></head><body>{}</body></html>",
        schema["info"]["title"],
        mark_safe(STYLE),  # a constant of this module
        _joined(sections),
    )
    return HttpResponse(page, content_type="text/html; charset=utf-8")


def _parameters_table(title: str, request_schema: dict[str, Any]) -> SafeString:
    required = set(request_schema["required"])
    rows = [
        (name, "yes" if name in required else "", _values(prop), _rich(prop.get("description", "")))
        for name, prop in request_schema["properties"].items()
    ]
    (header_schema,) = request_schema["patternProperties"].values()
    rows.append(
        ("profiles_header_N", "at least one", "a header field", header_schema["description"])
    )
    return format_html(
        "<h2>{}</h2><table><tr><th>parameter</th><th>required</th><th>values</th>"
        "<th>rule</th></tr>{}</table>",
        title,
        format_html_join(
            "",
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            rows,
        ),
    )


def _values(prop: dict[str, Any]) -> SafeString:
    if "const" in prop:
        return _codes([prop["const"]])
    if "enum" in prop:
        shown = [json.dumps(value)[1:-1] if value == "\t" else value for value in prop["enum"]]
        if "default" in prop:
            return format_html("{} (default {})", _codes(shown), _codes([prop["default"]]))
        return _codes(shown)
    if "minimum" in prop:
        return format_html("{}..{}", prop["minimum"], prop["maximum"])
    if "pattern" in prop:
        return format_html("matches {}", _codes([prop["pattern"]]))
    return SafeString("text")


def _codes(values: list[str]) -> SafeString:
    return format_html_join(", ", "<code>{}</code>", ((value,) for value in values))


def _rich(text: str) -> SafeString:
    """`text` with its `code` spans (the descriptions are CommonMark) shown as code."""
    parts = text.split("`")
    return _joined(
        [format_html("<code>{}</code>" if i % 2 else "{}", part) for i, part in enumerate(parts)]
    )


def _header_parameter_table(parameters: list[dict[str, Any]]) -> SafeString:
    return format_html(
        "<h2>HTTP headers</h2><table><tr><th>header</th><th>rule</th></tr>{}</table>",
        format_html_join(
            "",
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            ((p["name"], _rich(p["description"])) for p in parameters),
        ),
    )


def _header_fields_table() -> SafeString:
    return format_html(
        "<h2>Header fields</h2><p>What <code>profiles_header_N</code> may name, "
        "case-insensitively. API 1.5 also accepts the account's <code>custom_field_1</code> "
        "to <code>custom_field_N</code>.</p>"
        "<table><tr><th>field</th><th>at most</th><th>rule</th></tr>{}</table>",
        format_html_join(
            "",
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            (
                (name, f"{limit} characters" if limit else "", _rich(rule))
                for name, limit, rule in header_field_rules()
            ),
        ),
    )


def _responses_table(responses: dict[str, Any]) -> SafeString:
    return format_html(
        "<h2>Responses</h2><p>XML by default; JSON with <code>output=JSON</code>; JSONP with "
        "<code>callback</code>.</p><table><tr><th>HTTP status</th><th>meaning</th></tr>{}"
        "</table>",
        format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td></tr>",
            ((status, _rich(response["description"])) for status, response in responses.items()),
        ),
    )


def _examples(content: dict[str, Any]) -> SafeString:
    parts = []
    for media_type, media in content.items():
        example = media["example"]
        text = example if isinstance(example, str) else json.dumps(example, indent=2)
        parts.append(format_html("<h3>{}</h3><pre>{}</pre>", media_type, text))
    return format_html("<h2>Example answers</h2>{}", _joined(parts))


def _joined(parts: list[SafeString]) -> SafeString:
    """`parts`, each already escaped by format_html, one after the other."""
    return format_html_join("", "{}", ((part,) for part in parts))
