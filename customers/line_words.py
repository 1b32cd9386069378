"""The engine's line errors as shop staff read them in the admin's import preview.

The engine names a line's field as the API's headers do (`custom_date must be
YYYY-MM-DD, got 31/12/2024`), which is what integrators read. Staff read their file: a
column by its number and its header text, and a date failing because the file writes
dates in another order than the one chosen says which one to choose. Each message is
recognised from the engine's own template (customers/batch/messages.py), so the engine's
wording stays the contract's and this module only re-says it.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Mapping

from .batch import messages as m
from .batch.types import LineError
from .date_orders import DATE_ORDER_LABELS, DateOrder, is_shaped, looks_like, read_date
from .file_headers import FileHeaders

DATE_CHOICE = "Dates in the file"
# A value from the file or the form is quoted ("not-a-date"), as the labels to choose are;
# identifiers after their noun (card number 5001, code C1) are not.
DATE_OTHER_ORDER = (
    '{column}: "{value}" is not a date written {chosen}, the order chosen for this import; '
    'it reads as {orders}: choose "{label}" under "{choice}" and upload the file again.'
)
DATE_OTHER_ORDERS = (
    '{column}: "{value}" is not a date written {chosen}, the order chosen for this import; '
    'it reads as {orders}: choose the one your file uses under "{choice}" and upload the '
    "file again."
)
DATE_NOT_REAL = '{column}: "{value}" is not a real date.'
DATE_UNREADABLE = (
    '{column}: "{value}" is not a date written {chosen} (the order chosen for this import), '
    "nor in another order an import reads."
)
DATE_DASHES = '{column}: "{value}" must be written with dashes, like 2024-12-31.'
# A date whose year has two digits (14/07/80): which century is not for the import to guess.
DATE_SHORT_YEAR = (
    '{column}: "{value}" has a year of two digits; write the year with four (14/07/1980, '
    "not 14/07/80) and upload the file again."
)
FORM_DATE_SHORT_YEAR = (
    '"{value}" has a year of two digits: write the year with four. ' + "{form_date}."
)
# Day, month and year of one or two digits each, the year last or first: 14/07/80, 80-07-14.
SHORT_YEAR = re.compile(r"[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2}")
# The customer form's date, which is written as the contract and the export write it.
FORM_DATE = "Write the date year-month-day, like 2024-12-31"
FORM_DATE_OTHER_ORDER = FORM_DATE + ': "{value}" reads as {order}, so write it {written}.'
FORM_DATE_OTHER_ORDERS = (
    FORM_DATE + ': "{value}" reads as {orders}, so write it {written}, for the one you mean.'
)
FORM_DATE_NOT_REAL = '"{value}" is not a real date. ' + FORM_DATE + "."
FORM_DATE_UNREADABLE = '"{value}" is not a date. ' + FORM_DATE + "."
CONTROL_CHARACTER_WORDS = (
    "{column}, holds a control character (an invisible character, such as a tab or a "
    "line break code, pasted from another program): delete it."
)
# Engine template -> the same in shop words, where {column} is "column 3, Birthday".
WORDS = {
    m.TOO_LONG: "{column}, is longer than {limit} characters.",
    m.CONTROL_CHARACTER: CONTROL_CHARACTER_WORDS,
    # The admin reads a file's encoding itself: its staff choose no charset.
    m.CP1252_READ_AS_LATIN1: CONTROL_CHARACTER_WORDS,
    m.BAD_EMAIL: '{column}: "{value}" does not look like an email address.',
    m.CARD_NUMBER_TAKEN: "{column}: card number {card_number} is already another customer's.",
    m.CODE_AND_CARD_DISAGREE: (
        "{column}: card number {card_number} belongs to another customer than code {code}."
    ),
    m.USERNAME_TAKEN: '{column}: "{value}" is already another customer\'s username.',
    m.BAD_CREDIT: '{column}: "{value}" does not fit campaign {campaign}: {reason}.',
}
# Errors of a line as a whole, said with the file's words.
WHOLE_LINE_WORDS = {
    m.WRONG_VALUE_COUNT: (
        "The line has {got} values, but the header row has {expected} columns: a value "
        "holding the separator needs quotes around it."
    ),
    m.ONE_VALUE: (
        "The line has 1 value, but the header row has {expected} columns: the separator, "
        "{delimiter}, is not in it; is the file separated by another character?"
    ),
}
_DATE_TEMPLATES = (m.BAD_DATE_FORMAT, m.BAD_DATE)


def _pattern(template: str) -> re.Pattern[str]:
    """A regex that matches the messages `template` formats, its fields as named groups."""
    escaped = re.escape(template)
    return re.compile(
        r"^" + re.sub(r"\\\{(\w+)(?::[^}]*)?\\\}", r"(?P<\1>.*?)", escaped) + r"$", re.S
    )


_PATTERNS = {
    template: _pattern(template) for template in (*WORDS, *WHOLE_LINE_WORDS, *_DATE_TEMPLATES)
}


def in_shop_words(
    error: LineError,
    headers: FileHeaders,
    order: DateOrder,
    *,
    campaign_names: Mapping[str, str] | None = None,
    numbered: bool = True,
) -> LineError:
    """`error` with its field as the file's column ("column 3, Birthday") and its message
    in the file's words, a campaign by its name in `campaign_names` (by campaign id); an
    error of no column, or one not re-said here, is kept. Not `numbered`, the column is
    its header text alone ("Birthday"): the failed-lines file's columns are not numbered
    as the imported file's (docs/decisions.md)."""
    column = headers.column_words(error.field) if numbered else headers.column_text(error.field)
    for template, pattern in _PATTERNS.items():
        match = pattern.match(error.message)
        if match is None:
            continue
        details = match.groupdict()
        if template in WHOLE_LINE_WORDS:
            return dataclasses.replace(error, message=WHOLE_LINE_WORDS[template].format(**details))
        if column is None:
            break
        if template in _DATE_TEMPLATES:
            message = date_words(details["value"], order, column=column)
        else:
            if "campaign" in details and campaign_names:
                details["campaign"] = campaign_names.get(details["campaign"], details["campaign"])
            message = WORDS[template].format(column=column, **details)
        return dataclasses.replace(error, field=column, message=message[0].upper() + message[1:])
    if column is None:
        return error
    return dataclasses.replace(error, field=column)


def credit_as_written(worded: LineError, error: LineError, *, read: str, written: str) -> LineError:
    """`worded` quoting the credit as the file writes it ("12,50"), not as the import read
    it (`read`, "12.50"), when `error` is about a credit the import read otherwise."""
    if error.field != "auto_add" or written == read:
        return worded
    return dataclasses.replace(
        worded, message=worded.message.replace(f'"{m.shown(read)}"', f'"{m.shown(written)}"', 1)
    )


def date_words(value: str, order: DateOrder, *, column: str) -> str:
    """Why `value` is no date of `order`, and which order to choose if it is one of another."""
    chosen = _short(order)
    others = [other for other in looks_like(value) if other is not order]
    if order in looks_like(value):
        return DATE_DASHES.format(column=column, value=value)
    if len(others) == 1:
        return DATE_OTHER_ORDER.format(
            column=column,
            value=value,
            chosen=chosen,
            orders=_short(others[0]),
            label=DATE_ORDER_LABELS[others[0]],
            choice=DATE_CHOICE,
        )
    if others:
        return DATE_OTHER_ORDERS.format(
            column=column,
            value=value,
            chosen=chosen,
            orders=" or ".join(_short(other) for other in others),
            choice=DATE_CHOICE,
        )
    if any(is_shaped(value, other) for other in DateOrder):
        return DATE_NOT_REAL.format(column=column, value=value)
    if SHORT_YEAR.fullmatch(value.strip()):
        return DATE_SHORT_YEAR.format(column=column, value=value)
    return DATE_UNREADABLE.format(column=column, value=value, chosen=chosen)


def form_date_words(value: str) -> str:
    """Why the customer form refuses `value` as its date, and how to write it: the date
    each order reads it as, written year-month-day."""
    shown = m.shown(value)
    orders = [order for order in looks_like(value) if order is not DateOrder.YMD]
    written = {order: read_date(value, order) for order in orders}
    if len(orders) == 1:
        (order,) = orders
        return FORM_DATE_OTHER_ORDER.format(
            value=shown, order=_short(order), written=_iso(written[order])
        )
    if orders:
        return FORM_DATE_OTHER_ORDERS.format(
            value=shown,
            orders=" or ".join(_short(order) for order in orders),
            written=" or ".join(_iso(written[order]) for order in orders),
        )
    if any(is_shaped(value, order) for order in DateOrder):
        return FORM_DATE_NOT_REAL.format(value=shown)
    if SHORT_YEAR.fullmatch(value.strip()):
        return FORM_DATE_SHORT_YEAR.format(value=shown, form_date=FORM_DATE)
    return FORM_DATE_UNREADABLE.format(value=shown)


def _iso(date: datetime.date | None) -> str:
    return date.isoformat() if date else ""


def date_hint(errors: list[LineError], order: DateOrder) -> str:
    """One sentence for the preview's top when every failing date that reads in another
    order reads in one same order (31/12/2024 and 1/2/2024: day/month/year): which to
    choose. '' otherwise. `errors` are the engine's."""
    fitting: set[DateOrder] | None = None
    pattern = _PATTERNS[m.BAD_DATE_FORMAT]
    for error in errors:
        match = pattern.match(error.message)
        if match is None:
            continue
        others = {o for o in looks_like(match["value"]) if o is not order}
        if others:
            fitting = others if fitting is None else fitting & others
    if fitting is None or len(fitting) != 1:
        return ""
    (other,) = fitting
    return DATE_HINT.format(
        chosen=_short(order),
        orders=_short(other),
        label=DATE_ORDER_LABELS[other],
        choice=DATE_CHOICE,
    )


DATE_HINT = (
    'Dates fail because the file writes them {orders}, not {chosen}: choose "{label}" under '
    '"{choice}" and upload the file again.'
)


def _short(order: DateOrder) -> str:
    """ "day/month/year": the label without its example."""
    return DATE_ORDER_LABELS[order].split(" (")[0].lower()


# An engine's refusal of a value -> how the customer form says it, under the field it names.
FORM_WORDS = {m.BAD_EMAIL: '"{value}" does not look like an email address.'}


def form_words(message: str, value: str) -> str:
    """`message`, a rule's refusal of `value` in the API's words ("email does not look like
    an email address: x"), as the customer form says it under the field (shop owner, ninth
    run: the API's field name began the form's sentence); any other message as it is."""
    shown = m.shown(value)
    for template, words in FORM_WORDS.items():
        if message == template.format(value=shown):
            return words.format(value=shown)
    return message
