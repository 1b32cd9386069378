"""Every response of the API, built in one place: XML (default), JSON, JSONP, condensed.

XML is built with lxml, so all text is escaped; characters XML 1.0 cannot carry are
replaced. JSON mirrors the XML tree without the root element: repeated elements become
lists, attributes become keys, numbers stay numbers.
"""

import json
import re
from dataclasses import dataclass

from django.http import HttpResponse
from lxml import etree

from customers.batch.types import BatchStatus, ImportResult

from .errors import ApiError

BAD_OUTPUT = "output must be XML or JSON, got {value}."
BAD_CALLBACK = (
    "callback must be a JavaScript identifier such as myFunction or app.handle_1, got {value}."
)
REJECTED_SUMMARY = "Nothing was imported: {count} line(s) failed and all_or_nothing is set."

CALLBACK = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*(\.[A-Za-z_$][A-Za-z0-9_$]*)*$")
CALLBACK_MAX_LENGTH = 128
# Characters XML 1.0 cannot represent, and lone surrogates.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
SURROGATES = re.compile("[\ud800-\udfff]")
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
    """The format `output`, `callback` and `condensed` ask for, or ApiError."""
    output = params.get("output", "").strip().lower()
    if output not in ("", "xml", "json"):
        raise ApiError(BAD_OUTPUT.format(value=output[:40]))
    callback = params.get("callback", "").strip() or None
    if callback is not None and not _valid_callback(callback):
        raise ApiError(BAD_CALLBACK.format(value=callback[:40]))
    kind = "json" if output == "json" or callback else "xml"
    return OutputFormat(kind, callback, _condensed(params))


def best_effort_format(params: dict[str, str]) -> OutputFormat:
    """The format to report an error in when output_format itself refused the request:
    JSON without a callback if JSON was asked for in any way, else XML. Never raises."""
    output = params.get("output", "").strip().lower()
    if output == "json" or params.get("callback", "").strip():
        return OutputFormat("json", None, _condensed(params))
    return XML


def error_response(request, message: str, status: int, headers: dict | None = None):
    """The error envelope, in the format the request asked for."""
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
    """The customers_batch answer: success, or status error with a rejected batch."""
    rejected = result.status is BatchStatus.REJECTED
    status = 400 if rejected else 200
    summary = REJECTED_SUMMARY.format(count=result.failed) if rejected else None
    if fmt.kind == "xml":
        return _xml_response(_batch_xml(result, summary), status)
    body: dict = {"status": "error" if rejected else "success"}
    if summary:
        body["error"] = summary
    body["batch"] = _batch_json(result)
    return _json_response(fmt, body, status)


def _valid_callback(callback: str) -> bool:
    return len(callback) <= CALLBACK_MAX_LENGTH and CALLBACK.match(callback) is not None


def _condensed(params: dict[str, str]) -> bool:
    return params.get("condensed", "").strip().lower() == "yes"


def _format_of(request) -> OutputFormat:
    for candidate in (request, getattr(request, "_request", None)):
        fmt = getattr(candidate, "output_format", None) if candidate is not None else None
        if isinstance(fmt, OutputFormat):
            return fmt
    return XML


def _batch_xml(result: ImportResult, summary: str | None) -> etree._Element:
    root = etree.Element("response", status="error" if summary else "success")
    if summary:
        _text(root, "error", summary)
    batch = etree.SubElement(root, "batch", status=result.status.value)
    customers = etree.SubElement(batch, "customers")
    for name in ("new", "updated", "ignored", "failed"):
        _text(customers, name, str(getattr(result, name)))
    if result.undo_state_id is not None:
        _text(batch, "undo_state", str(result.undo_state_id))
    generated = etree.SubElement(batch, "generated")
    for identity in result.generated:
        customer = etree.SubElement(generated, "customer", line=str(identity.line))
        for name in ("code", "card_number"):
            value = getattr(identity, name)
            if value is not None:
                _text(customer, name, value)
    errors = etree.SubElement(batch, "errors")
    for error in result.errors:
        attributes = {"line": str(error.line)}
        if error.field is not None:
            attributes["field"] = _xml_safe(error.field)
        _text(errors, "error", error.message, attributes)
    return root


def _batch_json(result: ImportResult) -> dict:
    body: dict = {
        "status": result.status.value,
        "customers": {
            "new": result.new,
            "updated": result.updated,
            "ignored": result.ignored,
            "failed": result.failed,
        },
    }
    if result.undo_state_id is not None:
        body["undo_state"] = result.undo_state_id
    body["generated"] = [
        {
            "line": g.line,
            **{
                k: v for k, v in (("code", g.code), ("card_number", g.card_number)) if v is not None
            },
        }
        for g in result.generated
    ]
    body["errors"] = [
        {
            "line": e.line,
            **({"field": e.field} if e.field is not None else {}),
            "message": e.message,
        }
        for e in result.errors
    ]
    return body


def _text(parent, tag: str, text: str, attributes: dict | None = None):
    element = etree.SubElement(parent, tag, attributes or {})
    element.text = _xml_safe(text)
    return element


def _xml_safe(text: str) -> str:
    return NOT_XML.sub("\ufffd", text)


def _xml_response(root, status: int) -> HttpResponse:
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return _response(body, "xml", status)


def _json_response(fmt: OutputFormat, body: dict, status: int) -> HttpResponse:
    if fmt.condensed:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(body, ensure_ascii=False, indent=2)
    text = SURROGATES.sub("\ufffd", text)
    # Escaped so the text is also safe inside a <script> and valid JavaScript for JSONP.
    text = (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )
    if fmt.callback:
        # JSONP is always 200, or the browser never runs the callback.
        return _response(f"{fmt.callback}({text});".encode(), "jsonp", 200)
    return _response(text.encode(), "json", status)


def _response(body: bytes, kind: str, status: int) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPES[kind], status=status)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
