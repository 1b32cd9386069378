"""Reads of campaigns, always scoped to an account."""

from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import QuerySet, Sum, prefetch_related_objects

from accounts.models import Account
from core import rawsql

from .models import Campaign, Transaction


def campaigns_by_id(*, account: Account, campaign_ids: list[str]) -> dict[str, Campaign]:
    """The account's campaigns among `campaign_ids`, by campaign id, the items of buy-X
    campaigns prefetched (only those have items: other imports skip the query)."""
    if not campaign_ids:
        return {}
    # Plain SQL: every import asks, and the ORM would take longer than the query.
    places = ", ".join(["%s"] * len(campaign_ids))
    campaigns = rawsql.select(
        Campaign, f"account_id = %s AND campaign_id IN ({places})", [account.pk, *campaign_ids]
    )
    buyx = [campaign for campaign in campaigns if campaign.type == Campaign.Type.BUYX]
    prefetch_related_objects(buyx, "items")
    return {campaign.campaign_id: campaign for campaign in campaigns}


def balances_for(*, account: Account, customer_id: int) -> dict[str, Decimal]:
    """The customer's balance per campaign id: the sum of its ledger entries."""
    rows = (
        Transaction.objects.filter(campaign__account=account, customer_id=customer_id)
        .values("campaign__campaign_id")
        .annotate(balance=Sum("amount"))
    )
    return {row["campaign__campaign_id"]: row["balance"] for row in rows}


def credits_given(**undo_state) -> QuerySet[Transaction]:
    """The credits an import gave (what its rollback removes), of `undo_state=` (or a
    lookup on it, such as `undo_state_id=`)."""
    return Transaction.objects.filter(**undo_state, kind=Transaction.Kind.AUTO_ADD)


def shop_names(campaigns: Iterable[Campaign]) -> dict[int, str]:
    """Each of `campaigns` (by primary key) as shop staff read it: its name (its id when it
    has none), with its id added only where another campaign of its account has the same
    name, active or not (docs/decisions.md, "A campaign by its name"). One query."""
    campaigns = list(campaigns)
    accounts = {campaign.account_id for campaign in campaigns if campaign.name}
    # The names of the accounts' campaigns, folded as a person reads them alike ("Points",
    # "points "); an account has a few dozen campaigns, so they are all read.
    seen: Counter[tuple[int, str]] = Counter()
    if accounts:
        names = Campaign.objects.filter(account_id__in=accounts).exclude(name="")
        for account_id, name in names.values_list("account_id", "name"):
            seen[(account_id, _folded(name))] += 1
    return {
        campaign.pk: campaign.name_with_id
        if seen[(campaign.account_id, _folded(campaign.name))] > 1
        else campaign.display_name
        for campaign in campaigns
    }


def _folded(name: str) -> str:
    return " ".join(name.split()).casefold()
