"""Which renderer answers a request: chosen by its `output` and `callback` parameters alone.

No request header takes part: integrators' HTTP libraries send every kind of Accept header
(absent, */*, application/xml, text/xml, text/html, ...), and the original API answered all
of them in the format the parameters asked for. DRF's default negotiation would refuse some
of those with 406; this never refuses and never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.negotiation import BaseContentNegotiation, DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from core.errors import InvalidRequest

from .params import loose_params

BAD_OUTPUT = "output must be XML or JSON, got {value}."
BAD_CALLBACK = (
    "callback must be a JavaScript identifier such as myFunction or app.handle_1, got {value}."
)
CALLBACK = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*(?:\.[A-Za-z_$][A-Za-z0-9_$]*)*")
CALLBACK_MAX_LENGTH = 128
# Bad values are quoted back only this far: a message must not become a payload carrier.
ECHO_MAX_LENGTH = 40


@dataclass(frozen=True)
class OutputFormat:
    """How to answer: `kind` is a renderer's format ("xml", "json" or "jsonp")."""

    kind: str
    callback: str | None = None
    condensed: bool = False


XML = OutputFormat("xml")
# The parameters that choose the answer's format.
FORMAT_PARAMETERS = ("output", "callback", "condensed")
# What `condensed` says yes with: the contract's `yes`, and the 1 and true that integrators'
# HTTP libraries send for a boolean (an integrator's low: they were taken and ignored).
CONDENSED_YES = ("yes", "1", "true")


def requested_format(params: dict[str, str]) -> OutputFormat:
    """The format the parameters ask for, as far as they can tell; never raises. JSON if
    JSON was asked for in any way, JSONP only with a valid callback; else XML. So an error
    in `output` or `callback` is itself reported in the format the client reads."""
    output = params.get("output", "").strip().lower()
    callback = params.get("callback", "").strip()
    if output != "json" and not callback:
        return XML
    condensed = params.get("condensed", "").strip().lower() in CONDENSED_YES
    if callback and valid_callback(callback):
        return OutputFormat("jsonp", callback, condensed)
    return OutputFormat("json", None, condensed)


def check_output_parameters(params: dict[str, str]) -> None:
    """InvalidRequest when `output` or `callback` is not acceptable."""
    output = params.get("output", "").strip()
    if output.lower() not in ("", "xml", "json"):
        raise InvalidRequest(BAD_OUTPUT.format(value=_echo(output)))
    callback = params.get("callback", "").strip()
    if callback and not valid_callback(callback):
        raise InvalidRequest(BAD_CALLBACK.format(value=_echo(callback)))


def valid_callback(callback: str) -> bool:
    """True for a JavaScript identifier path such as `app.handle_1`, 128 characters at most."""
    return len(callback) <= CALLBACK_MAX_LENGTH and CALLBACK.fullmatch(callback) is not None


def format_of(request: Request | None) -> OutputFormat:
    """The format a request's parameters ask for (XML without a request or a form): those
    of the form, or, when the form names none, those of the query string. So a body too
    large to read (413) or unreadable is still answered as `/api?output=JSON` asks."""
    if request is None:
        return XML
    params = _form_params(request)
    if not any(name in params for name in FORMAT_PARAMETERS):
        params = loose_params(request.query_params)
    return requested_format(params)


def _form_params(request: Request) -> dict[str, str]:
    """The form's parameters, or none when the body is no form (a JSON or text body): DRF
    raises UnsupportedMediaType at every read of such a request's form, and the renderer
    chosen after an error that raises here is the first, XML, whatever the query asked.
    (A form that cannot be read raises once, here, and is then empty: that error is the
    answer, in the query string's format.)"""
    try:
        return loose_params(request.POST)
    except UnsupportedMediaType:
        return {}


class OutputParameterNegotiation(BaseContentNegotiation):
    """Parsers by Content-Type as DRF does; the renderer by `output` and `callback`."""

    def select_parser(self, request, parsers):
        return DefaultContentNegotiation().select_parser(request, parsers)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)
        kind = format_of(request).kind
        renderer = next((r for r in renderers if r.format == kind), renderers[0])
        return renderer, renderer.media_type


def _echo(value: str) -> str:
    return value if len(value) <= ECHO_MAX_LENGTH else value[:ECHO_MAX_LENGTH] + "\u2026"
