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
from customers.values import BOM, TRIMMED

from . import messages as m
from .params import MAX_HEADER_NUMBER
from .types import LineError

LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
# Longer than any field may be, so an over-long value reaches the length check, which says
# which field it was; only a runaway quoted value (megabytes) stops the csv reader here.
CSV_FIELD_LIMIT = 1_000_000
# No line may have more values than a request has headers. The csv reader holds a line's
# values whole (16 bytes a value, more than a byte sent: a 64 MB line of delimiters held
# 1.2 GB), so a line with more is refused before the reader sees it (_Guard).
MAX_VALUES = MAX_HEADER_NUMBER


def read_lines(
    data: str | Iterable[str], delimiter: str
) -> Iterator[tuple[int, list[str]] | LineError]:
    """Yield (line number, values) per non-blank line, or a LineError for an unreadable one.

    `data` is a request's whole text, or a text stream read line by line (a file opened
    with newline="", or any iterable of lines): a stream is never held whole in memory,
    and MAX_BATCH_ROWS, the limit on one request's lines (and, apart, on its blank lines),
    does not apply to it."""
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
    guard = _Guard(itertools.chain((first,), lines), delimiter)
    reader = csv.reader(guard, delimiter=delimiter, quotechar='"', strict=True)
    read = blank = 0
    while True:
        line = reader.line_num + 1
        guard.new_line()
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if guard.too_wide.pop(line, False):
                yield LineError(line, None, m.TOO_MANY_VALUES.format(limit=MAX_VALUES))
                continue
            yield LineError(line, None, _unreadable(exc, delimiter))
            continue
        if guard.too_wide.pop(line, False):
            yield LineError(line, None, m.TOO_MANY_VALUES.format(limit=MAX_VALUES))
            continue
        # check_line_counts says what is refused; it is called only past the limit, which
        # keeps a call off every line (7% of reading them).
        if _is_blank(values):
            # Skipped and not counted in `read`, so line numbers still match.
            blank += 1
            if limit is not None and blank > limit:
                check_line_counts(read, blank, limit)
            continue
        read += 1
        if limit is not None and read > limit:
            check_line_counts(read, blank, limit)
        # strip(TRIMMED) is trimmed() inlined: it runs for every value of every line.
        yield line, [value.strip(TRIMMED) for value in values]


class _Guard:
    """The lines for the csv reader, each line of more than MAX_VALUES values replaced by
    one the reader reads cheaply, and its number kept in `too_wide`.

    A line without a quote that starts a line of values is counted with str.count (the
    fast path, nearly every line); any other is followed quote by quote as the reader
    (strict) reads it, so a delimiter in a quoted value is never counted, and a line of
    values that goes on over several text lines (a quoted line break) is counted whole."""

    def __init__(self, lines: Iterator[str], delimiter: str) -> None:
        self.lines = lines
        self.delimiter = delimiter
        self.too_wide: dict[int, bool] = {}
        self.number = 0  # of the last text line given to the reader
        self.inside = False  # the reader is in a quoted value
        self.start = 0  # the text line the current line of values started on
        self.values = 0  # its delimiters outside quotes so far
        self.skipping = False  # the rest of a refused line of values is being passed over

    def new_line(self) -> None:
        """The reader starts a line of values anew, after one or after an error."""
        if not self.skipping:
            self.inside = False

    def __iter__(self) -> "_Guard":
        return self

    def __next__(self) -> str:
        text = next(self.lines)
        self.number += 1
        delimiter = self.delimiter
        if not self.inside and not self.skipping:
            self.start, self.values = self.number, 0
            if '"' not in text:
                if text.count(delimiter) < MAX_VALUES:
                    return text  # the fast path
                self.too_wide[self.number] = True
                return "\n"
        was_inside = self.inside
        self.values, self.inside = _follow(text, delimiter, self.values, self.inside)
        if self.skipping:
            self.skipping = self.inside
            return "\n"
        if self.values < MAX_VALUES:
            return text
        self.too_wide[self.start] = True
        self.skipping = self.inside
        self.inside = False
        # The reader, in a quoted value from an earlier text line, ends it and the line here.
        return '"\n' if was_inside else "\n"


def _follow(text: str, delimiter: str, values: int, inside: bool) -> tuple[int, bool]:
    """The delimiters outside quotes after `text` (`values` before it), and whether it ends
    in a quoted value (`inside`: it starts in one), as the strict csv reader reads it: a
    quote opens a quoted value only at a value's start; "" in one is a quote."""
    position = 0
    end = len(text)
    while position < end:
        if inside:
            close = text.find('"', position)
            while close != -1 and text.startswith('"', close + 1):
                close = text.find('"', close + 2)
            if close == -1:
                return values, True
            inside = False
            position = close + 1
            if not text.startswith(delimiter, position):
                return values, False  # the line ends here, or the reader refuses it
            values += 1
            position += 1
        if text.startswith('"', position):
            inside = True
            position += 1
            continue
        opens = text.find(delimiter + '"', position)
        if opens == -1:
            return values + text.count(delimiter, position), False
        values += text.count(delimiter, position, opens + 1)
        inside = True
        position = opens + 2
    return values, inside


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


def check_line_counts(read: int, blank: int, limit: int) -> None:
    """The one bound on a request's lines (`limit`, MAX_BATCH_ROWS): InvalidRequest where
    its lines (`read`), or apart from them its blank lines (`blank`), are more. Blank lines
    are bounded as lines are: 30,000,000 line breaks took 32 s to skip (seventh red team)."""
    if blank > limit:
        raise InvalidRequest.worded(m.TOO_MANY_BLANK_LINES, limit=limit)
    if read > limit:
        raise InvalidRequest.worded(m.TOO_MANY_LINES, limit=limit)


def count_lines(data: str, delimiter: str) -> int:
    """The items read_lines will yield for `data` (a request's whole text): its data lines,
    each read line or line error once, lines ending in LF, CRLF or CR alike, a quoted line
    break inside its line, blank lines (empty, white space only, a BOM alone) not counted,
    as the import's lines done do not count them. InvalidRequest where check_line_counts
    refuses them, as the synchronous import does.

    Text with a quote is counted by read_lines itself (about 2 s for 1,000,000 lines); the
    rest, nearly every request, by counting line breaks and blank lines in C (tens of ms),
    which gives the same number: without a quote a text line is one line of values."""
    limit = settings.LOYALTY["MAX_BATCH_ROWS"]
    if '"' in data:
        return sum(1 for _ in read_lines(data, delimiter))
    text = data[len(BOM) :] if data.startswith(BOM) else data
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.count("\n") + (0 if not text or text.endswith("\n") else 1)
    blank = _blank_line_pattern(delimiter)
    empty = sum(1 for _ in blank.finditer(text))  # after a line break, before another
    first, _, _ = text.partition("\n")
    if lines and not first.strip(_blank_characters(delimiter)):
        empty += 1
    last = text[text.rfind("\n") + 1 :]
    if last and "\n" in text and not last.strip(_blank_characters(delimiter)):
        empty += 1
    counted = lines - empty
    check_line_counts(counted, empty, limit)
    return counted


def _blank_characters(delimiter: str) -> str:
    """What a blank line holds: white space the values are trimmed of, but not the
    delimiter (a line of tabs, tab-delimited, is a line of empty values, not blank)."""
    return TRIMMED.replace(delimiter, "").replace("\r", "").replace("\n", "")


def _blank_line_pattern(delimiter: str) -> re.Pattern[str]:
    # Starts with a literal line break, which the regex engine finds fast; the lookahead
    # leaves the next line break to be matched again.
    return re.compile("\n[" + re.escape(_blank_characters(delimiter)) + "]*(?=\n)")


def _is_blank(values: list[str]) -> bool:
    return not values or (len(values) == 1 and not values[0].strip(TRIMMED))
