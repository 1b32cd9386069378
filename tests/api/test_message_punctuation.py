"""Every message the API answers with keeps the punctuation docs/api.md ("Messages")
promises: an envelope's `error` is sentences ending with one full stop (or a question
mark), a line error's message is a clause in lower case without a final full stop; no space
before a punctuation mark. Read from the modules that hold the messages (the tests import
them; the answers carry them as they are), filled with plain values: a value sent is shown
as it was, its punctuation its own."""

from __future__ import annotations

import re
import string
from types import ModuleType

import pytest

import accounts.credentials
import api.authentication
import api.calls
import api.exceptions
import api.negotiation
import api.params
import api.parsers
import api.serializers
import api.views
import campaigns.credits
import customers.batch.messages
import jobs.messages

# The public upper-case string constants with a space in these modules that are no API
# message: the content types, and the admin's titles and status of a job (jobs/messages.py).
NOT_MESSAGES = {
    "FAILED_LINES_TYPE",
    "FAILED_DATA_TYPE",
    "IMPORT_TITLE",
    "API_IMPORT_TITLE",
    "ROLLBACK_TITLE",
    "ROLLED_BACK_STATUS",
}
ENVELOPE_MODULES = (
    api.exceptions,
    api.negotiation,
    api.parsers,
    api.params,
    api.views,
    api.calls,
    api.authentication,
    api.serializers,
    accounts.credentials,
    jobs.messages,
)
# customers/batch/messages.py lists the request errors first, then the line errors from
# UNREADABLE_LINE on.
FIRST_LINE_ERROR = "UNREADABLE_LINE"


class Value:
    """A plain value for any placeholder, whatever its format spec."""

    def __format__(self, spec: str) -> str:
        return "x"


def messages_of(module: ModuleType) -> dict[str, str]:
    return {
        f"{module.__name__}.{name}": value
        for name, value in vars(module).items()
        if name.isupper()
        and not name.startswith("_")
        and isinstance(value, str)
        and " " in value
        and name not in NOT_MESSAGES
    }


def batch_messages() -> tuple[dict[str, str], dict[str, str]]:
    """customers/batch/messages.py's (request errors, line errors)."""
    found = messages_of(customers.batch.messages)
    names = list(found)
    split = names.index(f"{customers.batch.messages.__name__}.{FIRST_LINE_ERROR}")
    return dict(list(found.items())[:split]), dict(list(found.items())[split:])


def filled(template: str) -> str:
    fields = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return template.format(**dict.fromkeys(fields, Value()))


ENVELOPE = {
    name: filled(text) for module in ENVELOPE_MODULES for name, text in messages_of(module).items()
} | {name: filled(text) for name, text in batch_messages()[0].items()}
# A credit's reasons end the line error that says why auto_add does not fit.
LINE = {name: filled(text) for name, text in batch_messages()[1].items()} | {
    name: filled(text) for name, text in messages_of(campaigns.credits).items()
}
# An ellipsis (", ...") may follow a space.
SPACE_BEFORE_PUNCTUATION = re.compile(r"\s([,;:?!]|\.(?!\.\.))")


def test_the_messages_are_found():
    assert "api.exceptions.NOT_FORM_DATA" in ENVELOPE
    assert "jobs.messages.UNKNOWN_JOB" in ENVELOPE
    assert "customers.batch.messages.TOO_MANY_LINES" in ENVELOPE
    assert "customers.batch.messages.BAD_EMAIL" in LINE
    assert "campaigns.credits.WHOLE_NUMBER" in LINE
    assert len(ENVELOPE) > 50 and len(LINE) > 15


@pytest.mark.parametrize("name", sorted(ENVELOPE))
def test_an_envelope_error_is_sentences_ending_with_one_full_stop_or_a_question(name):
    text = ENVELOPE[name]

    assert text[-1] in ".?", text
    assert not text.endswith(".."), text
    assert not SPACE_BEFORE_PUNCTUATION.search(text), text


@pytest.mark.parametrize("name", sorted(LINE))
def test_a_line_error_is_a_lower_case_clause_without_a_final_full_stop(name):
    text = LINE[name]

    assert text[0].islower(), text
    assert text[-1] not in ".;:,", text
    assert not SPACE_BEFORE_PUNCTUATION.search(text), text


# The placeholders that stand for a quantity (a limit, a count); an id or a header's number
# (`profiles_header_{number}`) is no quantity.
QUANTITIES = {"limit", "count", "got", "expected", "failed", "kept"}
TEMPLATES = (
    {name: text for module in ENVELOPE_MODULES for name, text in messages_of(module).items()}
    | batch_messages()[0]
    | batch_messages()[1]
    | messages_of(campaigns.credits)
)


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_a_quantity_a_message_names_has_thousands_separators(name):
    """Integrator: "more than 1000000 lines", where docs/api.md writes 1,000,000."""
    quantities = [
        (field, spec)
        for _, field, spec, _ in string.Formatter().parse(TEMPLATES[name])
        if field in QUANTITIES
    ]

    assert all(spec == "," for _, spec in quantities), (TEMPLATES[name], quantities)
