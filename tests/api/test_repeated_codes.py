"""A code on several lines of one request: the API counts as the contract says, as if the
lines were sent one by one (the first line new, each later one updated, or ignored under
ignore), and the undo state also records how many later lines repeated a customer the
request created, for the admin to say apart (issue 14, M3; docs/decisions.md)."""

import json

import pytest

from customers.models import UndoState


@pytest.mark.parametrize(
    ("mode", "customers"),
    [
        ("update", {"new": 1, "updated": 2, "ignored": 0, "failed": 0}),
        ("ignore", {"new": 1, "updated": 0, "ignored": 2, "failed": 0}),
    ],
)
def test_lines_repeating_a_new_customers_code_are_counted_as_the_contract_says(
    post_batch, mode, customers
):
    response = post_batch(
        data="C1|Ann\nC1|Annie\nC1|Anne", overwrite_duplicates=mode, output="JSON"
    )

    batch = json.loads(response.content)["batch"]
    assert batch["customers"] == customers
    assert "repeated" not in batch["customers"]
    state = UndoState.objects.get(pk=batch["undo_state"])
    assert (state.new, state.updated, state.ignored, state.repeated) == (
        1,
        customers["updated"],
        customers["ignored"],
        2,
    )
