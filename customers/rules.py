"""Every rule a customer's value must meet, defined once: the import engine (the API, the
command line and the admin's import, customers/batch/rows.py) and the admin's customer
form (customers/forms.py) both check values with these, so what one accepts the other
accepts and an exported customer always imports back.

A value reaches a rule trimmed (customers/values.py) and already checked for control
characters and its length (`max_length`, from the model). The other rules of a stored
customer are the model's own: a unique code, card number and username per account
(its constraints, which the form validates and the engine's plan respects).
"""

import datetime
import re
from collections.abc import Callable

from .batch import messages as m
from .columns import MAX_LENGTHS
from .models import CUSTOM_FIELD_MAX_LENGTH

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class ValueRefused(Exception):
    """A value breaks a rule; `message` names the field as the API's headers do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def max_length(field: str) -> int:
    """The longest value of a line's field: the model's max_length, or API 1.5's
    CUSTOM_FIELD_MAX_LENGTH for a custom_field_N."""
    return MAX_LENGTHS.get(field, CUSTOM_FIELD_MAX_LENGTH)


def email(value: str) -> str:
    """Blank, or something@domain.tld without white space."""
    if value and not EMAIL.match(value):
        raise ValueRefused(m.BAD_EMAIL.format(value=m.shown(value)))
    return value


def custom_date(value: str) -> datetime.date | None:
    """Blank (None), or exactly YYYY-MM-DD and a real date."""
    if not value:
        return None
    if not ISO_DATE.match(value):
        raise ValueRefused(m.BAD_DATE_FORMAT.format(value=m.shown(value)))
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueRefused(m.BAD_DATE.format(value=m.shown(value))) from None


def not_in_future(date: datetime.date | None, *, today: datetime.date, typed: str = "") -> None:
    """ValueRefused if `date` is after `today`: no birthday is. The customer form
    checks it for a date typed in; an import does not, since the contract takes every real
    YYYY-MM-DD date (custom_date may be another date than a birthday: docs/decisions.md).
    The message quotes `typed`, the date as the person typed it (15/07/2031), if given: a
    shop owner read their date back rearranged as 2031-07-15."""
    if date is not None and date > today:
        raise ValueRefused(
            FUTURE_DATE.format(value=typed or date.isoformat(), today=_day_said(today))
        )


FUTURE_DATE = '"{value}" is after today ({today}); a birthday cannot be in the future.'


def _day_said(day: datetime.date) -> str:
    """ "3 December 2026": read the same whatever order the dates are typed in."""
    return f"{day.day} {day:%B %Y}"


# The fields with a rule of their own beyond length and control characters: the value
# as stored, or ValueRefused.
VALUE_RULES: dict[str, Callable[[str], object]] = {
    "email": email,
    "custom_date": custom_date,
}
