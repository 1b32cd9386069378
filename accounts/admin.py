"""Admin of accounts, their members and API keys."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from core.admin_scoping import AccountScopedAdminMixin, accounts_of, is_unscoped

from .models import Account, ApiKey, Membership, hash_api_key

NEW_KEY_SHOWN_ONCE = (
    "The new API key is {secret} — copy it now: it is shown only this once and stored only "
    "as a hash."
)
KEYS_REVOKED = "{count} API key(s) revoked."


def _member_choices(request, kwargs: dict) -> dict:
    """Users a staff user may pick: the members of their own accounts."""
    if not is_unscoped(request):
        kwargs["queryset"] = (
            get_user_model()
            .objects.filter(memberships__account__in=accounts_of(request.user))
            .distinct()
        )
    return kwargs


class MembershipInline(AccountScopedAdminMixin, admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "is_active"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs = _member_choices(request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Account)
class AccountAdmin(AccountScopedAdminMixin, admin.ModelAdmin):
    account_path = "pk"
    list_display = ["slug", "name", "owner_id", "custom_field_count", "created_at"]
    search_fields = ["slug", "name", "owner_id"]
    inlines = [MembershipInline]

    def get_readonly_fields(self, request, obj=None):
        # Integrations name the account by its slug or owner id: only the platform (a
        # superuser) changes them, never the account's own staff.
        if is_unscoped(request):
            return ["created_at"]
        return ["slug", "owner_id", "created_at"]

    # Accounts are opened and closed by the platform, not by their own staff.
    def has_add_permission(self, request):
        return is_unscoped(request) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return is_unscoped(request) and super().has_delete_permission(request, obj)


@admin.register(Membership)
class MembershipAdmin(AccountScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "account", "role", "is_active"]
    list_filter = [("account", admin.RelatedOnlyFieldListFilter), "role", "is_active"]
    list_select_related = ["user", "account"]
    search_fields = ["user__username", "account__slug", "account__name"]
    autocomplete_fields = ["account"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs = _member_choices(request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(ApiKey)
class ApiKeyAdmin(AccountScopedAdminMixin, admin.ModelAdmin):
    """Keys belong to users, not accounts: a key works in every account of its user, so a
    staff user manages only their own keys, and only a superuser anyone's."""

    account_path = None
    list_display = ["prefix", "name", "user", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["prefix", "name", "user__username"]
    actions = ["revoke"]

    def scope_queryset(self, request, queryset: QuerySet) -> QuerySet:
        if is_unscoped(request):
            return queryset
        return queryset.filter(user=request.user)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["user", "name"]
        return ["prefix", "name", "user", "created_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["prefix", "user", "created_at", "revoked_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            if not is_unscoped(request):
                kwargs["queryset"] = get_user_model().objects.filter(pk=request.user.pk)
            kwargs["initial"] = request.user.pk
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            secret = ApiKey.new_secret()
            obj.prefix = secret[:8]
            obj.key_hash = hash_api_key(secret)
            self.message_user(request, NEW_KEY_SHOWN_ONCE.format(secret=secret), messages.SUCCESS)
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, KEYS_REVOKED.format(count=count), messages.SUCCESS)
