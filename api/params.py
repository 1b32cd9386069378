"""Form parameters as every API call reads them: names matched case-insensitively."""

from collections.abc import Iterable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpRequest

from .exceptions import ApiError

GIVEN_TWICE = "Parameter {name} is given more than once."
DATA_PARAMETER = "profiles_data"
NUL_CHARACTER = "Parameter {name} contains a NUL character."
URLENCODED = "application/x-www-form-urlencoded"
# urllib's unquote splits its whole input at every '%': on a 5 MB Profiles_Data that is a
# list of a million small objects, hundreds of megabytes for a moment. Unquoting in
# segments keeps that bounded.
UNQUOTE_SEGMENT_BYTES = 64 * 1024


def form_pairs(request: HttpRequest) -> list[tuple[str, str]]:
    """Every (name, value) of the form, in order. Django's size limit applies
    (RequestDataTooBig); urlencoded bodies are decoded here in bounded memory."""
    if request.content_type != URLENCODED:
        return [(name, value) for name, values in request.POST.lists() for value in values]
    body = request.body
    fields = [field for field in body.split(b"&") if field]
    if len(fields) > settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:
        raise TooManyFieldsSent("Too many form fields.")
    pairs = []
    for field in fields:
        name, _, value = field.partition(b"=")
        pairs.append((_unquote_plus(name), _unquote_plus(value)))
    return pairs


def form_params(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """{lowercased name: value}; a name given twice, in any case, is an error."""
    params: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        if key in params:
            raise ApiError(GIVEN_TWICE.format(name=key[:60]))
        if "\x00" in key or ("\x00" in value and key != DATA_PARAMETER):
            # No text column can hold it (PostgreSQL refuses it outright); in the data it is
            # a line error that names the line and field instead.
            raise ApiError(NUL_CHARACTER.format(name=key[:60].replace("\x00", "\ufffd")))
        params[key] = value
    return params


def _unquote_plus(raw: bytes) -> str:
    """application/x-www-form-urlencoded decoding, invalid UTF-8 replaced as Django does."""
    raw = raw.replace(b"+", b" ")
    if b"%" not in raw:
        return raw.decode("utf-8", "replace")
    parts = []
    start = 0
    while start < len(raw):
        end = start + UNQUOTE_SEGMENT_BYTES
        if end < len(raw):
            # Never cut a %XX escape in two.
            escape = raw.rfind(b"%", end - 2, end)
            if escape > start:
                end = escape
        parts.append(unquote_to_bytes(raw[start:end]))
        start = end
    return b"".join(parts).decode("utf-8", "replace")
