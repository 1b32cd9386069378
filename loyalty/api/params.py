"""Form parameters as every API call reads them: names matched case-insensitively."""

from django.http import QueryDict

from .errors import ApiError

GIVEN_TWICE = "Parameter {name} is given more than once."


def form_params(query_dict: QueryDict) -> dict[str, str]:
    """{lowercased name: value}; a name given twice, in any case, is an error."""
    params: dict[str, str] = {}
    for name, values in query_dict.lists():
        key = name.lower()
        if key in params or len(values) > 1:
            raise ApiError(GIVEN_TWICE.format(name=key[:60]))
        params[key] = values[0]
    return params
