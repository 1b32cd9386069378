"""Counts in the sentences staff read: "1 customer", "2,345 customers", never "customer(s)"
(a shop owner's report)."""

import re
from pathlib import Path

import pytest

from campaigns.models import Transaction
from core.wording import say, size_said
from customers import rollback_messages as words


@pytest.mark.parametrize(
    ("count", "said"),
    [
        (0, "0 customers this import added were deleted."),
        (1, "1 customer this import added was deleted."),
        (2345, "2,345 customers this import added were deleted."),
    ],
)
def test_a_count_names_its_noun_in_the_number_it_has(count, said):
    assert say(words.DID_DELETE, count=count) == said


def test_an_id_is_not_a_quantity_and_has_no_thousands_separator():
    said = say(words.ROLLED_BACK, pk=12345, deleted=1, restored=1000, enrollments=0, credits=2)

    assert said == (
        "Import 12345 rolled back: 1 customer it added deleted, 1,000 customers given back "
        "the details they had before it, 0 enrollments and 2 credits removed."
    )


def test_no_sentence_staff_read_says_s_in_brackets():
    texts = [value for value in vars(words).values() if isinstance(value, str)]

    assert [text for text in texts if "(s)" in text] == []


def test_no_sentence_staff_read_says_transaction_or_ledger():
    # Shop words: a shop books credits (the shop owner read "transactions" in one place and
    # "credits" in another for the same rows).
    texts = [
        value
        for name, value in vars(words).items()
        if isinstance(value, str) and not name.startswith("__")
    ]
    texts += [str(Transaction._meta.verbose_name), str(Transaction._meta.verbose_name_plural)]
    templates = Path(__file__).parent.parent / "customers" / "templates"
    texts += [path.read_text() for path in templates.rglob("*.html")]

    assert [text for text in texts if re.search(r"transaction|ledger", text, re.I)] == []


@pytest.mark.parametrize(
    ("size", "said"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (999, "999 bytes"),
        (1_500, "1.5 KB"),
        (999_960, "1.0 MB"),
        (300_000_000, "300.0 MB"),
        (2_500_000_000, "2,500.0 MB"),
    ],
)
def test_a_size_never_reads_0_unless_it_is(size, said):
    assert size_said(size) == said
