"""Profiles_Data text (or a text stream) -> numbered lines of trimmed values.

CSV with double-quote quoting for every delimiter, so a quoted value may hold the
delimiter, a quote ("") or a line break. Lines end in LF, CRLF or CR; blank lines are
skipped but counted, so line numbers match what the integrator sent. Values are trimmed of
white space but not of control characters, which rows.py refuses (customers/values.py).
"""

import csv
import itertools
import re
from collections.abc import Iterable, Iterator

from django.conf import settings

from core.errors import InvalidRequest
from customers.values import TRIMMED

from . import messages as m
from .types import LineError

BOM = "\ufeff"
LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
# Longer than any field may be, so an over-long value reaches the length check, which says
# which field it was; only a runaway quoted value (megabytes) stops the csv reader here.
CSV_FIELD_LIMIT = 1_000_000


def read_lines(
    data: str | Iterable[str], delimiter: str
) -> Iterator[tuple[int, list[str]] | LineError]:
    """Yield (line number, values) per non-blank line, or a LineError for an unreadable one.

    `data` is a request's whole text, or a text stream read line by line (a file opened
    with newline="", or any iterable of lines): a stream is never held whole in memory,
    and MAX_BATCH_ROWS, the limit on one request's lines, does not apply to it."""
    csv.field_size_limit(CSV_FIELD_LIMIT)
    limit = settings.LOYALTY["MAX_BATCH_ROWS"] if isinstance(data, str) else None
    if isinstance(data, str):
        data = _lines_of(data)
    lines = iter(data)
    first = next(lines, "")
    if first.startswith(BOM):
        first = first[len(BOM) :]
    # strict: a quote left open, or text after a closing quote, is a line error; lenient
    # reading would silently make the lines after an open quote part of its value.
    reader = csv.reader(
        itertools.chain((first,), lines), delimiter=delimiter, quotechar='"', strict=True
    )
    read = 0
    while True:
        line = reader.line_num + 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield LineError(line, None, _unreadable(exc, delimiter))
            continue
        if _is_blank(values):
            continue
        read += 1
        if limit is not None and read > limit:
            raise InvalidRequest.worded(m.TOO_MANY_LINES, limit=limit)
        # strip(TRIMMED) is trimmed() inlined: it runs for every value of every line.
        yield line, [value.strip(TRIMMED) for value in values]


def _unreadable(error: csv.Error, delimiter: str) -> str:
    """The message of a line the csv reader refused, in the integrator's words."""
    reason = str(error)
    if reason == "unexpected end of data":
        return m.QUOTE_NOT_CLOSED
    if reason.endswith("expected after '\"'"):
        return m.TEXT_AFTER_QUOTE.format(delimiter=DELIMITER_NAMES.get(delimiter, delimiter))
    return m.UNREADABLE_LINE.format(reason=reason)


DELIMITER_NAMES = {"|": "|", ",": ",", "\t": "a tab"}


def _lines_of(text: str) -> Iterator[str]:
    """The lines of `text` with their endings (LF, CRLF or CR), one at a time: io.StringIO
    would first copy the text at four bytes a character (260 MB for a 1,000,000-line
    request)."""
    return (match.group() for match in LINE.finditer(text))


def _is_blank(values: list[str]) -> bool:
    return not values or (len(values) == 1 and not values[0].strip(TRIMMED))
