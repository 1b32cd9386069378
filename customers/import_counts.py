"""An import's counts as shop staff read them: one wording for the preview, the message
after confirming, a background import's page and the undo state's pages.

The engine's `updated` is the contract's count (the API's answer, the UndoState row):
every line that matched a customer already here. Staff read it in two: Updated, the
lines that changed their customer, and Unchanged, the lines whose values the customer
already had (they are still enrolled and credited; the engine counts them as
ImportResult.unchanged, kept as UndoState.unchanged).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol

# The counts in the order every page says them, with their labels.
LABELS = {
    "new": "New",
    "updated": "Updated",
    "unchanged": "Unchanged",
    "ignored": "Ignored",
    "failed": "Failed",
}
COUNTS_HELP = (
    "Updated: customers already here whose values the file changed. Unchanged: customers "
    "already here whose values the file repeats as they are (they are still enrolled and "
    "credited)."
)
COUNTS_SAID = (
    "{new:,} new, {updated:,} updated, {unchanged:,} unchanged, {ignored:,} ignored, "
    "{failed:,} failed"
)
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


@dataclass(frozen=True)
class ShopCounts:
    new: int
    # The lines that changed a customer already here (the contract's updated - unchanged).
    updated: int
    # None: not known (an undo state recorded before they were counted).
    unchanged: int | None
    ignored: int
    failed: int

    def said(self) -> str:
        """ "1 new, 11 updated, 2 unchanged, 0 ignored, 0 failed"."""
        if self.unchanged is None:
            return COUNTS_SAID_UNCOUNTED.format(**asdict(self))
        return COUNTS_SAID.format(**asdict(self))

    def rows(self) -> list[tuple[str, int | str]]:
        """(label, count) for each count, as a table shows them."""
        return [
            (label, NOT_COUNTED if value is None else value)
            for label, value in zip(LABELS.values(), asdict(self).values(), strict=True)
        ]


def shop_counts(counted: Counted) -> ShopCounts:
    """The engine's counts of an import (its result or its undo state) in shop words."""
    return shop_counts_of(
        new=counted.new,
        updated=counted.updated,
        unchanged=counted.unchanged,
        ignored=counted.ignored,
        failed=counted.failed,
    )


def shop_counts_of(
    *, new: int, updated: int, unchanged: int | None, ignored: int, failed: int
) -> ShopCounts:
    """The engine's counts (`updated` the contract's, `unchanged` None when not known) in
    shop words: Updated without the Unchanged lines."""
    return ShopCounts(
        new=new,
        updated=updated - (unchanged or 0),
        unchanged=unchanged,
        ignored=ignored,
        failed=failed,
    )
