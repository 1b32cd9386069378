"""Every message the batch import can answer with, in one place: the tests import them."""

# Request-level errors (nothing is done).
UNKNOWN_API_VERSION = "API must be 1.0 or 1.5, got {value}."
MISSING_PARAMETER = "{name} is required."
BAD_DELIMITER = "delimiter must be pipe, comma or tab, got {value}."
BAD_OVERWRITE = "overwrite_duplicates must be yes, update or ignore, got {value}."
BAD_YES_FLAG = "{name} must be yes or no (or left out; either in any case), got {value}."
BAD_CARD_NUMBER_DIGITS = (
    "card_number_generate must be a number of digits from 4 to 32, got {value}."
)
BAD_REQUEST_ID = (
    "request_id must be 1 to 128 printable ASCII characters, without spaces, got {value}."
)
NO_HEADERS = "At least one profiles_header_N is required (profiles_header_1=code, ...)."
HEADER_NUMBER_TOO_HIGH = "{name}: header numbers start at 1 and go up to {limit:,}."
HEADER_NUMBER_NOT_ASCII = "{name}: write the header number with the digits 0-9."
HEADER_NUMBER_TWICE = "profiles_header_{number} is given more than once."
HEADER_GAP = (
    "profiles_header_{first} and profiles_header_{second} are both missing: "
    "number the headers from 1 and do not skip more than one."
)
UNKNOWN_FIELD = "{name}: unknown field {value}."
UNKNOWN_FIELD_SUGGESTION = "{name}: unknown field {value}; did you mean {suggestion}?"
FIELD_TWICE = "{name}: field {value} is already named by {other}."
TOO_MANY_CAMPAIGNS = (
    "campaigns_to_include names {count:,} campaigns; at most {limit:,} are accepted in one request."
)
UNKNOWN_CAMPAIGNS = "Unknown or inactive campaigns for this account: {ids}. Nothing was imported."
# The same, when an id holds the other API version's separator (an integrator's report).
UNKNOWN_SEPARATED_CAMPAIGNS = (
    "Unknown or inactive campaigns for this account: {ids}. Nothing was imported. "
    "campaigns_to_include separates campaign ids with |,| under API 1.0 and with a comma "
    "under API=1.5."
)
TOO_MANY_LINES = "Profiles_Data has more than {limit:,} lines; split the batch."
TOO_MANY_BLANK_LINES = (
    "Profiles_Data has more than {limit:,} blank lines; remove them, or split the batch."
)

# Line errors (the line is skipped; the others go on unless all_or_nothing is set).
UNREADABLE_LINE = "the line cannot be read: {reason}"
QUOTE_NOT_CLOSED = (
    'a value opened with " on this line is never closed, so the rest of Profiles_Data was '
    'read as part of it: close the quote, or double a quote inside a quoted value ("")'
)
TEXT_AFTER_QUOTE = (
    "a quoted value is followed by more text before the next {delimiter}: put the whole "
    'value in quotes and double the quotes inside it ("")'
)
WRONG_VALUE_COUNT = "the line has {got:,} values, the headers read {expected:,}"
# One value where several are read: the whole line is one value, nearly always because the
# data is separated by another character than `delimiter` names.
ONE_VALUE = (
    "the line has 1 value, the headers read {expected:,}: the delimiter, {delimiter}, is not "
    "in it; is the data separated by another character?"
)
TOO_MANY_VALUES = "the line has more than {limit:,} values; a request has at most {limit:,} headers"
TOO_LONG = "{field} is longer than {limit:,} characters"
CONTROL_CHARACTER = "{field} contains a control character"
# C1 controls that Windows-1252 writes as characters: its bytes 0x80 to 0x9F read as
# ISO-8859-1 (or latin-1) become C1 controls, so the text was most likely sent in the wrong
# charset (integrator's low).
CP1252_READ_AS_LATIN1 = (
    "{field} contains control characters ({characters}) that Windows-1252 writes as "
    "{printed}: the text looks like Windows-1252 (cp1252) sent as ISO-8859-1; send it "
    "with charset=windows-1252 in the Content-Type"
)
NOT_UTF8 = (
    "{field} holds bytes that are not text in the request's encoding (UTF-8 unless its "
    "Content-Type names a charset): send the data as UTF-8"
)
BAD_DATE_FORMAT = "custom_date must be YYYY-MM-DD, got {value}"
BAD_DATE = "custom_date is not a real date: {value}"
BAD_EMAIL = "email does not look like an email address: {value}"
CODE_AND_CARD_DISAGREE = (
    "code {code} and card_number {card_number} belong to two different customers"
)
CARD_NUMBER_TAKEN = "card_number {card_number} is already held by another customer"
USERNAME_TAKEN = "customer_username {value} is already used by another customer"
NO_FREE_CARD_NUMBER = "no unused {digits}-digit card number is left to generate"
BAD_CREDIT = "auto_add {value} does not fit campaign {campaign}: {reason}"

# How values are shown in messages: cut, so a hostile 100 kB value does not come back whole.
SHOWN_VALUE_LIMIT = 40


def shown(value: str) -> str:
    """A value as quoted in a message, cut to SHOWN_VALUE_LIMIT characters."""
    if len(value) > SHOWN_VALUE_LIMIT:
        return value[:SHOWN_VALUE_LIMIT] + "…"
    return value
