"""What an `auto_add` value means for a campaign: an amount in the campaign's unit."""

import re
from dataclasses import dataclass
from decimal import Decimal

from .models import Campaign

# The largest credit one line may give: far above any real sign-up bonus, and well inside
# the ledger's 14 digits.
MAX_CREDIT = Decimal("1000000000")

WHOLE_NUMBER = "it must be a whole number greater than 0"
MONEY = "it must be an amount greater than 0 with at most 2 decimals"
WHOLE_NUMBER_PATTERN = re.compile(r"^[0-9]{1,10}$")
MONEY_PATTERN = re.compile(r"^[0-9]{1,10}(\.[0-9]{1,2})?$")
NOT_AN_ITEM = "it must name one of the campaign's items ({items})"


class CreditError(ValueError):
    """The value does not fit the campaign's unit; the message says why."""


@dataclass(frozen=True)
class Credit:
    amount: Decimal
    item_id: int | None = None


def parse_credit(campaign: Campaign, value: str) -> Credit:
    """The credit `value` gives in `campaign`, or CreditError."""
    if campaign.type == Campaign.Type.BUYX:
        return _buyx_credit(campaign, value)
    if campaign.type in (Campaign.Type.GIFTCARD, Campaign.Type.EARNED):
        return Credit(_amount(value, places=2, reason=MONEY))
    return Credit(_amount(value, places=0, reason=WHOLE_NUMBER))


def _amount(value: str, *, places: int, reason: str) -> Decimal:
    pattern = WHOLE_NUMBER_PATTERN if places == 0 else MONEY_PATTERN
    if not pattern.match(value):
        raise CreditError(reason)
    amount = Decimal(value)
    if amount <= 0 or amount > MAX_CREDIT:
        raise CreditError(reason)
    return amount.quantize(Decimal("0.01"))


def _buyx_credit(campaign: Campaign, value: str) -> Credit:
    # Items are prefetched by the caller's selector, so this reads no database per line.
    items = list(campaign.items.all())
    for item in items:
        if value == str(item.pk) or value.casefold() == item.name.casefold():
            return Credit(Decimal(1), item.pk)
    names = ", ".join(item.name for item in items) or "none defined"
    raise CreditError(NOT_AN_ITEM.format(items=names))
