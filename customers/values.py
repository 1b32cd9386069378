"""The rules of a customer's text value wherever it comes from: the API and the command
line (customers/batch/parse.py and rows.py), the admin's import (the same engine) and the
admin's customer form (customers/forms.py) all use these definitions."""

import re

# C0 controls but TAB, LF and CR (line breaks may come inside quoted values), DEL, and the
# C1 controls U+0080 to U+009F (NEL U+0085 among them): NUL cannot be stored in
# PostgreSQL, C0 cannot be shown in XML 1.0, and none of them is ever intended. With them
# Unicode's 66 noncharacters, U+FDD0 to U+FDEF and the last two of every plane (U+FFFE,
# U+FFFF, U+1FFFE, ... U+10FFFF): reserved for a program's own use, never text that is
# sent; XML 1.0 cannot hold U+FFFE or U+FFFF (an XML answer showed U+FFFD, and every
# later XLSX export of the account failed: sixth red team), so they are refused likewise.
NONCHARACTERS = r"\ufdd0-\ufdef" + "".join(
    rf"\U{plane:04x}fffe\U{plane:04x}ffff" for plane in range(17)
)
# And the invisible controls that make a value read other than it is (seventh red team: a
# code "F5" + U+202E was stored, a look-alike of "F5" that also reverses what follows it on
# screen and in exports): the bidirectional embeddings, overrides and isolates (U+202A to
# U+202E, U+2066 to U+2069), the zero-width space and word joiner (U+200B, U+2060) and the
# invisible operators (U+2061 to U+2064). Kept: the left-to-right and right-to-left marks
# and the zero-width (non-)joiners (U+200C to U+200F), which Arabic, Persian and Indic names
# and emoji need, and U+FEFF, a byte order mark.
INVISIBLE_CONTROLS = r"\u200b\u202a-\u202e\u2060-\u2064\u2066-\u2069"
CONTROL_CHARACTERS = re.compile(
    rf"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{NONCHARACTERS}{INVISIBLE_CONTROLS}]"
)

# A byte order mark: invisible, where two BOM-prefixed files were joined it starts a line,
# and a code "\ufeffBM1" then matched no customer "BM1" (a duplicate was created; a line
# of a BOM alone made a customer of code U+FEFF: integrator's report). So it is trimmed as
# white space is, and a line of nothing else is blank.
BOM = "\ufeff"

# What trimming takes off both ends of a value: white space (str.isspace, up to U+3000,
# the last such character) and a byte order mark, but no control character. str.strip()
# alone would silently drop U+000B, U+000C, U+001C to U+001F and NEL there, which must be
# refused instead.
TRIMMED = (
    "".join(
        character
        for character in map(chr, range(0x3001))
        if character.isspace() and not CONTROL_CHARACTERS.match(character)
    )
    + BOM
)


# Bytes that were not text in the request's encoding, kept by the API's form parser as
# lone surrogates (Python's "surrogateescape"), so that the data can say which line and
# field hold them instead of storing U+FFFD in their place.
UNDECODED_BYTES = re.compile(r"[\udc80-\udcff]")
NOT_TEXT = re.compile(CONTROL_CHARACTERS.pattern[:-1] + r"\udc80-\udcff]")


def has_control_character(value: str) -> bool:
    return CONTROL_CHARACTERS.search(value) is not None


def cp1252_read_as_latin1(value: str) -> str:
    """The control characters of `value`, in order and once each, when every one of them is
    a C1 control that Windows-1252 writes as a printable character (its bytes 0x80 to 0x9F
    decoded as ISO-8859-1 become these); else ''."""
    found = dict.fromkeys(CONTROL_CHARACTERS.findall(value))
    if not found:
        return ""
    for character in found:
        if not "\x80" <= character <= "\x9f":
            return ""
        try:
            character.encode("latin-1").decode("cp1252")
        except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90 and 0x9D are none in cp1252
            return ""
    return "".join(found)


def has_undecoded_bytes(value: str) -> bool:
    return UNDECODED_BYTES.search(value) is not None


def is_plain_text(value: str) -> bool:
    """No control character and no undecoded byte: one search for both."""
    return NOT_TEXT.search(value) is None


def trimmed(value: str) -> str:
    """`value` without white space at either end; a control character stays, to be refused."""
    return value.strip(TRIMMED)
