"""Reads of campaigns, always scoped to an account."""

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
