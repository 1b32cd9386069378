"""Form parameters as every API call reads them: names matched case-insensitively."""

from collections.abc import Iterable

from django.http import QueryDict

from core.errors import InvalidRequest

GIVEN_TWICE = "Parameter {name} is given more than once."
DATA_PARAMETER = "profiles_data"
NUL_CHARACTER = "Parameter {name} contains a NUL character."


def form_params(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """{lowercased name: value}; a name given twice, in any case, is an error."""
    params: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        if key in params:
            raise InvalidRequest(GIVEN_TWICE.format(name=key[:60]))
        if "\x00" in key or ("\x00" in value and key != DATA_PARAMETER):
            # No text column can hold it (PostgreSQL refuses it outright); in the data it is
            # a line error that names the line and field instead.
            raise InvalidRequest(NUL_CHARACTER.format(name=key[:60].replace("\x00", "\ufffd")))
        params[key] = value
    return params


def loose_params(data: QueryDict) -> dict[str, str]:
    """{lowercased name: last value}, never raising: for choosing how to answer before the
    parameters are checked (a name given twice is refused later, in that format)."""
    return {name.lower(): values[-1] for name, values in data.lists() if values}


def form_pairs(data: QueryDict) -> list[tuple[str, str]]:
    """Every (name, value) of a parsed form (a QueryDict), in order."""
    return [(name, value) for name, values in data.lists() for value in values]
