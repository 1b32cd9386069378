"""The API's renderers: XML (the default), JSON and JSONP, each with `condensed`.

Every answer is a dict in the JSON shape (api/serializers.py builds them); JSON writes it as
it is, and XML writes the same tree under a <response> root: a `status`, `line` or `field`
key is an attribute of its element, a list holds one element per item (named by
LIST_ITEMS), an item's `message` is its element's text. XML is built with lxml, so all text
is escaped; characters XML 1.0 cannot carry are replaced by U+FFFD.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree
from rest_framework.renderers import BaseRenderer

from .negotiation import format_of

NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
SURROGATES = re.compile("[\ud800-\udfff]")
# Valid JSON either way; escaped so the text is also safe inside <script> and, for U+2028
# and U+2029, valid JavaScript (JSONP) in engines older than ES2019.
JSON_ESCAPES = str.maketrans(
    {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
)
# XML: keys written as attributes, the key written as an item's text, and the element name
# of a list's items.
ATTRIBUTES = frozenset({"status", "line", "field"})
ITEM_TEXT = "message"
JSONP_GUARD = "/**/"
LIST_ITEMS = {"generated": "customer", "errors": "error"}


class XMLRenderer(BaseRenderer):
    media_type = "application/xml"
    format = "xml"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        root = etree.Element("response")
        _fill(root, data)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class JSONRenderer(BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return self.text(data, renderer_context).encode()

    def text(self, data: dict[str, Any], renderer_context: dict | None) -> str:
        request = (renderer_context or {}).get("request")
        if format_of(request).condensed:
            text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        else:
            text = json.dumps(data, ensure_ascii=False, indent=2)
        # Lone surrogates cannot be encoded as UTF-8.
        return SURROGATES.sub("\ufffd", text).translate(JSON_ESCAPES)


class JSONPRenderer(JSONRenderer):
    """JSON wrapped in a call of the `callback` parameter, after an empty comment (`/**/`, the
    usual guard against a response sniffed as another content type, as in Rosetta Flash).
    The view answers it with 200 whatever happened: a browser does not run the script of an
    error response."""

    media_type = "application/javascript"
    format = "jsonp"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        request = (renderer_context or {}).get("request")
        callback = format_of(request).callback
        return f"{JSONP_GUARD}{callback}({self.text(data, renderer_context)});".encode()


def xml_safe(text: str) -> str:
    """`text` with every character XML 1.0 cannot represent replaced by U+FFFD."""
    return NOT_XML.sub("\ufffd", text)


def _fill(element: etree._Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        if key in ATTRIBUTES:
            element.set(key, xml_safe(str(value)))
        elif isinstance(value, dict):
            _fill(etree.SubElement(element, key), value)
        elif isinstance(value, list):
            _fill_list(etree.SubElement(element, key), LIST_ITEMS[key], value)
        else:
            etree.SubElement(element, key).text = xml_safe(str(value))


def _fill_list(element: etree._Element, tag: str, items: list[dict[str, Any]]) -> None:
    for item in items:
        child = etree.SubElement(element, tag)
        text = item.get(ITEM_TEXT)
        _fill(child, {key: value for key, value in item.items() if key != ITEM_TEXT})
        if text is not None:
            child.text = xml_safe(text)
