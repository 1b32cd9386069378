"""Admin of customers and of undo states: what each import did, and rolling it back."""

import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from import_export.admin import ExportMixin
from import_export.formats import base_formats

from accounts.models import Account
from accounts.users import signed_in
from campaigns.models import Campaign, Enrollment, Transaction
from campaigns.selectors import balances_for
from core.admin_scoping import AccountScopedAdminMixin, accounts_of, is_unscoped

from .admin_import import import_view_for
from .columns import CONCRETE_FIELDS, RESTORED_COLUMNS, SECRETS
from .failed_lines import failed_lines_csv, failed_lines_filename, has_failed_lines
from .forms import CustomerAdminForm, RollbackForm, custom_fields_form
from .models import Customer, UndoState
from .resources import CustomerExportResource
from .rollback import Conflict, RollbackRefused, find_conflicts, roll_back

ROLLED_BACK = (
    "Import {pk} rolled back: {deleted} customer(s) deleted, {restored} customer(s) restored, "
    "{enrollments} enrollment(s) and {credits} ledger entry(ies) removed."
)
CONFLICTS_CHANGED = (
    "The conflicts changed since the page was shown. Nothing was rolled back; review them "
    "again below."
)
SELECT_ONE = "Select exactly one import to roll back: each rollback is confirmed on its own."
# Rows of each kind listed on an undo state's page; the counts are always complete.
SHOWN_ROWS = 100
MONEY_TYPES = (Campaign.Type.GIFTCARD, Campaign.Type.EARNED)
# The customer columns an import writes, as the undo state's page compares them; the
# SECRETS' hashes are never shown, only whether a secret is set.
COMPARED_FIELDS = RESTORED_COLUMNS


def _set_or_not(value: str | None) -> str:
    return "set" if value else "not set"


class CampaignFilter(admin.RelatedOnlyFieldListFilter):
    """The customer list's campaign filter, each campaign by its name (its id if it has
    none), with its account when the list holds several accounts' campaigns."""

    def field_choices(self, field, request, model_admin):
        # One query, as the filter it replaces: the listed customers' campaigns.
        ids = (
            model_admin.get_queryset(request)
            .distinct()
            .values_list(f"{self.field_path}__pk", flat=True)
        )
        campaigns = list(Campaign.objects.filter(pk__in=ids).select_related("account"))
        several = len({campaign.account_id for campaign in campaigns}) > 1
        choices = [
            (
                campaign.pk,
                f"{campaign.display_name} ({campaign.account})"
                if several
                else campaign.display_name,
            )
            for campaign in campaigns
        ]
        return sorted(choices, key=lambda choice: choice[1].lower())


@admin.register(Customer)
class CustomerAdmin(AccountScopedAdminMixin, ExportMixin, admin.ModelAdmin):
    form = CustomerAdminForm
    # Export through django-import-export (of the scoped list); import through the API's
    # engine (customers/admin_import.py), so every rule of the contract applies.
    resource_classes = [CustomerExportResource]
    formats = [base_formats.CSV, base_formats.XLSX]
    import_export_change_list_template = "admin/customers/customer/change_list.html"
    list_display = ["code", "card_number", "first_name", "last_name", "email", "phone", "account"]
    list_filter = [
        ("account", admin.RelatedOnlyFieldListFilter),
        ("enrollments__campaign", CampaignFilter),
    ]
    list_select_related = ["account"]
    search_fields = ["code", "card_number", "first_name", "last_name", "email", "phone"]
    autocomplete_fields = ["account"]
    readonly_fields = [
        "customer_username",
        "password_status",
        "pin_status",
        "balances",
        "version",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["account", "code", "card_number"]}),
        ("Profile", {"fields": ["first_name", "last_name", "email", "phone", "custom_date"]}),
        ("Address", {"fields": ["street1", "street2", "city", "state", "postal_code", "country"]}),
        ("Custom fields", {"fields": ["custom_field"]}),
        (
            "Sign-in",
            {"fields": ["customer_username", "password_status", "new_password", "pin_status"]},
        ),
        ("Balances", {"fields": ["balances"]}),
        ("History", {"fields": ["version", "created_at", "updated_at"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        """The fieldsets, with the account's custom_field_1..N among the custom fields."""
        names = list(custom_fields_form(self._custom_field_count(request, obj)).custom_field_names)
        return [
            (title, {"fields": [*options["fields"], *names]})
            if title == "Custom fields"
            else (title, options)
            for title, options in self.fieldsets
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs.setdefault("form", custom_fields_form(self._custom_field_count(request, obj)))
        return super().get_form(request, obj, change=change, **kwargs)

    def _custom_field_count(self, request, obj: Customer | None) -> int:
        """How many custom_field_N the customer's account defines; on the add page, those
        of the user's one account (a user who may choose among several accounts sets them
        once the customer is saved: docs/decisions.md)."""
        if obj is not None:
            return obj.account.custom_field_count
        visible = Account.objects.all() if is_unscoped(request) else accounts_of(request.user)
        accounts = list(visible[:2])
        return accounts[0].custom_field_count if len(accounts) == 1 else 0

    @admin.display(description="password")
    def password_status(self, customer: Customer) -> str:
        return _set_or_not(customer.customer_password)

    @admin.display(description="PIN")
    def pin_status(self, customer: Customer) -> str:
        return _set_or_not(customer.customer_pin)

    @admin.display(description="balances")
    def balances(self, customer: Customer) -> str:
        if customer.pk is None:
            return "—"
        balances = balances_for(account=customer.account, customer_id=customer.pk)
        enrolled = Campaign.objects.filter(enrollments__customer=customer)
        rows = []
        for campaign in enrolled.order_by("campaign_id"):
            balance = balances.get(campaign.campaign_id, Decimal(0))
            shown = f"{balance:.2f}" if campaign.type in MONEY_TYPES else f"{balance:.0f}"
            rows.append((campaign, shown))
        if not rows:
            return "Not enrolled in any campaign."
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}: {}</li>", rows))

    def save_model(self, request, obj, form, change):
        now = timezone.now()
        if change:
            # Every write raises the version: a later rollback sees this edit as a conflict.
            obj.version = F("version") + 1
        else:
            obj.created_at = now
        obj.updated_at = now
        super().save_model(request, obj, form, change)
        if change:
            obj.refresh_from_db(fields=["version"])

    def get_urls(self):
        import_file = path(
            "import-file/",
            self.admin_site.admin_view(import_view_for(self)),
            name="customers_customer_import_file",
        )
        return [import_file, *super().get_urls()]


@dataclass
class ImportEffects:
    """What an import did, from its undo data and the rows that carry its id; the lists
    hold at most SHOWN_ROWS entries, the counts are complete."""

    created: list = field(default_factory=list)
    created_count: int = 0
    # (customer id, customer now or None if deleted, [(label, before, now)] that differ)
    written: list = field(default_factory=list)
    written_count: int = 0
    enrollments: list = field(default_factory=list)
    enrollments_count: int = 0
    credits: list = field(default_factory=list)
    credits_count: int = 0


def import_effects(state: UndoState) -> ImportEffects:
    effects = ImportEffects()
    created_ids: list[int] = []
    first_before: dict[int, dict] = {}
    seen_created: set[int] = set()
    for chunk in state.chunks.order_by("seq").iterator():
        payload = chunk.unpack()
        for pk in payload["created"]:
            seen_created.add(pk)
            if len(created_ids) < SHOWN_ROWS:
                created_ids.append(pk)
        for pk, _version, before in payload["written"]:
            # The earliest record is the state before the import.
            if pk in seen_created or pk in first_before:
                continue
            effects.written_count += 1
            if len(first_before) < SHOWN_ROWS:
                first_before[pk] = before
    effects.created_count = len(seen_created)
    customers = Customer.objects.filter(
        account_id=state.account_id, pk__in=[*created_ids, *first_before]
    ).in_bulk()
    effects.created = [(pk, customers.get(pk)) for pk in created_ids]
    effects.written = [
        (pk, customers.get(pk), _differences(before, customers.get(pk)))
        for pk, before in first_before.items()
    ]
    enrollments = Enrollment.objects.filter(undo_state=state)
    effects.enrollments_count = enrollments.count()
    effects.enrollments = list(
        enrollments.select_related("campaign", "customer").order_by("id")[:SHOWN_ROWS]
    )
    credits = Transaction.objects.filter(undo_state=state, kind=Transaction.Kind.AUTO_ADD)
    effects.credits_count = credits.count()
    effects.credits = list(
        credits.select_related("campaign", "customer", "item").order_by("id")[:SHOWN_ROWS]
    )
    return effects


def _differences(before: dict, customer: Customer | None) -> list[tuple[str, str, str]]:
    """(field, before the import, now) for each compared field whose value differs."""
    rows = []
    for name in COMPARED_FIELDS:
        was = _shown(name, before.get(name))
        now = _shown(name, getattr(customer, name)) if customer else "—"
        if was != now:
            rows.append((str(CONCRETE_FIELDS[name].verbose_name), was, now))
    return rows


def _shown(name: str, value) -> str:
    if name in SECRETS:
        return _set_or_not(value)
    if name == "custom_fields":
        return json.dumps(value or {}, sort_keys=True)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return "" if value is None else str(value)


def _conflicts_signature(conflicts: list[Conflict] | tuple[Conflict, ...]) -> str:
    return ",".join(f"{conflict.customer_id}:{conflict.code}" for conflict in conflicts)


@admin.register(UndoState)
class UndoStateAdmin(AccountScopedAdminMixin, admin.ModelAdmin):
    """Undo states are history: listed and shown, never added, edited or deleted here; the
    one thing done with them is a rollback, confirmed on its own page."""

    list_display = [
        "id",
        "account",
        "created_at",
        "user",
        "source",
        "new",
        "updated",
        "ignored",
        "failed",
        "status",
    ]
    list_filter = [("account", admin.RelatedOnlyFieldListFilter), "status", "source"]
    list_select_related = ["account", "user"]
    search_fields = ["=id", "account__slug", "user__username"]
    fields = [
        "account",
        "created_at",
        "user",
        "source",
        "status",
        "rolled_back_at",
        "rolled_back_by",
        "new",
        "updated",
        "ignored",
        "failed",
        "parameters",
    ]
    actions = ["roll_back_selected"]
    change_form_template = "admin/customers/undostate/change_form.html"
    rollback_template = "admin/customers/undostate/rollback_confirmation.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_rollback_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("customers.rollback_undostate")

    def get_urls(self):
        rollback = path(
            "<path:object_id>/rollback/",
            self.admin_site.admin_view(self.rollback_view),
            name="customers_undostate_rollback",
        )
        failed_lines = path(
            "<path:object_id>/failed-lines/",
            self.admin_site.admin_view(self.failed_lines_view),
            name="customers_undostate_failed_lines",
        )
        return [rollback, failed_lines, *super().get_urls()]

    def failed_lines_view(self, request, object_id):
        """The import's failed lines as CSV: its columns, then `error` (failed_lines.py)."""
        state = self.get_object(request, unquote(object_id))
        if state is None or not self.has_view_permission(request, state):
            raise Http404("No such import.")
        response = StreamingHttpResponse(
            failed_lines_csv(state, for_a_person=True), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{failed_lines_filename(state)}"'
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        state = self.get_object(request, unquote(object_id))
        extra_context = extra_context or {}
        if state is not None:
            if has_failed_lines(state):
                extra_context["failed_lines_url"] = self._url("failed_lines", state.pk)
            extra_context["effects"] = import_effects(state)
            extra_context["can_roll_back"] = (
                state.status == UndoState.Status.UNDOABLE
                and self.has_rollback_permission(request, state)
            )
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Roll back the selected import…", permissions=["rollback"])
    def roll_back_selected(self, request, queryset):
        states = list(queryset[:2])
        if len(states) != 1:
            self.message_user(request, SELECT_ONE, messages.ERROR)
            return None
        return redirect(self._url("rollback", states[0].pk))

    def rollback_view(self, request, object_id):
        """Shows what a rollback undoes and its conflicts; POST rolls back."""
        state = self.get_object(request, unquote(object_id))
        if state is None:
            raise Http404("No such import.")
        if not self.has_rollback_permission(request, state):
            raise PermissionDenied
        if request.method == "POST":
            form = RollbackForm(request.POST)
            if form.is_valid() and self._roll_back(request, state, form.cleaned_data):
                return redirect(self._url("change", state.pk))
        conflicts = find_conflicts(undo_state=state)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Roll back import {state.pk}",
            "opts": self.opts,
            "object": state,
            "effects": import_effects(state),
            "conflicts": conflicts,
            "form": RollbackForm(initial={"seen_conflicts": _conflicts_signature(conflicts)}),
        }
        return TemplateResponse(request, self.rollback_template, context)

    def _url(self, view: str, pk: int) -> str:
        return reverse(f"{self.admin_site.name}:customers_undostate_{view}", args=[pk])

    def _roll_back(self, request, state: UndoState, data: dict) -> bool:
        if data["seen_conflicts"] != _conflicts_signature(find_conflicts(undo_state=state)):
            self.message_user(request, CONFLICTS_CHANGED, messages.ERROR)
            return False
        try:
            result = roll_back(
                undo_state=state,
                user=signed_in(request.user),
                overwrite_conflicts=data["overwrite_conflicts"],
            )
        except RollbackRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return False
        message = ROLLED_BACK.format(
            pk=state.pk,
            deleted=result.deleted,
            restored=result.restored,
            enrollments=result.enrollments_removed,
            credits=result.credits_removed,
        )
        self.log_change(request, state, message)
        self.message_user(request, message, messages.SUCCESS)
        return True
