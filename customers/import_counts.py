"""An import's counts as shop staff read them: one wording for the preview, the message
after confirming, a background import's page and the undo state's pages.

The engine's `updated` is the contract's count (the API's answer, the UndoState row):
every line that matched a customer already here. Staff read it in two: Updated, the
lines that changed their customer, and Unchanged, the lines whose values the customer
already had (they are still enrolled and credited; the engine counts them as
ImportResult.unchanged, kept as UndoState.unchanged).

A code on several lines of one file creates its customer on the first line; the contract
counts the later lines as matched (updated, or ignored under ignore), as if the lines were
sent one by one, and the API's answer keeps that count. Staff read "Updated" or "Ignored"
as a customer already here, which that customer was not: the admin counts those lines
apart, as Repeated (ImportResult.repeated, kept as UndoState.repeated), so the customer is
counted once, as New (issue 14, M3).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol

from campaigns.selectors import credits_given
from core.wording import say

# The counts in the order every page says them, with their labels.
LABELS = {
    "new": "New",
    "updated": "Updated",
    "unchanged": "Unchanged",
    "ignored": "Ignored",
    "failed": "Failed",
    "repeated": "Repeated",
}
COUNTS_HELP = (
    "Updated: customers already here whose values the file changed. Unchanged: customers "
    "already here whose values the file repeats as they are (they are still enrolled and "
    "credited)."
)
# Said only when some lines repeat the code of a customer an earlier line creates.
REPEATED_HELP = (
    " Repeated: lines with the code of a customer an earlier line of the file creates; the "
    "customer is counted once, as New, and each such line writes it again (or is skipped "
    "when customers already here are skipped)."
)
REPEATED_SAID = ", {repeated:,} repeated"
COUNTS_SAID = (
    "{new:,} new, {updated:,} updated, {unchanged:,} unchanged, {ignored:,} ignored, "
    "{failed:,} failed"
)
# A customer the file repeats as they are is Unchanged, yet may have been credited (shop
# owner, ninth run: "1 unchanged" for a file that gave 50 points): the messages after an
# import, in the request or as a background job, say the credits after the counts.
CREDITS_GIVEN = " {given:credit} given."
# An import recorded before its unchanged lines were counted (UndoState.unchanged NULL).
NOT_COUNTED = "not counted"
COUNTS_SAID_UNCOUNTED = "{new:,} new, {updated:,} updated, {ignored:,} ignored, {failed:,} failed"


class Counted(Protocol):
    """An ImportResult or an UndoState: the engine's counts."""

    new: int
    updated: int
    ignored: int
    failed: int

    @property
    def unchanged(self) -> int | None: ...

    repeated: int


@dataclass(frozen=True)
class ShopCounts:
    new: int
    # The lines that changed a customer already here (the contract's updated - unchanged).
    updated: int
    # None: not known (an undo state recorded before they were counted).
    unchanged: int | None
    ignored: int
    failed: int
    # Lines repeating the code of a customer an earlier line created: said only when some.
    repeated: int = 0

    def said(self) -> str:
        """ "1 new, 11 updated, 2 unchanged, 0 ignored, 0 failed" (", 1 repeated")."""
        template = COUNTS_SAID_UNCOUNTED if self.unchanged is None else COUNTS_SAID
        said = template.format(**asdict(self))
        return said + REPEATED_SAID.format(repeated=self.repeated) if self.repeated else said

    def rows(self) -> list[tuple[str, int | str]]:
        """(label, count) for each count, as a table shows them (Repeated only when some)."""
        return [
            (label, NOT_COUNTED if value is None else value)
            for key, label, value in zip(
                LABELS, LABELS.values(), asdict(self).values(), strict=True
            )
            if key != "repeated" or value
        ]

    def help(self) -> str:
        """What the counts mean, as the preview says it under them."""
        return COUNTS_HELP + (REPEATED_HELP if self.repeated else "")


def shop_counts(counted: Counted) -> ShopCounts:
    """The engine's counts of an import (its result or its undo state) in shop words."""
    return shop_counts_of(
        new=counted.new,
        updated=counted.updated,
        unchanged=counted.unchanged,
        ignored=counted.ignored,
        failed=counted.failed,
        repeated=counted.repeated,
    )


def shop_counts_of(
    *,
    new: int,
    updated: int,
    unchanged: int | None,
    ignored: int,
    failed: int,
    repeated: int = 0,
) -> ShopCounts:
    """The engine's counts (`updated` the contract's, `unchanged` None when not known) in
    shop words: Updated without the Unchanged and the Repeated lines, Ignored without the
    Repeated ones."""
    # The repeated lines are all of `ignored` under ignore, where nothing is updated, and
    # all of `updated` under update and yes, where nothing is ignored.
    of_ignored = repeated if ignored else 0
    return ShopCounts(
        new=new,
        updated=updated - (unchanged or 0) - (repeated - of_ignored),
        unchanged=unchanged,
        ignored=ignored - of_ignored,
        failed=failed,
        repeated=repeated,
    )


def credits_said(undo_state_id: int | None) -> str:
    """CREDITS_GIVEN for the credits the import of `undo_state_id` gave, or '' (none, or
    no undo state). One query."""
    if undo_state_id is None:
        return ""
    given = credits_given(undo_state_id=undo_state_id).count()
    return say(CREDITS_GIVEN, given=given) if given else ""
