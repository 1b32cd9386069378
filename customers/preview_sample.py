"""What an admin import will change, as its preview shows it before staff confirm: the
first customers it updates (each changed value, now and after), the first it creates, and
what the credit campaign gives them, with the total.

It is taken from the dry run's own plans (the import's on_plan hook,
customers/batch/pipeline.py): no second pass over the file, no query per line, nothing
written. A chunk's plan holds each customer it writes as it was before the chunk and as
the chunk leaves it, so a customer written by several lines shows the last line's values.
Columns are named as the file's header row names them; secrets only say that they change.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from campaigns.models import Campaign
from core.wording import say

from .batch.match import ChunkPlan
from .batch.params import FIELD_LABELS
from .batch.pipeline import ImportProgress
from .batch.types import CustomerRecord
from .columns import CUSTOM_FIELDS, IDENTITIES, RESTORED_COLUMNS, SECRETS
from .file_headers import FileHeaders

# Customers listed at most in each of the preview's lists; the counts say the rest.
SAMPLE_SIZE = 20
EMPTY = "(empty)"
CHANGED = "changed"
SET = "set"
# A code or card number the dry run drew is drawn again on confirming: never shown. Said
# as the shop sees it (a shop owner read "drawn" as a lottery).
DRAWN_ON_CONFIRM = "a new code is made when you confirm"
# Said after a list of SAMPLE_SIZE when there are more.
# The counts are of lines (a customer written by two lines counts twice), so no number of
# customers is said here.
MORE_LISTED = "Only the first {shown} are listed; the counts above include them all."
# Credits in the campaign's unit, by campaign type; the number as Campaign.shown_amount
# writes it everywhere in the admin (money with cents, the others whole).
UNITS = {
    Campaign.Type.POINTS: "{amount} points",
    Campaign.Type.EVENTS: "{amount} visits",
    Campaign.Type.GIFTCARD: "{amount}",
    Campaign.Type.EARNED: "{amount}",
    Campaign.Type.BUYX: "{amount} items",
}
ONE_UNIT = {
    Campaign.Type.POINTS: "1 point",
    Campaign.Type.EVENTS: "1 visit",
    Campaign.Type.BUYX: "1 item",
}
GETS = "gets {what} in {campaign}"
GETS_ITEM = "gets one {item} counted in {campaign}"
CREDIT_TOTAL = "In all: {what} in {campaign}, to {customers:customer}."


@dataclass(frozen=True)
class Change:
    """One value an import changes, in the file's words: `column`, `now`, `after`."""

    column: str
    now: str
    after: str


@dataclass(frozen=True)
class SampledCustomer:
    """A customer of the preview's lists: its code as shown, and its values (for a new
    customer, `now` is empty)."""

    code: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class SampledCredit:
    code: str
    gives: str


class PreviewSample:
    """An on_plan hook that keeps the first SAMPLE_SIZE updated and new customers and
    credits of a dry run, and totals its credits. `code_given(line)` says whether the
    file's line named its code (else the dry run drew one, drawn again on confirming)."""

    def __init__(
        self,
        *,
        headers: FileHeaders,
        campaign: Campaign,
        code_given: Callable[[int], bool],
        size: int = SAMPLE_SIZE,
    ):
        self.columns = _column_words(headers)
        self.campaign = campaign
        self.code_given = code_given
        self.size = size
        # Buy-X credits name an item: one query for the campaign's few items, not per line.
        self.items = (
            {item.pk: item.name for item in campaign.items.all()}
            if campaign.type == Campaign.Type.BUYX
            else {}
        )
        self._start()

    def _start(self) -> None:
        # Code -> (before, after) of updated customers; code -> record of new ones.
        self.updated: dict[str, tuple[CustomerRecord, CustomerRecord]] = {}
        self.new: dict[str, CustomerRecord] = {}
        # Codes of new customers whose code or card number the dry run drew.
        self.drawn: dict[str, tuple[bool, bool]] = {}
        self.credits: list[tuple[str, Decimal, int | None]] = []
        self.credit_count = 0
        self.credit_total = Decimal(0)
        self.credited: set[str] = set()

    def __call__(self, plan: ChunkPlan, progress: ImportProgress) -> None:
        if progress.chunks == 1:
            # The first chunk, or a run started again after a conflict.
            self._start()
        self._take_new(plan)
        self._take_updated(plan)
        self._take_credits(plan)

    def _take_new(self, plan: ChunkPlan) -> None:
        for code in self.new.keys() & plan.inserts.keys():
            self.new[code] = plan.inserts[code]
        if len(self.new) >= self.size:
            return
        drawn = {g.code: g for g in plan.generated}
        for code, record in plan.inserts.items():
            if len(self.new) >= self.size:
                break
            if code not in self.new:
                self.new[code] = record
                if code in drawn:
                    identity = drawn[code]
                    self.drawn[code] = (
                        not self.code_given(identity.line),
                        identity.card_number is not None,
                    )

    def _take_updated(self, plan: ChunkPlan) -> None:
        # A customer an earlier chunk created or updated: its latest values.
        for code in self.new.keys() & plan.updates.keys():
            self.new[code] = plan.updates[code]
        for code in self.updated.keys() & plan.updates.keys():
            self.updated[code] = (self.updated[code][0], plan.updates[code])
        for code, record in plan.updates.items():
            if len(self.updated) >= self.size:
                break
            if code not in self.updated and code not in self.new:
                self.updated[code] = (plan.previous[record["id"]], record)

    def _take_credits(self, plan: ChunkPlan) -> None:
        if not plan.credits:
            return
        self.credit_count += len(plan.credits)
        self.credit_total += sum((credit.amount for _, credit in plan.credits), Decimal(0))
        self.credited.update(code for code, _ in plan.credits)
        room = self.size - len(self.credits)
        for code, credit in plan.credits[: max(room, 0)]:
            self.credits.append((code, credit.amount, credit.item_id))

    def context(self, *, updated: int, new: int) -> dict[str, Any]:
        """The preview page's lists (customers/templates/.../import_preview_sample.html);
        `updated` and `new` are the import's counts, in shop words."""
        return {
            "sample_updated": self.updated_customers(),
            "sample_updated_more": self._more(len(self.updated), updated),
            "sample_new": self.new_customers(),
            "sample_new_more": self._more(len(self.new), new),
            "sample_credits": self.credits_given(),
            "sample_credits_more": self._more(len(self.credits), self.credit_count),
            "credit_total": self.credit_total_said(),
        }

    @staticmethod
    def _more(shown: int, count: int) -> str:
        return MORE_LISTED.format(shown=shown) if count > shown else ""

    def updated_customers(self) -> list[SampledCustomer]:
        """The first updated customers, with every value the import changes."""
        return [
            SampledCustomer(code, tuple(self._changes(before, after)))
            for code, (before, after) in self.updated.items()
        ]

    def new_customers(self) -> list[SampledCustomer]:
        """The first new customers, with every value they are given."""
        return [
            SampledCustomer(self._code(code), tuple(self._values(code, record)))
            for code, record in self.new.items()
        ]

    def credits_given(self) -> list[SampledCredit]:
        return [
            SampledCredit(self._code(code), self._gives(amount, item))
            for code, amount, item in self.credits
        ]

    def credit_total_said(self) -> str:
        """The credits of the whole file, or '' when it gives none."""
        if not self.credit_count:
            return ""
        amount = self.credit_count if self.items else self.credit_total
        return say(
            CREDIT_TOTAL,
            what=amount_said(self.campaign, Decimal(amount)),
            campaign=self.campaign.display_name,
            customers=len(self.credited),
        )

    def _code(self, code: str) -> str:
        code_drawn, _ = self.drawn.get(code, (False, False))
        return f"({DRAWN_ON_CONFIRM})" if code_drawn else code

    def _gives(self, amount: Decimal, item: int | None) -> str:
        campaign = self.campaign.display_name
        if item is not None:
            return GETS_ITEM.format(item=self.items.get(item, item), campaign=campaign)
        return GETS.format(what=amount_said(self.campaign, amount), campaign=campaign)

    def _changes(self, before: CustomerRecord, after: CustomerRecord) -> Iterable[Change]:
        for column, was, becomes in _compared(before, after):
            words = self.columns.get(column, column)
            if column in SECRETS:
                yield Change(words, "", CHANGED)
            else:
                yield Change(words, _shown(was), _shown(becomes))

    def _values(self, code: str, record: CustomerRecord) -> Iterable[Change]:
        _, card_drawn = self.drawn.get(code, (False, False))
        for column, _, value in _compared({}, record):
            words = self.columns.get(column, column)
            if column == "code":
                continue  # the list's first column
            if column in SECRETS:
                yield Change(words, "", SET)
            elif column == "card_number" and card_drawn:
                yield Change(words, "", DRAWN_ON_CONFIRM)
            else:
                yield Change(words, "", _shown(value))


def _compared(before: Any, after: Any) -> Iterable[tuple[str, Any, Any]]:
    """(column, before, after) of every column whose value differs between two
    CustomerRecords (read by the column names of a loop, which a TypedDict's type does not
    allow), custom fields one by one; a column missing from `before` counts as empty."""
    for column in RESTORED_COLUMNS:
        if column == CUSTOM_FIELDS:
            was, becomes = before.get(column) or {}, after[column] or {}
            for name in sorted(was.keys() | becomes.keys()):
                if was.get(name, "") != becomes.get(name, ""):
                    yield name, was.get(name, ""), becomes.get(name, "")
            continue
        was, becomes = before.get(column), after[column]
        if (was or None) != (becomes or None) and not (column in IDENTITIES and not becomes):
            yield column, was, becomes


def _column_words(headers: FileHeaders) -> dict[str, str]:
    """Column -> its header as the file writes it; a column the file lacks keeps the name
    the API and the export give it."""
    attributes = {name: attribute for attribute, name in FIELD_LABELS.items()}
    words = {attribute: name for attribute, name in FIELD_LABELS.items()}
    for text, name in zip(headers.texts, headers.names, strict=False):
        if name:
            words[attributes.get(name, name)] = text.strip()
    return words


def _shown(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def amount_said(campaign: Campaign, amount: Decimal) -> str:
    """An amount in the campaign's unit with its word: "20 points", "1 visit", "5.00"."""
    kind = Campaign.Type(campaign.type)
    if amount == 1 and kind in ONE_UNIT:
        return ONE_UNIT[kind]
    return UNITS[kind].format(amount=campaign.shown_amount(amount))
