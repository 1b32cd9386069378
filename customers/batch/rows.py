"""Lines of values -> validated CustomerRows, or the LineErrors of a failing line: one per
field whose value is refused, so staff fix a line once (issue 14)."""

import codecs
from collections.abc import Callable

from campaigns.credits import Credit, CreditError, parse_credit
from campaigns.models import Campaign
from customers.columns import MAX_LENGTHS as COLUMN_MAX_LENGTHS
from customers.hashers import interim_hash
from customers.rules import VALUE_RULES, ValueRefused, max_length
from customers.values import (
    cp1252_read_as_latin1,
    has_control_character,
    has_undecoded_bytes,
    is_plain_text,
)

from . import messages as m
from .params import FIELD_LABELS
from .parse import DELIMITER_NAMES
from .types import BatchRequest, CustomerRow, LineError

# The value rules are customers/rules.py's, shared with the admin's customer form; auto_add
# is a credit, not a value of the customer.
AUTO_ADD_MAX_LENGTH = 100
# The longest value of each field a line may hold (custom_field_N: rules.max_length).
MAX_LENGTHS = {**COLUMN_MAX_LENGTHS, "auto_add": AUTO_ADD_MAX_LENGTH}


class LineRejected(Exception):
    def __init__(self, field: str | None, message: str):
        self.field = field
        self.message = message


class RowCleaner:
    """Checks lines against the request's headers; one instance per import."""

    def __init__(self, request: BatchRequest, credit_campaign: Campaign):
        self.expected = len(request.headers)
        self.delimiter_name = DELIMITER_NAMES.get(request.delimiter, request.delimiter)
        self.credit_campaign = credit_campaign
        self.latin1 = _is_latin1(request.charset)
        # (index, field, length limit, cleaner or None for plain text): the length check is
        # inlined, since it runs for every value of every line.
        self.columns = [
            (index, field, _max_length(field), self._cleaner(field))
            for index, field in enumerate(request.headers)
            if field is not None
        ]

    def clean(self, line: int, values: list[str]) -> CustomerRow | list[LineError]:
        """The line's row, or its errors in column order: one for a line with the wrong
        number of values, else one per refused value."""
        if len(values) != self.expected:
            return [LineError(line, None, self._wrong_count(len(values)))]
        cleaned: dict = {}
        try:
            # One search of the whole line; only a line that has a control character or
            # an undecoded byte somewhere is searched field by field, to name the field.
            if not is_plain_text("".join(values)):
                for index, field, _, _ in self.columns:
                    _refuse_control_characters(field, values[index], latin1=self.latin1)
            for index, field, limit, cleaner in self.columns:
                value = values[index]
                if len(value) > limit:
                    raise LineRejected(
                        _label(field), m.TOO_LONG.format(field=_label(field), limit=limit)
                    )
                cleaned[field] = value if cleaner is None else cleaner(value)
        except (LineRejected, ValueRefused):
            # The clean path above stops at the first refusal; only a failing line is
            # checked again value by value, to name every refused value.
            return self._errors(line, values)
        return CustomerRow(
            line=line,
            values=cleaned,
            code=cleaned.pop("code", None),
            card_number=cleaned.pop("card_number", None),
            credit=cleaned.pop("auto_add", None),
        )

    def _errors(self, line: int, values: list[str]) -> list[LineError]:
        """Every refused value of a line of the right width, one error per field."""
        errors = []
        for index, field, limit, cleaner in self.columns:
            value = values[index]
            try:
                _refuse_control_characters(field, value, latin1=self.latin1)
                if len(value) > limit:
                    raise LineRejected(
                        _label(field), m.TOO_LONG.format(field=_label(field), limit=limit)
                    )
                if cleaner is not None:
                    cleaner(value)
            except LineRejected as rejected:
                errors.append(LineError(line, rejected.field, rejected.message))
            except ValueRefused as refused:
                errors.append(LineError(line, field, refused.message))
        return errors

    def _wrong_count(self, got: int) -> str:
        if got == 1:
            return m.ONE_VALUE.format(expected=self.expected, delimiter=self.delimiter_name)
        return m.WRONG_VALUE_COUNT.format(got=got, expected=self.expected)

    def _cleaner(self, field: str) -> Callable[[str], object] | None:
        """The cleaner of a value whose length is checked already (a rule of
        customers/rules.py, or how the engine stores it); None: keep it as it is."""
        special = {
            **VALUE_RULES,
            "code": _blank_is_none,
            "card_number": _blank_is_none,
            "customer_username": _blank_is_none,
            "customer_password": _secret,
            "customer_pin": _secret,
            "auto_add": self._credit,
        }
        return special.get(field)

    def _credit(self, value: str) -> Credit | None:
        if not value:
            return None
        try:
            return parse_credit(self.credit_campaign, value)
        except CreditError as exc:
            campaign_id = self.credit_campaign.campaign_id
            message = m.BAD_CREDIT.format(value=m.shown(value), campaign=campaign_id, reason=exc)
            raise LineRejected("auto_add", message) from None


def _is_latin1(charset: str | None) -> bool:
    try:
        return charset is not None and codecs.lookup(charset).name == "iso8859-1"
    except LookupError:
        return False


def _max_length(field: str) -> int:
    return AUTO_ADD_MAX_LENGTH if field == "auto_add" else max_length(field)


def _label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


def _refuse_control_characters(field: str, value: str, *, latin1: bool) -> None:
    """LineRejected for undecoded bytes or a control character in `value`; for text read as
    ISO-8859-1 (`latin1`) whose controls Windows-1252 would print, saying so."""
    if has_undecoded_bytes(value):
        raise LineRejected(_label(field), m.NOT_UTF8.format(field=_label(field)))
    if not has_control_character(value):
        return
    misread = cp1252_read_as_latin1(value) if latin1 else ""
    if misread:
        raise LineRejected(
            _label(field),
            m.CP1252_READ_AS_LATIN1.format(
                field=_label(field),
                characters=", ".join(f"U+{ord(c):04X}" for c in misread),
                printed=" ".join(misread.encode("latin-1").decode("cp1252")),
            ),
        )
    raise LineRejected(_label(field), m.CONTROL_CHARACTER.format(field=_label(field)))


def _blank_is_none(value: str) -> str | None:
    """code and card_number (blank means absent, never "clear") and customer_username
    (stored NULL when blank, so the unique constraint ignores it)."""
    return value or None


def _secret(value: str) -> str:
    return interim_hash(value) if value else ""
