"""Property: whatever delimiter (, ; TAB |) and encoding (UTF-8 with or without BOM,
UTF-16 with BOM, Windows-1252) a spreadsheet wrote a CSV in, the admin's import reads the
same header and values back, with the file's line numbers. LOYALTY_LONG_TESTS=1 runs ten
times as many examples."""

import csv
import io
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customers.batch.params import HEADER_FIELDS
from customers.import_file import DELIMITERS, read_import_file

FIELD_NAMES = sorted(HEADER_FIELDS)
# Windows-1252 text that cannot also be read as UTF-8: its characters beyond ASCII are
# those written as bytes 0xC0-0xFF (À to ÿ), never followed by a UTF-8 continuation byte
# (0x80-0xBF) here, as no character written as one (Œ, €, ©, ...) is drawn. Real shop data
# is like this; a Windows file of "Ã©" is also valid UTF-8 ("é") and is read as such.
LETTERS = st.characters(
    codec="cp1252",
    categories=["L", "N", "P", "S", "Zs"],
    exclude_characters="\x00\r\n",
).filter(lambda c: c.isascii() or c.encode("cp1252")[0] >= 0xC0)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "cp1252"]
# Ten times as many with LOYALTY_LONG_TESTS=1 (docs/reliability.md).
EXAMPLES = 3000 if os.environ.get("LOYALTY_LONG_TESTS") == "1" else 300
# Bytes in, text out: no database is touched, so make test's SQLite pass runs it alone.
pytestmark = pytest.mark.once


@st.composite
def files(draw):
    names = draw(st.lists(st.sampled_from(FIELD_NAMES), min_size=1, max_size=6, unique=True))
    rows = draw(
        st.lists(
            st.lists(
                st.text(LETTERS, max_size=12).map(str.strip),
                min_size=len(names),
                max_size=len(names),
            ).filter(lambda row: any(row)),
            min_size=1,
            max_size=5,
        )
    )
    return names, rows


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    file=files(),
    delimiter=st.sampled_from(DELIMITERS),
    encoding=st.sampled_from(ENCODINGS),
    line_end=st.sampled_from(["\n", "\r\n"]),
)
def test_every_delimiter_and_encoding_reads_back_the_same_rows(file, delimiter, encoding, line_end):
    names, rows = file
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator=line_end).writerows([names, *rows])

    upload = read_import_file(text.getvalue().encode(encoding))

    if len(names) > 1:  # one column has no delimiter to find, only values not to split
        assert upload.delimiter == delimiter
    assert upload.headers == names
    read = list(csv.reader(io.StringIO(upload.data, newline=""), delimiter=upload.delimiter))
    assert read[0] == []  # the header line, kept as a blank line: data starts on line 2
    assert [[value.strip() for value in row] for row in read[1:]] == rows
