"""customers_batch parameters (names already lowercased) -> a checked BatchRequest.

Every check here is request-level: a failure raises InvalidRequest and nothing is imported.
"""

import difflib
import re

from core.errors import InvalidRequest
from core.numbers import bounded_number
from customers.columns import LINE_COLUMNS
from customers.values import trimmed

from . import messages as m
from .types import BatchRequest, OverwriteMode

# Header field names as the contract spells them, mapped to the customer's column (or to
# auto_add, a credit rather than a column): every column a line may write, then auto_add.
HEADER_SPELLINGS = {"customer_pin": "customer_PIN"}
HEADER_FIELDS = {
    **{HEADER_SPELLINGS.get(column, column): column for column in LINE_COLUMNS},
    "auto_add": "auto_add",
}
FIELD_LABELS = {attribute: name for name, attribute in HEADER_FIELDS.items()}
DELIMITERS = {"pipe": "|", "|": "|", "comma": ",", ",": ",", "tab": "\t", "\t": "\t"}
CAMPAIGN_SEPARATORS = {"1.0": "|,|", "1.5": ","}
# profiles_header_N beyond this is refused before anything is allocated for it.
MAX_HEADER_NUMBER = 200
# Campaigns one request may name: each customer is enrolled in every one, and they are
# looked up in one statement, whose variables SQLite limits (250,000 ids were a 500).
MAX_CAMPAIGNS = 100
HEADER_PARAMETER = re.compile(r"^profiles_header_(\d+)$")
CUSTOM_FIELD_HEADER = re.compile(r"^custom_field_([1-9]\d*)$")
PRINTABLE_TOKEN = re.compile(r"^[\x21-\x7e]{1,128}$")
# Every parameter customers_batch reads (lowercased; profiles_header_N besides), so that a
# misspelling of one is refused instead of silently ignored (api/params.py).
PARAMETERS = frozenset(
    {
        "api",
        "delimiter",
        "overwrite_duplicates",
        "no_undo",
        "allow_undo",
        "card_number_generate",
        "campaigns_to_include",
        "profiles_data",
        "validate_only",
        "all_or_nothing",
        "request_id",
    }
)


def parse_batch_request(
    params: dict[str, str], *, custom_field_count: int = 0, charset: str | None = None
) -> BatchRequest:
    """The BatchRequest that `params` (lowercased form fields, read in `charset` if the
    request named one) describe, or InvalidRequest."""
    version = api_version(params)
    return BatchRequest(
        api_version=version,
        delimiter=_delimiter(params),
        overwrite=_overwrite_mode(params),
        record_undo=_record_undo(params, version),
        card_number_digits=_card_number_digits(params),
        campaign_ids=_campaign_ids(params, version),
        headers=_headers(params, version, custom_field_count),
        data=_required(params, "profiles_data", "Profiles_Data"),
        validate_only=yes_flag(params, "validate_only"),
        all_or_nothing=yes_flag(params, "all_or_nothing"),
        request_id=_request_id(params),
        charset=charset,
    )


def api_version(params: dict[str, str]) -> str:
    """ "1.0" or "1.5", as `API` names it; InvalidRequest for any other value."""
    value = params.get("api", "").strip()
    if value in ("", "1", "1.0"):
        return "1.0"
    if value == "1.5":
        return "1.5"
    raise InvalidRequest(m.UNKNOWN_API_VERSION.format(value=m.shown(value)))


def _required(params: dict[str, str], key: str, name: str) -> str:
    value = params.get(key)
    # str.strip() takes control characters off too; trimmed() a byte order mark.
    if value is None or not value.strip() or not trimmed(value):
        raise InvalidRequest.worded(m.MISSING_PARAMETER, name=name)
    return value


def yes_flag(params: dict[str, str], name: str) -> bool:
    """A yes/no option (no_undo, allow_undo, validate_only, all_or_nothing, and the API's
    run_in_background): `yes` or `no` in any case, trimmed; absent or empty is no; any other
    value is refused naming the accepted ones. The one definition of a yes/no option."""
    value = params.get(name, "").strip().lower()
    if value in ("", "no"):
        return False
    if value == "yes":
        return True
    raise InvalidRequest(m.BAD_YES_FLAG.format(name=name, value=m.shown(value)))


def _delimiter(params: dict[str, str]) -> str:
    raw = params.get("delimiter", "")
    # A literal TAB is a valid delimiter: strip only spaces around a word.
    key = raw if raw == "\t" else raw.strip(" ").lower()
    if not key:
        raise InvalidRequest(m.MISSING_PARAMETER.format(name="delimiter"))
    if key not in DELIMITERS:
        raise InvalidRequest(m.BAD_DELIMITER.format(value=m.shown(raw)))
    return DELIMITERS[key]


def _overwrite_mode(params: dict[str, str]) -> OverwriteMode:
    value = params.get("overwrite_duplicates", "").strip().lower()
    if not value:
        return OverwriteMode.IGNORE
    try:
        return OverwriteMode(value)
    except ValueError:
        raise InvalidRequest(m.BAD_OVERWRITE.format(value=m.shown(value))) from None


def _record_undo(params: dict[str, str], api_version: str) -> bool:
    # 1.0 records unless told not to; 1.5 records only when asked.
    if api_version == "1.5":
        return yes_flag(params, "allow_undo")
    return not yes_flag(params, "no_undo")


def _card_number_digits(params: dict[str, str]) -> int | None:
    value = params.get("card_number_generate", "").strip()
    if not value:
        return None
    digits = bounded_number(value, low=4, high=32)
    if digits is None:
        raise InvalidRequest(m.BAD_CARD_NUMBER_DIGITS.format(value=m.shown(value)))
    return digits


def _campaign_ids(params: dict[str, str], api_version: str) -> tuple[str, ...]:
    raw = _required(params, "campaigns_to_include", "campaigns_to_include")
    ids = [part.strip() for part in raw.split(CAMPAIGN_SEPARATORS[api_version])]
    ids = [campaign_id for campaign_id in ids if campaign_id]
    if not ids:
        raise InvalidRequest(m.MISSING_PARAMETER.format(name="campaigns_to_include"))
    unique = tuple(dict.fromkeys(ids))
    if len(unique) > MAX_CAMPAIGNS:
        raise InvalidRequest(m.TOO_MANY_CAMPAIGNS.format(count=len(unique), limit=MAX_CAMPAIGNS))
    return unique


def _request_id(params: dict[str, str]) -> str | None:
    value = params.get("request_id", "").strip()
    if not value:
        return None
    if not PRINTABLE_TOKEN.match(value):
        raise InvalidRequest(m.BAD_REQUEST_ID.format(value=m.shown(value)))
    return value


def _headers(
    params: dict[str, str], api_version: str, custom_field_count: int
) -> tuple[str | None, ...]:
    """headers[k] names the field of the (k+1)-th value; None leaves the column unread."""
    numbered = _numbered_headers(params)
    if not numbered:
        raise InvalidRequest(m.NO_HEADERS)
    _check_gaps(numbered)
    valid = _valid_fields(api_version, custom_field_count)
    headers: list[str | None] = [None] * max(numbered)
    named_by: dict[str, str] = {}
    named_numbers: dict[str, int] = {}
    for number in sorted(numbered):
        name = f"profiles_header_{number}"
        field = _header_field(name, number, numbered[number], valid)
        if field in named_by:
            other = named_by[field]
            raise InvalidRequest.worded(
                m.FIELD_TWICE,
                name=name,
                value=numbered[number],
                other=other,
                number=number,
                other_number=named_numbers[other],
            )
        named_by[field] = name
        named_numbers[name] = number
        headers[number - 1] = field
    return tuple(headers)


def _numbered_headers(params: dict[str, str]) -> dict[int, str]:
    numbered: dict[int, str] = {}
    for key, value in params.items():
        match = HEADER_PARAMETER.match(key)
        if not match or not value.strip():
            continue
        if not match.group(1).isascii():  # \d also matches other scripts' digits (١)
            raise InvalidRequest.worded(m.HEADER_NUMBER_NOT_ASCII, name=m.shown(key))
        number = bounded_number(match.group(1), low=1, high=MAX_HEADER_NUMBER)
        if number is None:
            raise InvalidRequest.worded(
                m.HEADER_NUMBER_TOO_HIGH, name=m.shown(key), limit=MAX_HEADER_NUMBER
            )
        if number in numbered:
            raise InvalidRequest(m.HEADER_NUMBER_TWICE.format(number=number))
        numbered[number] = value.strip()
    return numbered


def _check_gaps(numbered: dict[int, str]) -> None:
    for number in range(1, max(numbered)):
        if number not in numbered and number + 1 not in numbered:
            raise InvalidRequest.worded(m.HEADER_GAP, first=number, second=number + 1)


def _valid_fields(api_version: str, custom_field_count: int) -> dict[str, str]:
    """Lowercased header name -> field, for this version and account."""
    valid = {name.lower(): attribute for name, attribute in HEADER_FIELDS.items()}
    if api_version == "1.5":
        for n in range(1, custom_field_count + 1):
            valid[f"custom_field_{n}"] = f"custom_field_{n}"
    return valid


def _header_field(name: str, number: int, value: str, valid: dict[str, str]) -> str:
    field = valid.get(value.lower())
    if field is not None:
        return field
    shown = m.shown(value)
    labels = {key: FIELD_LABELS.get(field, key) for key, field in valid.items()}
    suggestion = closest_names(value.lower(), labels)
    if suggestion:
        raise InvalidRequest.worded(
            m.UNKNOWN_FIELD_SUGGESTION,
            name=name,
            value=shown,
            suggestion=suggestion,
            number=number,
        )
    raise InvalidRequest.worded(m.UNKNOWN_FIELD, name=name, value=shown, number=number)


# A typed name this short is a word's start ("nam") too often to suggest by it.
SHORTEST_WORD_START = 3
MOST_SUGGESTED = 3


def closest_names(typed: str, names: dict[str, str]) -> str:
    """What a misspelt field name most likely means, as "first_name" or "first_name or
    last_name", or "" when nothing is close: the closest of `names`' keys (compared as
    `typed` is: lowercased, or the admin's header_key) by difflib, else every name (the
    dict's values) one of whose words starts with `typed` ("nam": first_name, last_name).
    The one suggestion of the API's headers and of the admin's header row
    (customers/file_headers.py)."""
    close = difflib.get_close_matches(typed, list(names), n=1, cutoff=0.6)
    if close:
        return names[close[0]]
    if len(typed) < SHORTEST_WORD_START:
        return ""
    starting = [
        name
        for name in dict.fromkeys(names.values())
        if any(word.startswith(typed) for word in name.lower().split("_"))
    ]
    return " or ".join(starting) if len(starting) <= MOST_SUGGESTED else ""
