"""Admin of accounts, their members and API keys."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from core.admin_scoping import AccountScopedAdminMixin, accounts_of, is_unscoped
from core.admin_search import BoundedSearchMixin
from core.wording import say

from .admin_filters import AccountFilter
from .models import Account, ApiKey, Membership, hash_api_key
from .roles import ROLE_CHANGE_REFUSED, may_change_membership

# Custom fields an account may have: each is a field of every customer page and a column
# an import may name (well within the 200 headers a request may have).
MAX_CUSTOM_FIELDS = 50
NEW_KEY_SHOWN_ONCE = (
    "The new API key is {secret} — copy it now: it is shown only this once and stored only "
    "as a hash."
)
KEYS_REVOKED = "{count:API key} revoked."
# The new key's secret, kept on the request only (never in a message: Django's default
# message storage is a cookie, and the session is a database table).
_NEW_SECRET = "_loyalty_new_api_key_secret"


def _member_choices(request, kwargs: dict) -> dict:
    """Users a staff user may pick: the members of their own accounts."""
    if not is_unscoped(request):
        kwargs["queryset"] = (
            get_user_model()
            .objects.filter(memberships__account__in=accounts_of(request.user))
            .distinct()
        )
    return kwargs


class MembershipForm(forms.ModelForm):
    """A membership as the admin edits it: it is added or changed (any field: account,
    user, role, is_active) only by whom accounts.roles allows. `actor` is the user saving
    the form (set by the admin)."""

    actor = None

    class Meta:
        model = Membership
        fields = ["account", "user", "role", "is_active"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        adding = self.instance._state.adding
        changed = [field for field in self.Meta.fields if field in self.changed_data]
        if not (adding or changed):
            return cleaned
        instance = self.instance
        account = cleaned.get("account") or getattr(instance, "account", None)
        user = cleaned.get("user") or getattr(instance, "user", None)
        sides = [(getattr(account, "pk", None), getattr(user, "pk", None))]
        if not adding:
            sides.append((instance.account_id, instance.user_id))
        if not may_change_membership(actor=self.actor, sides=sides):
            field = None if adding else ("role" if "role" in changed else changed[0])
            self.add_error(field, ROLE_CHANGE_REFUSED)
        return cleaned


class MembershipInlineFormSet(forms.BaseInlineFormSet):
    """The memberships on an account's page: ticking "delete" on one is the same decision
    as deleting it from its own page (Django skips the form's own checks on a deleted
    form)."""

    def clean(self) -> None:
        super().clean()
        for form in self.forms:
            if not (form.instance.pk and form.cleaned_data.get("DELETE")):
                continue
            membership = Membership.objects.get(pk=form.instance.pk)
            sides = [(membership.account_id, membership.user_id)]
            if not may_change_membership(actor=getattr(form, "actor", None), sides=sides):
                raise forms.ValidationError(ROLE_CHANGE_REFUSED)


def _may_delete(request, obj: Membership | None) -> bool:
    """Whether the admin's user may delete membership `obj` (any, when None: the
    changelist then asks again per membership, before its bulk delete)."""
    if obj is None:
        return True
    sides = [(obj.account_id, obj.user_id)]
    return may_change_membership(actor=request.user, sides=sides)


def _form_for(form_class: type[forms.ModelForm], request) -> type[forms.ModelForm]:
    """`form_class` (the admin's MembershipForm, as the admin built it) that knows who saves
    it."""
    return type(form_class.__name__, (form_class,), {"actor": request.user})


class MembershipInline(AccountScopedAdminMixin, admin.TabularInline):
    model = Membership
    form = MembershipForm
    formset = MembershipInlineFormSet
    extra = 0
    fields = ["user", "role", "is_active"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = _form_for(formset.form, request)
        return formset

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
        # Integrations name the account by its slug or owner id, and send API 1.5's
        # custom_field_1..N by the account's count: only the platform (a superuser) changes
        # them, never the account's own staff (a staff member set the count to 32,767, and
        # every customer page then took 70 s and 30 MB: fifth red team).
        if is_unscoped(request):
            return ["created_at"]
        return ["slug", "owner_id", "custom_field_count", "created_at"]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "custom_field_count":
            kwargs["max_value"] = MAX_CUSTOM_FIELDS
            kwargs["help_text"] = (
                f"API 1.5's custom_field_1 to custom_field_N of each customer (at most "
                f"{MAX_CUSTOM_FIELDS}): integrations send them by this number."
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    # Accounts are opened and closed by the platform, not by their own staff.
    def has_add_permission(self, request):
        return is_unscoped(request) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return is_unscoped(request) and super().has_delete_permission(request, obj)


@admin.register(Membership)
class MembershipAdmin(AccountScopedAdminMixin, admin.ModelAdmin):
    form = MembershipForm
    list_display = ["user", "account", "role", "is_active"]
    list_filter = [("account", AccountFilter), "role", "is_active"]
    list_select_related = ["user", "account"]
    search_fields = ["user__username", "account__slug", "account__name"]
    autocomplete_fields = ["account"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        return _form_for(super().get_form(request, obj, change=change, **kwargs), request)

    def has_delete_permission(self, request, obj=None):
        # The delete page and the bulk "delete selected" action both ask per membership.
        return super().has_delete_permission(request, obj) and _may_delete(request, obj)

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
            setattr(request, _NEW_SECRET, secret)
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        """The new key's secret on the answer to the add form itself, never in a cookie,
        the session or a redirect: a page that is not cached and not shown again."""
        secret = getattr(request, _NEW_SECRET, None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": "API key created",
            "opts": self.opts,
            "key": obj,
            "message": NEW_KEY_SHOWN_ONCE.format(secret=secret),
            "secret": secret,
        }
        response = TemplateResponse(request, "accounts/api_key_created.html", context)
        add_never_cache_headers(response)
        return response

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, say(KEYS_REVOKED, count=count), messages.SUCCESS)


class OperatorsOnly:
    """Users and groups are the operator's, not a shop's: a user may belong to several
    shops, and holds what no shop may grant (staff status, superuser, permissions). So only
    a superuser sees these pages, whatever permissions a staff user was given: with
    auth.change_user a shop's staff could make themselves superuser or set another shop's
    owner's password (fourth red team). A shop says who works in it with its memberships."""

    def has_module_permission(self, request) -> bool:
        return is_unscoped(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_unscoped(request)

    def has_add_permission(self, request) -> bool:
        return is_unscoped(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_unscoped(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_unscoped(request)


class OperatorUserAdmin(OperatorsOnly, BoundedSearchMixin, UserAdmin):
    pass


class OperatorGroupAdmin(OperatorsOnly, BoundedSearchMixin, GroupAdmin):
    pass


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), OperatorUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, OperatorGroupAdmin)
