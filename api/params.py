"""Form parameters as every API call reads them: names matched case-insensitively."""

import re
from collections.abc import Iterable

from django.http import QueryDict

from core.errors import InvalidRequest

GIVEN_TWICE = "Parameter {name} is given more than once."
# Named as the client sent it, both ways when it wrote the name in two cases: lowercased,
# "profiles_data" named a parameter the client (and the contract) wrote Profiles_Data.
GIVEN_TWICE_IN_TWO_CASES = "Parameter {name} is given more than once, also as {other}."
# The parameters every call reads (the credentials, the account, the call, the format).
API_PARAMETERS = frozenset(
    {
        "type",
        "user_id",
        "user_password",
        "user_api_key",
        "api_access_key",
        "account_id",
        "output",
        "callback",
        "condensed",
    }
)
MISSPELLED = "{name} is not a parameter; did you mean {known}? Nothing was done."
# A name that differs from a known one only in case, spaces, dashes or underscores.
_SPELLING = re.compile(r"[\s_\-]")
_HEADER = re.compile(r"^profilesheader(\d+)$")
DATA_PARAMETER = "profiles_data"
NUL_CHARACTER = "Parameter {name} contains a NUL character."


def form_params(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """{lowercased name: value}; a name given twice, in any case, is an error naming it as
    sent."""
    params: dict[str, str] = {}
    sent: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        if key in params:
            first = sent[key]
            if first == name:
                raise InvalidRequest(GIVEN_TWICE.format(name=first[:60]))
            raise InvalidRequest(GIVEN_TWICE_IN_TWO_CASES.format(name=first[:60], other=name[:60]))
        if "\x00" in key or ("\x00" in value and key != DATA_PARAMETER):
            # No text column can hold it (PostgreSQL refuses it outright); in the data it is
            # a line error that names the line and field instead.
            raise InvalidRequest(NUL_CHARACTER.format(name=name[:60].replace("\x00", "\ufffd")))
        params[key] = value
        sent[key] = name
    return params


def refuse_misspellings(params: dict[str, str], known: frozenset[str]) -> None:
    """InvalidRequest for a parameter that is a known one spelled otherwise (validate-only,
    validateonly, "validate_only "): ignoring it would do what the client did not ask,
    such as import for real a batch meant to be validated. Other unknown names pass, as the
    original let integrations send fields of their own."""
    spellings = {_SPELLING.sub("", name): name for name in known}
    for name in params:
        if name in known or name.startswith("profiles_header_"):
            continue
        spelled = _SPELLING.sub("", name)
        meant = spellings.get(spelled)
        if meant is None and (header := _HEADER.match(spelled)):
            meant = "profiles_header_" + header.group(1)
        if meant is not None:
            raise InvalidRequest(MISSPELLED.format(name=name[:60], known=meant))


def loose_params(data: QueryDict) -> dict[str, str]:
    """{lowercased name: last value}, never raising: for choosing how to answer before the
    parameters are checked (a name given twice is refused later, in that format)."""
    return {name.lower(): values[-1] for name, values in data.lists() if values}


def form_pairs(data: QueryDict) -> list[tuple[str, str]]:
    """Every (name, value) of a parsed form (a QueryDict), in order."""
    return [(name, value) for name, values in data.lists() for value in values]
