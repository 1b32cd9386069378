"""Account scoping of the admin: the one mixin every ModelAdmin (and inline) uses.

A superuser sees everything. Any other staff user sees and changes only the accounts they
are an active member of: in lists, change pages, actions, list filters, autocomplete and
raw-id lookups (all of which read `get_queryset` or `get_search_results`), and in the
choices of every foreign key to an account or to a model that has an `account`.

The base knows no app: the account model is the one settings.ACCOUNT_MODEL names (as
contrib.auth finds the user model by AUTH_USER_MODEL), and its default manager says which
accounts a user may see (`visible_to(user)`).
"""

from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import FieldListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import get_fields_from_path
from django.contrib.admin.widgets import url_params_from_lookup_dict
from django.db.models import ForeignKey, Model, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.http import HttpRequest

from core.admin_search import BoundedSearchMixin

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


# Lookups no list takes from its query string, whatever its filters: they run any pattern
# on a column (and a slow one on the database).
REFUSED_LOOKUPS = frozenset({"regex", "iregex"})


def is_unscoped(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.is_superuser


def scoped(queryset: QuerySet, account_path: str, request: HttpRequest) -> QuerySet:
    """`queryset` limited to the rows whose `account_path` is one of the user's accounts."""
    if is_unscoped(request):
        return queryset
    return queryset.filter(**{f"{account_path}__in": accounts_of(request.user)})


class AccountScopedAdminMixin(BoundedSearchMixin):
    """Limits a ModelAdmin or InlineModelAdmin to the user's accounts.

    `account_path` leads from the model to its account: "account", "campaign__account",
    "undo_state__account", or "pk" for Account itself. An admin whose rows belong to a user
    rather than an account sets it to None and overrides `scope_queryset`.
    """

    account_path: str | None = "account"
    # Columns no list lookup may read, whatever the filters (stored hashes: a lookup such as
    # `?customer_pin__startswith=p` would let staff read one a character at a time).
    secret_fields: tuple[str, ...] = ()

    def scope_queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.account_path is None:
            raise NotImplementedError(f"{type(self).__name__} must override scope_queryset.")
        return scoped(queryset, self.account_path, request)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope_queryset(request, super().get_queryset(request))

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        # Autocomplete passes its own queryset here: scope it too, whatever its origin. The
        # term's bound (and its NULs dropped) is BoundedSearchMixin's, next in line.
        return super().get_search_results(
            request, self.scope_queryset(request, queryset), search_term
        )

    def lookup_allowed(self, lookup: str, value: Any, request: HttpRequest | None = None) -> bool:
        """A list's query string filters only as its own list filters do (Django lets it
        look up any of the model's own columns): a lookup is allowed when one of them
        produces it, never on a secret column, never a regex. Django answers a refused one
        with a 400 (DisallowedModelAdminLookup)."""
        if "\x00" in lookup or "\x00" in str(value):
            # No stored text holds a NUL and PostgreSQL refuses one in a query's parameters
            # (a DataError, a 500): a filter value with one is a wrong filter, which Django
            # answers by showing the unfiltered list with its "?e=1" note.
            raise IncorrectLookupParameters(f"A NUL character in the filter {lookup!r}.")
        parts = set(lookup.split(LOOKUP_SEP))
        if parts & REFUSED_LOOKUPS or parts & set(self.secret_fields):
            return False
        if request is None:  # Django 5.2 always passes it; without it, no filter is known.
            return False
        return lookup in self._filter_parameters(request) or self._is_raw_id_lookup(lookup, value)

    def _filter_parameters(self, request: HttpRequest) -> set[str]:
        """Every query-string parameter the list's filters (and date hierarchy) read, asked
        of the filters themselves; once a request (a filter may query for its choices)."""
        cache: dict[type, set[str]] = request.__dict__.setdefault("_filter_parameters", {})
        if type(self) not in cache:
            parameters: set[str] = set()
            for list_filter in self.get_list_filter(request):
                parameters.update(self._filter_of(list_filter, request).expected_parameters())
            if self.date_hierarchy:
                parts = ("year", "month", "day")
                parameters.update(f"{self.date_hierarchy}__{part}" for part in parts)
            cache[type(self)] = parameters
        return cache[type(self)]

    def _filter_of(self, list_filter: Any, request: HttpRequest) -> Any:
        """The filter a list_filter entry makes (as ChangeList.get_filters makes it), with
        no parameter given."""
        if isinstance(list_filter, (tuple, list)):
            field, filter_class = list_filter
        elif callable(list_filter):
            return list_filter(request, {}, self.model, self)
        else:
            field, filter_class = list_filter, FieldListFilter.create
        field_path = None
        if isinstance(field, str):
            field_path = field
            field = get_fields_from_path(self.model, field_path)[-1]
        return filter_class(field, request, {}, self.model, self, field_path=field_path)

    def _is_raw_id_lookup(self, lookup: str, value: Any) -> bool:
        """The lookups a raw-id popup sends from a foreign key's limit_choices_to (allowed by
        Django for the same reason)."""
        for fk_lookup in self.model._meta.related_fkey_lookups:
            if callable(fk_lookup):
                fk_lookup = fk_lookup()
            if (lookup, value) in url_params_from_lookup_dict(fk_lookup).items():
                return True
        return False

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
        elif obj is None and "account" in form.base_fields:
            # A new object of a user with one account is in it (shop owner, ninth run: the
            # Add customer page asked a one-shop owner to choose their shop).
            account = form.base_fields["account"]
            queryset = getattr(account, "queryset", None)
            first = list(queryset[:2]) if queryset is not None else []
            if len(first) == 1:
                account.initial = first[0].pk
        return form
