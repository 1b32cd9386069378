"""What an `auto_add` value means for a campaign: an amount in the campaign's unit."""

import re
from dataclasses import dataclass
from decimal import Decimal

from .models import Campaign

# The largest credit one line may give: far above any real sign-up bonus, and well inside
# the ledger's 14 digits.
MAX_CREDIT = Decimal("1000000000")

WHOLE_NUMBER = "it must be a whole number, 0 or more (0 credits nothing)"
MONEY = "it must be an amount, 0 or more (0 credits nothing), with at most 2 decimals"
WHOLE_NUMBER_PATTERN = re.compile(r"^[0-9]{1,10}$")
MONEY_PATTERN = re.compile(r"^[0-9]{1,10}(\.[0-9]{1,2})?$")
NOT_AN_ITEM = "it must name one of the campaign's items ({items})"


class CreditError(ValueError):
    """The value does not fit the campaign's unit; the message says why."""


@dataclass(frozen=True)
class Credit:
    amount: Decimal
    item_id: int | None = None


def parse_credit(campaign: Campaign, value: str) -> Credit | None:
    """The credit `value` gives in `campaign`, None for an amount of 0 (nothing to credit:
    a sync script that always sends auto_add gives 0 to most customers, who must still be
    imported), or CreditError."""
    if campaign.type == Campaign.Type.BUYX:
        return _buyx_credit(campaign, value)
    if campaign.type in (Campaign.Type.GIFTCARD, Campaign.Type.EARNED):
        amount = _amount(value, places=2, reason=MONEY)
    else:
        amount = _amount(value, places=0, reason=WHOLE_NUMBER)
    return Credit(amount) if amount else None


def _amount(value: str, *, places: int, reason: str) -> Decimal:
    pattern = WHOLE_NUMBER_PATTERN if places == 0 else MONEY_PATTERN
    if not pattern.match(value):
        raise CreditError(reason)
    amount = Decimal(value)
    if amount > MAX_CREDIT:
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
