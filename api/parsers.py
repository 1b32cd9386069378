"""The request body parsers of /api: form data only, as the original API reads it.

Both parsers refuse a body whose declared length is over DATA_UPLOAD_MAX_MEMORY_SIZE before
reading it (Django's own check skips the file parts of a multipart body). The urlencoded
parser decodes in bounded memory: DRF's FormParser (3.18) and Django's QueryDict read the
whole body into one string and split it with urllib, which on a 10 MB Profiles_Data full of
%XX escapes held about 200 MB at once; this one holds about 30 MB.
"""

from __future__ import annotations

import codecs
import re
from typing import IO, Any, cast
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import QueryDict
from django.utils.http import parse_header_parameters
from rest_framework import parsers
from rest_framework.exceptions import APIException, ParseError

from core.numbers import bounded_number

from .params import DATA_PARAMETER

TOO_BIG = "The request body is larger than the {limit:,} bytes this server accepts."
UNREADABLE_FORM = "The request body cannot be read as form data; nothing was done."
NO_BOUNDARY = (
    "The request's Content-Type is multipart/form-data without the boundary that separates "
    "its parts (multipart/form-data; boundary=...): the body cannot be read. Let the HTTP "
    "client set the Content-Type of a multipart form itself. Nothing was done."
)
CUT_SHORT = (
    "The request body is not a whole multipart form: it does not end with the closing "
    "boundary its Content-Type names (cut short on its way?). Nothing was done."
)
# Enough for a closing boundary (at most 70 characters, RFC 2046) and its line break.
TAIL_BYTES = 256
TOO_MANY_FIELDS = "The request has more form fields than this server accepts."
TOO_MANY_FILES = (
    "The request has more file parts than the {limit:,} this server accepts; send the "
    "parameters as form fields. Nothing was done."
)
# urllib's unquote splits its whole input at every '%': on a 5 MB Profiles_Data that is a
# list of a million small objects, hundreds of megabytes for a moment. Unquoting in
# segments keeps that bounded.
UNQUOTE_SEGMENT_BYTES = 64 * 1024
# A field of an urlencoded body: a run of bytes other than '&'.
FIELD = re.compile(rb"[^&]+")
# Undecodable bytes kept as lone surrogates (U+DC80 to U+DCFF), which customers.values
# recognises.
UNDECODED = "surrogateescape"


UNREADABLE_CHARSET = (
    'The request\'s Content-Type names the charset "{charset}", which is not a text '
    "encoding this server reads the form with; send UTF-8 (or another character set such "
    "as ISO-8859-1). Nothing was done."
)
NOT_IN_CHARSET = (
    'The request body cannot be read in the charset "{charset}" its Content-Type names. '
    "Nothing was done."
)
# Codecs that Python counts as text encodings but that write Unicode in an ASCII notation
# (domain names, escapes, shift sequences) rather than being a character set: decoding
# form data with them fails on ordinary input (idna: a label over 63 characters) or reads
# ASCII as other text (utf-7's +...-, HZ's ~{...~}, ISO-2022's ESC sequences), so what a
# filter in front reads as ASCII the app would read otherwise (ninth red team: charset=hz
# made "~{VP~}" a first name of 中).
NOT_CHARSETS = frozenset(
    {
        "idna",
        "punycode",
        "unicode-escape",
        "raw-unicode-escape",
        "utf-7",
        "hz",
        "iso2022_jp",
        "iso2022_jp_1",
        "iso2022_jp_2",
        "iso2022_jp_2004",
        "iso2022_jp_3",
        "iso2022_jp_ext",
        "iso2022_kr",
    }
)
NOT_ASCII_CHARSET = (
    'The request\'s Content-Type names the charset "{charset}", which does not write the '
    "form's names, =, & and % as ASCII, as every form is sent: this server reads forms in "
    "UTF-8 or another charset that writes ASCII as ASCII (such as ISO-8859-1 or "
    "Windows-1252). Nothing was done."
)
# What a form's structure is written in, whatever the charset of its values.
FORM_ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.=&%+"


def form_charset(parser_context: dict[str, Any]) -> str:
    """The charset the request's Content-Type names (settings.DEFAULT_CHARSET if none),
    refused with a ParseError naming it unless it is a real character set: a text encoding
    (DRF's check refuses bytes codecs such as base64, rot13, bz2) that is not one of
    NOT_CHARSETS."""
    charset = (
        _declared_charset(parser_context)
        or parser_context.get("encoding")
        or settings.DEFAULT_CHARSET
    )
    try:
        codec = codecs.lookup(charset)
    except LookupError:
        codec = None
    if codec is None or not codec._is_text_encoding or codec.name in NOT_CHARSETS:
        raise ParseError(UNREADABLE_CHARSET.format(charset=str(charset)[:40]))
    # UTF-16 or EBCDIC (cp037) read "type=" as other text: the answer was "type is
    # required" (seventh red team).
    try:
        ascii_compatible = FORM_ASCII.encode(charset) == FORM_ASCII.encode("ascii")
    except UnicodeError:
        ascii_compatible = False
    if not ascii_compatible:
        raise ParseError(NOT_ASCII_CHARSET.format(charset=str(charset)[:40]))
    return charset


def _declared_charset(parser_context: dict[str, Any]) -> str:
    """The charset the Content-Type names, as sent, or "": Django leaves a name it cannot
    look up out of request.encoding (and DRF then says UTF-8), so `charset=bogus-9` was read
    as UTF-8 without a word (integrator's low)."""
    request = parser_context.get("request")
    content_type = request.META.get("CONTENT_TYPE", "") if request is not None else ""
    _, params = parse_header_parameters(content_type)
    return params.get("charset", "")


COMPRESSED = (
    "The request body is compressed (Content-Encoding: {encoding}); this server reads "
    "only uncompressed form data: send it without Content-Encoding. Nothing was done."
)
BODY_NOT_READ = (
    "The request body was not read: send it with a Content-Length header of its size in "
    "bytes ({reason}). Nothing was done."
)


class RequestTooLarge(APIException):
    status_code = 413
    default_code = "request_too_large"


def refuse_declared_oversize(parser_context: dict[str, Any]) -> None:
    """RequestTooLarge when the request says its body is over the limit."""
    meta = parser_context["request"].META
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    declared = str(meta.get("CONTENT_LENGTH") or "").strip()
    if limit is None or not (declared.isascii() and declared.isdigit()):
        return  # not a number: refuse_unreadable_length says so
    if bounded_number(declared, low=0, high=limit) is None:
        raise RequestTooLarge(TOO_BIG.format(limit=limit))


# No body this long is read, whatever the settings (and int() of its length is cheap).
MAX_LENGTH = 10**18 - 1


def refuse_unreadable_length(meta: dict[str, Any]) -> None:
    """ParseError when the body cannot be read for want of a usable Content-Length: a
    chunked body (WSGI gives the app no length for it), or a length that is not a number;
    or when it is compressed (Content-Encoding), which is not read;
    RequestTooLarge for a length over the limit (DRF cannot read one of thousands of
    digits).
    DRF would read such a body as empty, and the answer would blame a missing parameter."""
    declared = str(meta.get("CONTENT_LENGTH") or "").strip()
    if declared and not declared.isdigit():
        raise ParseError(BODY_NOT_READ.format(reason=f"got Content-Length {declared[:20]}"))
    # DRF's int() of a length of thousands of digits fails, and it reads the body as empty.
    # A length merely over the limit is the parser's to refuse (refuse_declared_oversize),
    # after the answer's format is known, so its 413 is in the format the query string asks.
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if declared and bounded_number(declared, low=0, high=MAX_LENGTH) is None:
        raise RequestTooLarge(TOO_BIG.format(limit=limit or MAX_LENGTH))
    if not declared and "chunked" in str(meta.get("HTTP_TRANSFER_ENCODING", "")).lower():
        raise ParseError(BODY_NOT_READ.format(reason="chunked transfer encoding is not read"))
    # A gzip body read as form data was one parameter of binary bytes ("Parameter \x1f\x8b…
    # contains a NUL character"): say what it is instead.
    encoding = str(meta.get("HTTP_CONTENT_ENCODING", "")).strip()
    if encoding and encoding.lower() != "identity":
        raise ParseError(COMPRESSED.format(encoding=encoding[:40]))


class FormParser(parsers.BaseParser):
    """application/x-www-form-urlencoded -> a QueryDict, decoded segment by segment."""

    media_type = "application/x-www-form-urlencoded"

    def parse(self, stream, media_type=None, parser_context=None) -> QueryDict:
        parser_context = parser_context or {}
        refuse_declared_oversize(parser_context)
        encoding = form_charset(parser_context)
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise RequestTooLarge(TOO_BIG.format(limit=limit))
        spans = _field_spans(body)
        form = QueryDict(mutable=True, encoding=encoding)
        try:
            for start, end in spans:
                equals = body.find(b"=", start, end)
                name_end, value_start = (end, end) if equals < 0 else (equals, equals + 1)
                name = _unquote_plus(body, start, name_end, encoding, "replace")
                # Bytes that are not text: U+FFFD in a parameter, as Django's own form
                # parsing makes them; kept in the data, whose rows refuse them naming line
                # and field.
                errors = UNDECODED if name.lower() == DATA_PARAMETER else "replace"
                form.appendlist(name, _unquote_plus(body, value_start, end, encoding, errors))
        except UnicodeError:  # a codec that fails despite errors="replace"
            raise ParseError(NOT_IN_CHARSET.format(charset=encoding[:40])) from None
        form._mutable = False
        return form


class MultiPartParser(parsers.MultiPartParser):
    """multipart/form-data through Django's parser, with its errors in the API's words."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        refuse_declared_oversize(parser_context)
        encoding = form_charset(parser_context)
        _, options = parse_header_parameters(media_type or "")
        if not options.get("boundary"):
            raise ParseError(NO_BOUNDARY)
        kept = _TailKeeping(stream)
        try:
            # Django's parser only calls read() on its stream.
            parsed = super().parse(cast(IO[Any], kept), media_type, parser_context)
        except RequestDataTooBig:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            raise RequestTooLarge(TOO_BIG.format(limit=limit)) from None
        except TooManyFieldsSent:
            raise ParseError(TOO_MANY_FIELDS) from None
        except TooManyFilesSent:
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
            raise ParseError(TOO_MANY_FILES.format(limit=limit)) from None
        except ParseError:  # DRF's wrapping of Django's MultiPartParserError
            raise ParseError(UNREADABLE_FORM) from None
        except UnicodeError:  # a codec that fails despite errors="replace"
            raise ParseError(NOT_IN_CHARSET.format(charset=encoding[:40])) from None
        # Django's parser takes a body cut short for a whole one: the fields it read
        # would be imported, the rest lost. A whole body ends with the closing boundary.
        closing = b"--" + options["boundary"].encode("latin-1") + b"--"
        if closing not in kept.tail:
            raise ParseError(CUT_SHORT)
        return _data_file_as_text(parsed, encoding)


def _data_file_as_text(parsed: parsers.DataAndFiles, encoding: str) -> parsers.DataAndFiles:
    """A file part named Profiles_Data (curl -F 'Profiles_Data=@file.csv', PHP's CURLFile,
    as the original's integrators send it) read as that text field: decoded in the
    request's charset as the urlencoded Profiles_Data is (undecodable bytes kept for the
    rows to refuse, naming line and field), within the same body limit (the declared
    length was checked before the body was read). Other file parts are not read."""
    named = [name for name in parsed.files if name.lower() == DATA_PARAMETER]
    if not named:
        return parsed
    data = parsed.data.copy()
    files = parsed.files.copy()
    for name in named:
        for upload in files.getlist(name):
            text = b"".join(upload.chunks()).decode(encoding, UNDECODED)
            data.appendlist(name, text)
        del files[name]
    data._mutable = False
    return parsers.DataAndFiles(data, files)


class _TailKeeping:
    """A stream that remembers the last bytes read from it."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.tail = b""

    def read(self, *args: Any) -> bytes:
        chunk = self.stream.read(*args)
        self.tail = (self.tail + chunk)[-TAIL_BYTES:]
        return chunk


def _field_spans(body: bytes) -> list[tuple[int, int]]:
    """Where each field of an urlencoded body is (the empty ones between two '&' left out,
    as Django leaves them out), found without copying the body; more than
    DATA_UPLOAD_MAX_NUMBER_FIELDS is refused before any is decoded."""
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    spans: list[tuple[int, int]] = []
    for match in FIELD.finditer(body):
        if limit is not None and len(spans) >= limit:
            raise ParseError(TOO_MANY_FIELDS)
        spans.append(match.span())
    return spans


def _unquote_plus(body: bytes, start: int, end: int, encoding: str, errors: str) -> str:
    """application/x-www-form-urlencoded decoding of body[start:end]; bytes that are not
    text in `encoding` are handled by `errors` ("replace", or UNDECODED to keep them as lone
    surrogates). The body is read in place and the value is never copied whole but into
    its decoded bytes, then its text (a 60 MB value: the body, one decoded copy, the text)."""
    if body.find(b"%", start, end) < 0 and body.find(b"+", start, end) < 0:
        with memoryview(body) as view:
            return str(view[start:end], encoding, errors)
    parts = []
    while start < end:
        stop = start + UNQUOTE_SEGMENT_BYTES
        if stop < end:
            # Never cut a %XX escape in two.
            escape = body.rfind(b"%", stop - 2, stop)
            if escape > start:
                stop = escape
        else:
            stop = end
        parts.append(unquote_to_bytes(body[start:stop].replace(b"+", b" ")))
        start = stop
    decoded = b"".join(parts)
    parts.clear()
    return decoded.decode(encoding, errors)
