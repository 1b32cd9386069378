"""Every response of the API, built in one place: XML (default), JSON, JSONP, condensed.

XML is built with lxml, so all text is escaped; characters XML 1.0 cannot carry are
replaced by U+FFFD. JSON mirrors the XML tree without the root element: repeated elements
become lists, attributes become keys, numbers stay numbers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from django.http import HttpResponse
from lxml import etree

from customers.batch.types import BatchStatus, GeneratedIdentity, ImportResult, LineError

from .exceptions import ApiError

BAD_OUTPUT = "output must be XML or JSON, got {value}."
BAD_CALLBACK = (
    "callback must be a JavaScript identifier such as myFunction or app.handle_1, got {value}."
)
REJECTED_SUMMARY = "Nothing was imported: {n} line(s) failed and all_or_nothing is set."

CALLBACK = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*")
CALLBACK_MAX_LENGTH = 128
# Bad values are quoted back only this far: a message must not become a payload carrier.
ECHO_MAX_LENGTH = 40
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
SURROGATES = re.compile("[\ud800-\udfff]")
# Valid JSON either way; escaped so the text is also safe inside <script> and, for U+2028
# and U+2029, valid JavaScript (JSONP) in engines older than ES2019.
JSON_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)
CONTENT_TYPES = {
    "xml": "application/xml; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "jsonp": "application/javascript; charset=utf-8",
}


@dataclass(frozen=True)
class OutputFormat:
    kind: str  # "xml" or "json"
    callback: str | None = None
    condensed: bool = False


XML = OutputFormat("xml")


def output_format(params: dict[str, str]) -> OutputFormat:
    """The format that `output`, `callback` and `condensed` ask for; ApiError if either of
    the first two is not acceptable. A callback implies JSON."""
    output = params.get("output", "").strip()
    if output.lower() not in ("", "xml", "json"):
        raise ApiError(BAD_OUTPUT.format(value=_echo(output)))
    callback = params.get("callback", "").strip() or None
    if callback is not None and not valid_callback(callback):
        raise ApiError(BAD_CALLBACK.format(value=_echo(callback)))
    kind = "json" if output.lower() == "json" or callback else "xml"
    return OutputFormat(kind, callback, _condensed(params))


def best_effort_format(params: dict[str, str]) -> OutputFormat:
    """The format to report output_format's own error in; never raises. JSON if JSON was
    asked for in any way, with the callback only when that callback is valid; else XML."""
    output = params.get("output", "").strip().lower()
    callback = params.get("callback", "").strip()
    if output != "json" and not callback:
        return XML
    return OutputFormat("json", callback if valid_callback(callback) else None, _condensed(params))


def valid_callback(callback: str) -> bool:
    """True for a JavaScript identifier path such as `app.handle_1`, 128 characters at most."""
    return len(callback) <= CALLBACK_MAX_LENGTH and CALLBACK.fullmatch(callback) is not None


def error_response(
    request: object, message: str, status: int, headers: dict | None = None
) -> HttpResponse:
    """The error envelope in the format stored on the request (XML when none is), with
    `headers` added. JSONP answers 200 whatever `status` is."""
    fmt = _format_of(request)
    if fmt.kind == "xml":
        root = etree.Element("response", status="error")
        _text(root, "error", message)
        response = _xml_response(root, status)
    else:
        response = _json_response(fmt, {"status": "error", "error": message}, status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def batch_response(fmt: OutputFormat, result: ImportResult) -> HttpResponse:
    """The customers_batch answer: 200 with the batch, or, for a rejected batch, 400 with an
    error summary and the batch's line errors."""
    rejected = result.status is BatchStatus.REJECTED
    summary = REJECTED_SUMMARY.format(n=result.failed) if rejected else None
    status = 400 if rejected else 200
    if fmt.kind == "xml":
        return _xml_response(_batch_xml(result, summary), status)
    body: dict = {"status": "error" if rejected else "success"}
    if summary is not None:
        body["error"] = summary
    body["batch"] = _batch_json(result)
    return _json_response(fmt, body, status)


def _echo(value: str) -> str:
    return value if len(value) <= ECHO_MAX_LENGTH else value[:ECHO_MAX_LENGTH] + "\u2026"


def _condensed(params: dict[str, str]) -> bool:
    return params.get("condensed", "").strip().lower() == "yes"


def _format_of(request: object) -> OutputFormat:
    # Set on the DRF Request or on the HttpRequest under it; DRF proxies reads of the
    # latter, but a plain HttpRequest or None may come too.
    for candidate in (request, getattr(request, "_request", None)):
        fmt = getattr(candidate, "output_format", None)
        if isinstance(fmt, OutputFormat):
            return fmt
    return XML


def _batch_xml(result: ImportResult, summary: str | None) -> etree._Element:
    root = etree.Element("response", status="success" if summary is None else "error")
    if summary is not None:
        _text(root, "error", summary)
    batch = etree.SubElement(root, "batch", status=result.status.value)
    customers = etree.SubElement(batch, "customers")
    for name, count in _counts(result).items():
        _text(customers, name, str(count))
    if result.undo_state_id is not None:
        _text(batch, "undo_state", str(result.undo_state_id))
    generated = etree.SubElement(batch, "generated")
    for identity in result.generated:
        customer = etree.SubElement(generated, "customer", line=str(identity.line))
        for name, value in _identity_values(identity).items():
            _text(customer, name, value)
    errors = etree.SubElement(batch, "errors")
    for error in result.errors:
        attributes = {"line": str(error.line)}
        if error.field is not None:
            attributes["field"] = error.field
        _text(errors, "error", error.message, attributes)
    return root


def _batch_json(result: ImportResult) -> dict:
    body: dict = {"status": result.status.value, "customers": _counts(result)}
    if result.undo_state_id is not None:
        body["undo_state"] = result.undo_state_id
    body["generated"] = [
        {"line": identity.line, **_identity_values(identity)} for identity in result.generated
    ]
    body["errors"] = [_error_json(error) for error in result.errors]
    return body


def _counts(result: ImportResult) -> dict[str, int]:
    return {
        "new": result.new,
        "updated": result.updated,
        "ignored": result.ignored,
        "failed": result.failed,
    }


def _identity_values(identity: GeneratedIdentity) -> dict[str, str]:
    values = {"code": identity.code, "card_number": identity.card_number}
    return {name: value for name, value in values.items() if value is not None}


def _error_json(error: LineError) -> dict:
    if error.field is None:
        return {"line": error.line, "message": error.message}
    return {"line": error.line, "field": error.field, "message": error.message}


def _text(
    parent: etree._Element, tag: str, text: str, attributes: dict[str, str] | None = None
) -> etree._Element:
    safe_attributes = {name: xml_safe(value) for name, value in (attributes or {}).items()}
    element = etree.SubElement(parent, tag, safe_attributes)
    element.text = xml_safe(text)
    return element


def xml_safe(text: str) -> str:
    """`text` with every character XML 1.0 cannot represent replaced by U+FFFD."""
    return NOT_XML.sub("\ufffd", text)


def _xml_response(root: etree._Element, status: int) -> HttpResponse:
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return _response(body, "xml", status)


def _json_response(fmt: OutputFormat, body: dict, status: int) -> HttpResponse:
    if fmt.condensed:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(body, ensure_ascii=False, indent=2)
    # Lone surrogates cannot be encoded as UTF-8.
    text = SURROGATES.sub("\ufffd", text).translate(JSON_ESCAPES)
    if fmt.callback:
        # Always 200: a browser does not run the script of an error response.
        return _response(f"{fmt.callback}({text});".encode(), "jsonp", 200)
    return _response(text.encode(), "json", status)


def _response(body: bytes, kind: str, status: int) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPES[kind], status=status)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
