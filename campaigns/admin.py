"""Admin of campaigns and their buy-X items."""

from urllib.parse import urlencode

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin_filters import AccountFilter
from core.admin_scoping import AccountScopedAdminMixin
from core.wording import say

from .models import BuyxItem, Campaign

# The parameter of the customer list's campaign filter (customers/admin.py's CampaignFilter
# on "enrollments__campaign": Django's related filter names it field path, target, exact).
# Said here because campaigns may not import customers; a test follows the link.
CUSTOMERS_IN_CAMPAIGN = "enrollments__campaign__id__exact"


class BuyxItemInline(AccountScopedAdminMixin, admin.TabularInline):
    model = BuyxItem
    account_path = "campaign__account"
    extra = 0
    fields = ["name"]


@admin.register(Campaign)
class CampaignAdmin(AccountScopedAdminMixin, admin.ModelAdmin):
    list_display = ["campaign_id", "name", "type", "is_active", "account"]
    list_filter = [("account", AccountFilter), "type", "is_active"]
    list_select_related = ["account"]
    search_fields = ["campaign_id", "name"]
    autocomplete_fields = ["account"]
    inlines = [BuyxItemInline]

    def get_inlines(self, request, obj=None):
        """The items that count towards the free one, on a buy-X campaign's page only (a
        new campaign gets them once it is saved as buy-X): on a points campaign they
        meant nothing."""
        if obj is not None and obj.type == Campaign.Type.BUYX:
            return self.inlines
        return []

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "enrolled_customers"] if obj is not None else fields

    @admin.display(description="customers")
    def enrolled_customers(self, campaign: Campaign) -> str:
        """How many customers the campaign has, linked to the customer list filtered by it."""
        count = campaign.enrollments.count()
        url = reverse("admin:customers_customer_changelist")
        query = urlencode({CUSTOMERS_IN_CAMPAIGN: campaign.pk})
        return format_html(
            '<a href="{}?{}">{}</a>', url, query, say("{count:customer} enrolled", count=count)
        )
