"""Account scoping of the admin: the one mixin every ModelAdmin (and inline) uses.

A superuser sees everything. Any other staff user sees and changes only the accounts they
are an active member of: in lists, change pages, actions, list filters, autocomplete and
raw-id lookups (all of which read `get_queryset` or `get_search_results`), and in the
choices of every foreign key to an account, a campaign or a customer.
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.models import Account

admin.site.site_header = "Loyalty admin"
admin.site.site_title = "Loyalty admin"

# Foreign keys whose choices are limited to the user's accounts, by model label, and the
# path from each model to its account.
SCOPED_CHOICES = {
    "accounts.Account": "pk",
    "campaigns.Campaign": "account",
    "customers.Customer": "account",
}


def accounts_of(user) -> QuerySet[Account]:
    """The accounts a user may see in the admin: those of their active memberships."""
    return Account.objects.filter(memberships__user=user, memberships__is_active=True)


def is_unscoped(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_superuser


def scoped(queryset: QuerySet, account_path: str, request: HttpRequest) -> QuerySet:
    """`queryset` limited to the rows whose `account_path` is one of the user's accounts."""
    if is_unscoped(request):
        return queryset
    return queryset.filter(**{f"{account_path}__in": accounts_of(request.user)})


class AccountScopedAdminMixin:
    """Limits a ModelAdmin or InlineModelAdmin to the user's accounts.

    `account_path` leads from the model to its account: "account", "campaign__account",
    "undo_state__account", or "pk" for Account itself. An admin whose rows belong to a user
    rather than an account sets it to None and overrides `scope_queryset`.
    """

    account_path: str | None = "account"

    def scope_queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.account_path is None:
            raise NotImplementedError(f"{type(self).__name__} must override scope_queryset.")
        return scoped(queryset, self.account_path, request)

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        # Autocomplete passes its own queryset here: scope it too, whatever its origin.
        queryset, may_have_duplicates = super().get_search_results(
            request, self.scope_queryset(request, queryset), search_term
        )
        return queryset, may_have_duplicates

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        path = SCOPED_CHOICES.get(db_field.related_model._meta.label)
        if path is not None and "queryset" not in kwargs:
            base = db_field.related_model._default_manager.using(kwargs.get("using"))
            kwargs["queryset"] = scoped(base.all(), path, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "account" in form.base_fields:
            # An object never moves to another account. Disabled rather than read-only, so
            # the (account, ...) unique constraints are still checked before saving.
            form.base_fields["account"].disabled = True
        return form
