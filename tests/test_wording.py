"""Counts in the sentences staff read: "1 customer", "2,345 customers", never "customer(s)"
(a shop owner's report)."""

import pytest

from core.wording import say
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
        "the details they had before it, 0 enrollments and 2 transactions removed."
    )


def test_no_sentence_staff_read_says_s_in_brackets():
    texts = [value for value in vars(words).values() if isinstance(value, str)]

    assert [text for text in texts if "(s)" in text] == []
