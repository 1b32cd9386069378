"""Account scoping of the admin: the one mixin every ModelAdmin (and inline) uses.

A superuser sees everything. Any other staff user sees and changes only the accounts they
are an active member of: in lists, change pages, actions, list filters, autocomplete and
raw-id lookups (all of which read `get_queryset` or `get_search_results`), and in the
choices of every foreign key to an account or to a model that has an `account`.

The base knows no app: the account model is the one settings.ACCOUNT_MODEL names (as
contrib.auth finds the user model by AUTH_USER_MODEL), and its default manager says which
accounts a user may see (`visible_to(user)`).
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db.models import ForeignKey, Model, QuerySet
from django.http import HttpRequest

admin.site.site_header = "Loyalty admin"
admin.site.site_title = "Loyalty admin"
# No "View site": the project has no site beyond the API, whose documentation the header
# links (loyalty/templates/admin/base_site.html).
admin.site.site_url = None


def get_account_model() -> type[Model]:
    """The model settings.ACCOUNT_MODEL names ("app_label.Model")."""
    return apps.get_model(settings.ACCOUNT_MODEL, require_ready=False)


def accounts_of(user: Any) -> QuerySet:
    """The accounts a user may see in the admin."""
    manager: Any = get_account_model()._default_manager
    return manager.visible_to(user)


def account_path_of(model: type[Model]) -> str | None:
    """The lookup from `model` to its account: "pk" for the account model, "account" for a
    model with a foreign key of that name to it, None for anything else."""
    account_model = get_account_model()
    if model is account_model:
        return "pk"
    field = next((f for f in model._meta.get_fields() if f.name == "account"), None)
    if field is not None and field.is_relation and field.related_model is account_model:
        return "account"
    return None


def is_unscoped(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_superuser


def scoped(queryset: QuerySet, account_path: str, request: HttpRequest) -> QuerySet:
    """`queryset` limited to the rows whose `account_path` is one of the user's accounts."""
    if is_unscoped(request):
        return queryset
    return queryset.filter(**{f"{account_path}__in": accounts_of(request.user)})


if TYPE_CHECKING:
    _AdminBase = admin.ModelAdmin
else:
    _AdminBase = object


class AccountScopedAdminMixin(_AdminBase):
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

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope_queryset(request, super().get_queryset(request))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        # Autocomplete passes its own queryset here: scope it too, whatever its origin.
        # A NUL can be in no stored text (PostgreSQL refuses it in a query's parameters,
        # a DataError): it is left out of the search, in every admin's list and autocomplete.
        queryset, may_have_duplicates = super().get_search_results(
            request, self.scope_queryset(request, queryset), search_term.replace("\x00", "")
        )
        return queryset, may_have_duplicates

    def formfield_for_foreignkey(
        self, db_field: ForeignKey, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField | None:
        path = account_path_of(db_field.related_model)
        if path is not None and "queryset" not in kwargs:
            base = db_field.related_model._default_manager.using(kwargs.get("using"))
            kwargs["queryset"] = scoped(base.all(), path, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(
        self, request: HttpRequest, obj: Model | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "account" in form.base_fields:
            # An object never moves to another account. Disabled rather than read-only, so
            # the (account, ...) unique constraints are still checked before saving.
            account = form.base_fields["account"]
            account.disabled = True
            # Nor does it offer to add, change or delete an account from there.
            for link in ("can_add_related", "can_change_related", "can_delete_related"):
                if hasattr(account.widget, link):
                    setattr(account.widget, link, False)
        return form
