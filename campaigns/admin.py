"""Admin of campaigns and their buy-X items."""

from django.contrib import admin

from core.admin_scoping import AccountScopedAdminMixin

from .models import BuyxItem, Campaign


class BuyxItemInline(AccountScopedAdminMixin, admin.TabularInline):
    model = BuyxItem
    account_path = "campaign__account"
    extra = 0
    fields = ["name"]


@admin.register(Campaign)
class CampaignAdmin(AccountScopedAdminMixin, admin.ModelAdmin):
    list_display = ["campaign_id", "name", "type", "is_active", "account"]
    list_filter = [("account", admin.RelatedOnlyFieldListFilter), "type", "is_active"]
    list_select_related = ["account"]
    search_fields = ["campaign_id", "name"]
    autocomplete_fields = ["account"]
    inlines = [BuyxItemInline]
