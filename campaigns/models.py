"""Campaigns, their buy-X items, enrollments of customers, and the ledger of credits.

Balances are not stored: a customer's balance in a campaign is the sum of its ledger
entries (see selectors.balances_for), so removing an import's credits restores balances.
"""

from decimal import Decimal

from django.db import models

from accounts.models import Account


class Campaign(models.Model):
    class Type(models.TextChoices):
        POINTS = "points", "Points"
        GIFTCARD = "giftcard", "Gift card"
        EVENTS = "events", "Events (visits)"
        EARNED = "earned", "Earned (money)"
        BUYX = "buyx", "Buy X, get one free"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="campaigns")
    campaign_id = models.CharField(max_length=64, help_text="The id the shop gave the campaign.")
    name = models.CharField(max_length=200, blank=True)
    type = models.CharField(max_length=16, choices=Type.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["account", "campaign_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "campaign_id"], name="campaign_unique_id_per_account"
            )
        ]

    def __str__(self) -> str:
        # As staff know it (page titles, lists, balances): its name, else its id.
        return f"{self.display_name} ({self.get_type_display()})"

    @property
    def display_name(self) -> str:
        """The campaign as shop staff know it: its name, or its id if it has none."""
        return self.name or self.campaign_id

    @property
    def name_with_id(self) -> str:
        """Its name and the id integrations send ("Points (id 898989889)"), where the name
        alone does not tell it apart; its id alone if it has no name."""
        return f"{self.name} (id {self.campaign_id})" if self.name else self.campaign_id

    def shown_amount(self, amount: Decimal) -> str:
        """An amount in the campaign's unit as staff read it: money with its cents
        (1,234.50), points, visits and purchases whole (1,235; the ledger keeps two
        decimals for every campaign)."""
        if self.type in MONEY_TYPES:
            return f"{amount:,.2f}"
        return f"{amount:,.0f}"


# The campaign types whose unit is money, with cents; the others count whole units.
MONEY_TYPES = (Campaign.Type.GIFTCARD, Campaign.Type.EARNED)


class BuyxItem(models.Model):
    """A product or service of a buy-X campaign; `auto_add` may name it by id or name."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(max_length=100)

    class Meta:
        # The inline's heading on a campaign's page, in shop words (not "Buyx items").
        verbose_name = "item of a buy-X campaign"
        verbose_name_plural = "items that count towards the free one"
        ordering = ["campaign", "name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "name"], name="buyx_item_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


def undo_state_reference() -> models.ForeignKey:
    """The import that added the row (its rollback removes it). No database constraint
    (docs/decisions.md): only the import that made the undo state writes rows pointing at
    it, inside its own transaction, and undo states are never deleted while such rows
    exist; checking 100,000 references to that one row at every large import's COMMIT
    protected nothing."""
    return models.ForeignKey(
        "customers.UndoState",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )


class Enrollment(models.Model):
    # No index of its own: enrollment_once (campaign, customer) leads with it, and an index
    # fewer is less work for each of an import's enrollments.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="enrollments", db_index=False
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="enrollments"
    )
    created_at = models.DateTimeField()
    undo_state = undo_state_reference()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "customer"], name="enrollment_once")
        ]

    def __str__(self) -> str:
        # As the admin's delete confirmation lists it under the customer.
        return f"Enrolled in {self.campaign.display_name}"


class Transaction(models.Model):
    """One ledger entry: a credit (positive) or debit in the campaign's unit."""

    class Kind(models.TextChoices):
        AUTO_ADD = "auto_add", "Credit on import"
        CREDIT = "credit", "Credit"
        DEBIT = "debit", "Debit"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="transactions")
    # Indexed by the (customer, campaign) index of Meta, which leads with it.
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="transactions", db_index=False
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Points, money (2 decimals) or visits; a buyx purchase counts 1 of `item`.
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    item = models.ForeignKey(BuyxItem, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField()
    undo_state = undo_state_reference()

    class Meta:
        # Shop words, as every admin page and rollback message says it (the delete
        # confirmation listed "Transaction: ..."): a shop books credits, not transactions.
        verbose_name = "credit"
        verbose_name_plural = "credits"
        indexes = [models.Index(fields=["customer", "campaign"])]

    def __str__(self) -> str:
        # As the admin's delete confirmation lists it under the customer.
        return f"{self.get_kind_display()} of {self.shown_amount} in {self.campaign.display_name}"

    @property
    def shown_amount(self) -> str:
        return self.campaign.shown_amount(self.amount)
