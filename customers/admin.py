"""Admin of customers and of undo states: what each import did, and rolling it back."""

import csv
import dataclasses
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from import_export.admin import ExportMixin
from import_export.formats import base_formats
from import_export.signals import post_export

from accounts.admin_filters import AccountFilter
from accounts.models import Account
from accounts.users import signed_in
from campaigns.models import Campaign, Enrollment
from campaigns.selectors import balances_for, credits_given, shop_names
from core.admin_links import LinksForViewerMixin, linked
from core.admin_scoping import AccountScopedAdminMixin, accounts_of, is_unscoped
from core.errors import DomainError
from core.moments import shown_time
from core.wording import say

from . import rollback_messages as words
from .admin_export import (
    CustomerExportForm,
    SemicolonCSV,
    export_response,
    xlsx_rows_warning,
)
from .admin_import import MODE_LABELS, import_view_for
from .batch.types import FileRead
from .columns import CONCRETE_FIELDS, RESTORED_COLUMNS, SECRETS
from .date_orders import DATE_ORDER_LABELS, DateOrder
from .failed_lines import failed_lines_filename, has_failed_lines
from .failed_lines_file import failed_lines_file
from .forms import CustomerAdminForm, RollbackForm, custom_fields_form
from .import_counts import LABELS, NOT_COUNTED, shop_counts
from .import_file import read_as
from .line_words import DATE_CHOICE
from .models import Customer, UndoChunk, UndoState
from .phone_search import phone_number_search, without_separators
from .resources import CustomerExportResource
from .rollback import (
    UNKNOWN_USER,
    Conflict,
    ConflictCode,
    ConflictOverview,
    RollbackPlan,
    conflict_overview,
    find_conflicts,
    later_imports,
    plan_rollback,
    roll_back,
    rolled_back_said,
    taken_by_rollbacks,
    why_not_undoable,
)
from .rollback_background import background_rollback
from .rollback_log import log_rollback
from .rollback_messages import CONFLICTS_CHANGED, ROLLBACK_QUEUED
from .spreadsheet import neutralised
from .workbook import TextCellsXLSX

SEARCH_HELP = (
    "Finds customers by code, card number, name, email or phone. A phone number is one "
    "number, found with or without its spaces, dots, dashes and brackets, and in its "
    "national or international form (0610203040 finds +33 6 10 20 30 40). Capitals and "
    "accents or not, as you like (AMÉLIE finds Amélie, Severine finds Séverine)."
)
# A search term that is a phone number, or part of one, once its separators are gone.
PHONE_TERM = re.compile(r"[0-9]+")
# The roll-back action with several imports ticked: what to do instead, in shop words
# (a shop owner found "exactly one ... confirmed on its own" awkward). Newest first, as
# rollbacks must go (docs/decisions.md, "Rollback newest-first").
SELECT_ONE = "Select one import to roll back; to undo several, roll back the newest first."
# Rows of each kind listed on an undo state's page; the counts are always complete.
SHOWN_ROWS = 100
# Conflicts listed on the confirmation page; all of them are in its CSV download.
SHOWN_CONFLICTS = 20
CONFLICTS_CSV_HEADER = ("customer code", "conflict", "what the rollback does")
# The admin's CSV files are opened by people, in Excel, which reads UTF-8 as such only
# after a byte order mark; the admin import (and import-export's) reads it back.
EXCEL_BOM = "\ufeff"
# An undo state's parameters, as its page lists them; others are shown by their name.
PARAMETER_LABELS = {
    "file_name": "File",
    "api_version": "API version",
    "delimiter": "Delimiter",
    "overwrite_duplicates": "Mode",
    "card_number_generate": "Card numbers generated",
    "campaigns_to_include": "Campaigns",
    "headers": "Columns",
    "validate_only": "Only checked, nothing written",
    "all_or_nothing": "All or nothing",
    "request_id": "Request id",
}
# What an admin import never has (the API's own parameters): left off its page.
NOT_AN_ADMIN_IMPORTS = ("api_version", "request_id", "validate_only", "all_or_nothing")
# Kept for the preview's "the same file as import N" check (customers/same_file.py), not
# for staff: a shop owner read "File sha256: 3f1a…" on an import's page.
NEVER_SHOWN = ("file_sha256",)
DELIMITERS = {"|": "pipe (|)", ",": "comma (,)", "\t": "tab", ";": "semicolon (;)"}
# The mode in the import form's words, lowercased after "Mode: ".
OVERWRITE_MODES = {mode.value: label[0].lower() + label[1:] for mode, label in MODE_LABELS.items()}
NOT_READ = "(not read)"
READ_AS = "Read as"
# The customer columns an import writes, as the undo state's page compares them; the
# SECRETS' hashes are never shown, only whether a secret is set.
COMPARED_FIELDS = RESTORED_COLUMNS


def _set_or_not(value: str | None) -> str:
    return "set" if value else "not set"


class CampaignFilter(admin.RelatedOnlyFieldListFilter):
    """The customer list's campaign filter, each campaign by its name (its id if it has
    none, or with its id where two of the account share the name), with its account when
    the list holds several accounts' campaigns, and the customers in none. Shown as soon
    as one campaign has customers: Django shows a related filter only from two choices, so
    a shop whose customers were all imported into one campaign had no filter panel at all."""

    # The customers with no enrollment (enrollments__campaign__isnull=True).
    include_empty_choice = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.empty_value_display = format_html("{}", "In no campaign")

    def field_choices(self, field, request, model_admin):
        # One query, as the filter it replaces: the listed customers' campaigns.
        ids = (
            model_admin.get_queryset(request)
            .distinct()
            .values_list(f"{self.field_path}__pk", flat=True)
        )
        campaigns = list(Campaign.objects.filter(pk__in=ids).select_related("account"))
        several = len({campaign.account_id for campaign in campaigns}) > 1
        names = shop_names(campaigns)
        choices = [
            (
                campaign.pk,
                f"{names[campaign.pk]} ({campaign.account.display_name})"
                if several
                else names[campaign.pk],
            )
            for campaign in campaigns
        ]
        return sorted(choices, key=lambda choice: choice[1].lower())


def _only_account(request) -> Account | None:
    """The one account the user sees in the admin, or None when they see several (or none)."""
    visible = Account.objects.all() if is_unscoped(request) else accounts_of(request.user)
    accounts = list(visible[:2])
    return accounts[0] if len(accounts) == 1 else None


@admin.register(Customer)
class CustomerAdmin(LinksForViewerMixin, AccountScopedAdminMixin, ExportMixin, admin.ModelAdmin):
    form = CustomerAdminForm
    # Export through django-import-export (of the scoped list); import through the API's
    # engine (customers/admin_import.py), so every rule of the contract applies.
    resource_classes = [CustomerExportResource]
    # XLSX: every value a text cell, as stored (customers/workbook.py). The semicolons'
    # CSV last, so that the first two keep their numbers in the form.
    formats = [base_formats.CSV, TextCellsXLSX, SemicolonCSV]
    export_form_class = CustomerExportForm
    # The CSV export starts with a UTF-8 byte order mark (EXCEL_BOM), for Excel.
    to_encoding = "utf-8-sig"
    import_export_change_list_template = "admin/customers/customer/change_list.html"
    # django-import-export's export page in shop words, with the XLSX rows warning.
    export_template_name = "admin/customers/customer/export.html"
    # First and last name in one column: the list fits 1280 px beside the filters.
    list_display = ["code", "card_number", "name", "email", "phone", "account"]
    list_filter = [
        ("account", AccountFilter),
        ("enrollments__campaign", CampaignFilter),
    ]
    list_select_related = ["account"]
    secret_fields = SECRETS
    search_fields = ["code", "card_number", "first_name", "last_name", "email", "phone"]
    # Any case, any accents (docs/decisions.md, "The search is blind to accents"); each
    # text field through core.search_lookup (BoundedSearchMixin.get_search_fields).
    search_help_text = SEARCH_HELP
    autocomplete_fields = ["account"]
    readonly_fields = [
        "customer_username",
        "password_status",
        "pin_status",
        "balances",
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
        # Not the version: it counts writes for rollback's conflict check, which staff
        # never need to read (a shop owner asked what "Version: 2" meant).
        ("History", {"fields": ["created_at", "updated_at"]}),
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
        account = _only_account(request)
        return account.custom_field_count if account is not None else 0

    def get_search_results(self, request, queryset, search_term):
        """A phone number as one number (customers/phone_search.py); any other term by
        Django's search, and also the customers whose phone, without its separators,
        holds the term's digits ("0612" and "06.12" find "06 12 34 56 78")."""
        term = search_term.replace("\x00", "")
        as_phone = phone_number_search(term)
        if as_phone is not None:
            # One number, not words ("06 11 11 11 11" found "06 09 10 11 12").
            return queryset.filter(as_phone), False
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = without_separators(term.strip())
        if PHONE_TERM.fullmatch(digits):
            by_phone = self.scope_queryset(request, queryset).filter(phone_digits__contains=digits)
            found = found | by_phone
        return found, may_have_duplicates

    def get_list_display(self, request):
        # A shop's staff see one account: its column would repeat it on every row, and the
        # list must fit 1280 px beside the filters (the browser test checks).
        shown = super().get_list_display(request)
        if _only_account(request) is None:
            return shown
        return [name for name in shown if name != "account"]

    @admin.display(description="name", ordering="last_name")
    def name(self, customer: Customer) -> str | None:
        return f"{customer.first_name} {customer.last_name}".strip() or None

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
            rows.append((linked(campaign), campaign.shown_amount(balance)))
        if not rows:
            return "Not enrolled in any campaign."
        # One line each, not a list: the admin's form styles put a list 160 px to the
        # right of where a value starts, far from its label (a shop owner's report).
        return format_html_join(mark_safe("<br>"), "{}: {}", rows)

    def changelist_view(self, request, extra_context=None):
        # Of the user's accounts, whatever the search or filters: one EXISTS query.
        no_customers = not self.get_queryset(request).exists()
        return super().changelist_view(
            request, {**(extra_context or {}), "no_customers": no_customers}
        )

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

    def init_request_context_data(self, request, form):
        context = super().init_request_context_data(request, form)
        context["xlsx_rows_warning"] = xlsx_rows_warning(
            customers=self.get_export_queryset(request)
        )
        return context

    def _do_file_export(self, file_format, request, queryset, export_form=None):
        """django-import-export's export (the export page's last step, after its form,
        filters and our scoping), with the rows read and written by customers/
        admin_export.py instead of a resource call per cell: an account of 270,000
        customers ran past gunicorn's timeout (docs/decisions.md). The ticked fields of
        CustomerExportResource, in its order, give the columns."""
        resource = self.choose_export_resource_class(export_form, request)(
            **self.get_export_resource_kwargs(request)
        )
        fields = resource.get_export_fields(self.get_export_resource_fields_from_form(export_form))
        response = export_response(
            customers=queryset, fields=fields, file_format=file_format, encoding=self.to_encoding
        )
        filename = self.get_export_filename(request, queryset, file_format)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        post_export.send(sender=None, model=self.model)
        return response

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
    # Of those the import gave, removed since by an earlier import's rollback (it deleted
    # the customers they were given to); the *_count above are those still there, which
    # this import's rollback removes.
    enrollments_taken: int = 0
    credits_taken: int = 0
    # Each such rollback, said under the count it lowers.
    enrollments_taken_said: list[str] = field(default_factory=list)
    credits_taken_said: list[str] = field(default_factory=list)

    @property
    def enrollments_given(self) -> int:
        return self.enrollments_count + self.enrollments_taken

    @property
    def credits_given(self) -> int:
        return self.credits_count + self.credits_taken

    @property
    def credits_have_items(self) -> bool:
        """Whether a listed credit is a buy-X campaign's: only then has it an item."""
        return any(credit.campaign.type == Campaign.Type.BUYX for credit in self.credits)


def import_effects(state: UndoState, chunks: list[UndoChunk] | None = None) -> ImportEffects:
    """`chunks`: the state's undo chunks in order, if read already (payloads deferred)."""
    effects = ImportEffects()
    created_ids: list[int] = []
    seen_created: set[int] = set()
    written: set[int] = set()
    # The first SHOWN_ROWS written customers, by the chunk that holds their earliest record.
    listed: dict[int, list[int]] = {}
    if chunks is None:
        chunks = _chunks_of(state)
    for index, chunk in enumerate(chunks):
        # The summary: the previous values are read only for the customers listed.
        summary = chunk.unpack_summary()
        for pk in summary["created"]:
            seen_created.add(pk)
            if len(created_ids) < SHOWN_ROWS:
                created_ids.append(pk)
        for pk, *_rest in summary["written"]:
            # The earliest record is the state before the import.
            if pk in seen_created or pk in written:
                continue
            written.add(pk)
            if len(written) <= SHOWN_ROWS:
                listed.setdefault(index, []).append(pk)
    effects.written_count = len(written)
    first_before: dict[int, dict] = {}
    for index, ids in listed.items():
        payload = chunks[index].unpack_lists()
        wanted = set(ids)
        for pk, _version, before in payload["written"]:
            if pk in wanted and pk not in first_before:
                first_before[pk] = dict(zip(payload["columns"], before, strict=True))
    first_before = {pk: first_before[pk] for ids in listed.values() for pk in ids}
    effects.created_count = len(seen_created)
    customers = Customer.objects.filter(
        account_id=state.account_id, pk__in=[*created_ids, *first_before]
    ).in_bulk()
    effects.created = [(pk, customers.get(pk)) for pk in created_ids]
    # A customer deleted since is named by the code it had before the import (the shop's
    # name for it), not by its database number (shop owner, ninth run).
    effects.written = [
        (pk, customers.get(pk), _differences(before, customers.get(pk)), before.get("code"))
        for pk, before in first_before.items()
    ]
    enrollments = Enrollment.objects.filter(undo_state=state)
    effects.enrollments_count = enrollments.count()
    effects.enrollments = list(
        enrollments.select_related("campaign", "customer").order_by("id")[:SHOWN_ROWS]
    )
    credits = credits_given(undo_state=state)
    effects.credits_count = credits.count()
    effects.credits = list(
        credits.select_related("campaign", "customer", "item").order_by("id")[:SHOWN_ROWS]
    )
    if state.status == UndoState.Status.UNDOABLE:
        _add_taken(effects, state)
    return effects


def _add_taken(effects: ImportEffects, state: UndoState) -> None:
    """What earlier imports' rollbacks removed of what `state` gave, counted and said
    under the count of each (enrollments, credits)."""
    for rollback, enrollments, credits in taken_by_rollbacks(undo_state=state):
        effects.enrollments_taken += enrollments
        effects.credits_taken += credits
        if enrollments:
            effects.enrollments_taken_said.append(
                say(words.TAKEN_BY_ROLLBACK, count=enrollments, pk=rollback.pk)
            )
        if credits:
            effects.credits_taken_said.append(
                say(words.TAKEN_BY_ROLLBACK, count=credits, pk=rollback.pk)
            )


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


def nothing_to_undo(effects: ImportEffects) -> bool:
    return not (
        effects.created_count
        or effects.written_count
        or effects.enrollments_count
        or effects.credits_count
    )


def rollback_plan(effects: ImportEffects, plan: RollbackPlan) -> list[str]:
    """What a rollback will do, sentence by sentence: the customers as `plan` counts them
    now (those still there), the enrollments and credits the import gave (`effects`), and
    what was given after the import to the customers it added (deleted with them)."""
    said = [
        say(words.WILL_DELETE, count=plan.deleted),
        say(words.WILL_RESTORE, count=plan.restored),
    ]
    if plan.gone:
        said.append(say(words.WILL_NOT_BRING_BACK, count=plan.gone))
    said.extend(
        say(words.WILL_LEAVE_AS_IS, count=count, pk=pk) for pk, count in plan.left_as_is.items()
    )
    said.append(
        say(words.WILL_REMOVE, enrollments=effects.enrollments_count, credits=effects.credits_count)
    )
    later = plan.later
    if later.enrollments or later.credits:
        pks = sorted(later.by_import)
        imports = (
            say(words.WILL_REMOVE_LATER_IMPORTS, count=len(pks), pks=_listed(pks)) if pks else ""
        )
        said.append(
            say(
                words.WILL_REMOVE_LATER,
                enrollments=later.enrollments,
                credits=later.credits,
                imports=imports,
            )
        )
    return said


def _listed(pks: list[int]) -> str:
    """ "4", "4 and 6", "4, 6 and 9"."""
    said = [str(pk) for pk in pks]
    return said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"


def rollback_done(state: UndoState) -> list[str]:
    """What the rollback of `state` did, sentence by sentence."""
    who = state.rolled_back_by.get_username() if state.rolled_back_by else UNKNOWN_USER
    when = state.rolled_back_at
    lines = [
        words.ROLLED_BACK_ON.format(
            when=shown_time(when) if when else words.UNKNOWN_TIME,
            who=who,
        )
    ]
    result = state.rollback_result
    if not result:
        return [*lines, words.ROLLED_BACK_UNKNOWN]
    left_as_is = [
        say(words.DID_LEAVE_AS_IS, count=count, pk=pk)
        for pk, count in result.get("left_as_is", {}).items()
    ]
    return [
        *lines,
        say(words.DID_DELETE, count=result["deleted"]),
        say(words.DID_RESTORE, count=result["restored"]),
        *left_as_is,
        say(
            words.DID_REMOVE,
            enrollments=result["enrollments_removed"],
            credits=result["credits_removed"],
        ),
    ]


def parameter_rows(state: UndoState) -> list[tuple[str, str]]:
    """(label, value) of each parameter of the import, in shop words. An admin import that
    recorded how it read its file says so as its preview did ("Read as", "Dates in the
    file"), not by the delimiter the engine was given (an XLSX has none), and lists the
    columns it read, not the ones it left unread."""
    rows = []
    # An import from the API or the command line named its campaigns by id: its page says
    # them so, for the integrator who sent it (docs/decisions.md).
    campaigns = campaign_names(state, with_ids=state.source != UndoState.Source.ADMIN)
    left_off = NOT_AN_ADMIN_IMPORTS if state.source == UndoState.Source.ADMIN else ()
    recorded = state.parameters.get("file_read")
    if recorded:
        left_off = (*left_off, "delimiter")
    for name, value in state.parameters.items():
        if name in left_off or name in NEVER_SHOWN:
            continue
        if name == "file_read":
            rows.extend(_file_read_rows(FileRead.of(value), state.parameters.get("delimiter")))
            continue
        if name == "headers" and recorded:
            value = _columns_read(value, FileRead.of(recorded).header_texts)
        label = PARAMETER_LABELS.get(name, capfirst(name.replace("_", " ")))
        rows.append((label, _parameter_value(name, value, campaigns)))
    return rows


def _columns_read(headers: list[str | None], texts: tuple[str, ...]) -> list[str]:
    """The columns the import read, by the file's own header texts when it recorded them
    (a shop owner read "code, first_name" for a file headed "Customer Code, Given Name")."""
    if len(texts) != len(headers):
        texts = tuple(column or "" for column in headers)
    return [text for text, column in zip(texts, headers, strict=True) if column is not None]


def _file_read_rows(file_read: FileRead, delimiter: str | None) -> list[tuple[str, str]]:
    return [
        (READ_AS, read_as(file_read.kind, file_read.encoding, delimiter or ",")),
        (DATE_CHOICE, DATE_ORDER_LABELS[DateOrder(file_read.date_order)]),
    ]


def campaign_names(state: UndoState, *, with_ids: bool = False) -> dict[str, str]:
    """The import's campaigns by campaign id, as shop staff read them (shop_names), or
    `with_ids`, each with the id its request named it by. The undo states' list has read
    them for its whole page already (UndoStateChangeList)."""
    known = getattr(state, "campaigns_named", None)
    if known is not None and not with_ids:
        return known
    campaigns = list(
        Campaign.objects.filter(
            account_id=state.account_id,
            campaign_id__in=state.parameters.get("campaigns_to_include") or [],
        )
    )
    if with_ids:
        return {campaign.campaign_id: campaign.name_with_id for campaign in campaigns}
    names = shop_names(campaigns)
    return {campaign.campaign_id: names[campaign.pk] for campaign in campaigns}


def name_campaigns_of(states: list[UndoState]) -> None:
    """Read the campaigns of all `states` in one query (and their accounts' names in one
    more), for campaign_names(): a list page of 100 undo states asked 100 queries, one per
    row, before."""
    wanted = {
        (state.account_id, campaign_id)
        for state in states
        for campaign_id in state.parameters.get("campaigns_to_include") or []
    }
    found: dict[tuple[int, str], Campaign] = {}
    if wanted:
        for campaign in Campaign.objects.filter(
            account_id__in={account_id for account_id, _ in wanted},
            campaign_id__in={campaign_id for _, campaign_id in wanted},
        ):
            found[(campaign.account_id, campaign.campaign_id)] = campaign
    names = shop_names(found.values())
    for state in states:
        state.campaigns_named = {  # type: ignore[attr-defined]
            campaign_id: names[found[(state.account_id, campaign_id)].pk]
            for campaign_id in state.parameters.get("campaigns_to_include") or []
            if (state.account_id, campaign_id) in found
        }


class StatusFilter(admin.SimpleListFilter):
    """The status as the list's column says it (UndoState.status_shown): "Nothing to roll
    back" lists the imports whose every line failed and the undoable ones that changed
    nothing, not under Undoable (a shop owner found those listed as undoable, then read
    "Nothing to undo" here for what the column said "Nothing to roll back"). Needs the
    queryset's gave_enrollments and gave_credits."""

    title = "status"
    parameter_name = "status"
    NOTHING = UndoState.Status.NOTHING_WRITTEN
    # The choice's earlier value, in addresses staff may have kept.
    EARLIER_NOTHING = "nothing_to_undo"

    def lookups(self, request, model_admin):
        others = [choice for choice in UndoState.Status.choices if choice[0] != self.NOTHING]
        undoable, *rest = others
        return [undoable, (self.NOTHING.value, self.NOTHING.label), *rest]

    def queryset(self, request, queryset):
        value = self.value()
        nothing = UndoState.changed_nothing_condition()
        if value in (self.NOTHING, self.EARLIER_NOTHING):
            return queryset.filter(Q(status=self.NOTHING) | nothing)
        if value == UndoState.Status.UNDOABLE:
            return queryset.filter(status=value).exclude(nothing)
        if value in UndoState.Status.values:
            return queryset.filter(status=value)
        return queryset


class UndoStateChangeList(ChangeList):
    def get_results(self, request) -> None:
        super().get_results(request)
        name_campaigns_of(list(self.result_list))


def import_origin(state: UndoState) -> str:
    """Which import it was, for a list of them: its file (admin, command line) or "API",
    then its campaigns by name."""
    origin = state.parameters.get("file_name") or state.get_source_display()
    campaigns = import_campaigns(state)
    return f"{origin} · {campaigns}" if campaigns else origin


def import_campaigns(state: UndoState) -> str:
    """The import's campaigns by name, in its order, or "" if it had none."""
    names = campaign_names(state)
    shown = [names.get(id, str(id)) for id in state.parameters.get("campaigns_to_include") or []]
    return ", ".join(shown)


def _parameter_value(name: str, value, campaigns: dict[str, str]) -> str:
    if name == "delimiter":
        return DELIMITERS.get(value, repr(value))
    if name == "overwrite_duplicates":
        return OVERWRITE_MODES.get(value, str(value))
    if name == "card_number_generate":
        return f"{value} digits" if value else "no"
    if name == "campaigns_to_include":
        shown = [campaigns.get(id, str(id)) for id in value]
        return ", ".join(shown) or "none"
    if name == "headers":
        return ", ".join(NOT_READ if column is None else str(column) for column in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "":
        return "—"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


# The undo state page's counts and parameters, said for staff: shown, and never edited.
UNDO_STATE_SAID_FIELDS = [
    "new_said",
    "updated_said",
    "unchanged_said",
    "ignored_said",
    "failed_said",
    "repeated_said",
    "parameters_shown",
]


@admin.register(UndoState)
class UndoStateAdmin(LinksForViewerMixin, AccountScopedAdminMixin, admin.ModelAdmin):
    """Undo states are history: listed and shown, never added, edited or deleted here; the
    one thing done with them is a rollback, confirmed on its own page."""

    # Narrow enough for 1280 px beside the navigation and the filters (the browser test
    # checks): when, by whom and from where in one column, and the change list template's
    # tighter cells.
    list_display = [
        "import_link",
        "account_listed",
        "created",
        "new_said",
        "updated_listed",
        "ignored_said",
        "failed_said",
        "status_said",
    ]
    list_filter = [("account", AccountFilter), StatusFilter, "source"]
    list_select_related = ["account", "user"]
    # The account by the name the list shows, or by its slug.
    search_fields = ["=id", "account__name", "account__slug", "user__username"]
    # The account by its name, the users by theirs, each a link only for a user who may
    # open its page (core/admin_links.py).
    fields = [
        "account_shown",
        "imported",
        "created_at",
        "user_shown",
        "source",
        "status_said",
        "rolled_back_at",
        "rolled_back_by_shown",
        *UNDO_STATE_SAID_FIELDS,
    ]
    readonly_fields = [
        "account_shown",
        "user_shown",
        "rolled_back_by_shown",
        "imported",
        "status_said",
        *UNDO_STATE_SAID_FIELDS,
    ]
    actions = ["roll_back_selected"]
    change_form_template = "admin/customers/undostate/change_form.html"
    change_list_template = "admin/customers/undostate/change_list.html"
    rollback_template = "admin/customers/undostate/rollback_confirmation.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_changelist(self, request, **kwargs):
        return UndoStateChangeList

    def get_fields(self, request, obj=None):
        """Repeated only for an import that had such lines, as its preview said them."""
        fields = super().get_fields(request, obj)
        if obj is None or shop_counts(obj).repeated:
            return fields
        return [name for name in fields if name != "repeated_said"]

    def get_queryset(self, request) -> QuerySet:
        """With whether each import gave an enrollment or a credit: what its status says
        (UndoState.status_shown) without a query per row."""
        given = {"undo_state": OuterRef("pk")}
        return (
            super()
            .get_queryset(request)
            .annotate(
                gave_enrollments=Exists(Enrollment.objects.filter(**given)),
                gave_credits=Exists(credits_given(**given)),
            )
        )

    def has_rollback_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("customers.rollback_undostate")

    # The row's link (its first column): "Import 4" and the file it came from, which is
    # what staff look for and clicked (shop owner: the file name was no link).
    @admin.display(description="import", ordering="id")
    def import_link(self, state: UndoState) -> str:
        file_name = state.parameters.get("file_name")
        if not file_name:
            return f"Import {state.pk}"
        return format_html("Import {}<br>{}", state.pk, file_name)

    @admin.display(description="created", ordering="created_at")
    def created(self, state: UndoState) -> str:
        user = state.user.get_username() if state.user else UNKNOWN_USER
        campaigns = import_campaigns(state)
        return format_html(
            "{}<br>by {} ({}){}",
            shown_time(state.created_at),
            user,
            state.get_source_display(),
            format_html("<br>{}", campaigns) if campaigns else "",
        )

    # Updated and Unchanged as the import's preview counted them (customers/import_counts.py);
    # the row's `updated` stays the contract's count, which holds both.
    # Every count with thousands separators, as staff read them elsewhere ("New 98,986").
    @admin.display(description=LABELS["new"], ordering="new")
    def new_said(self, state: UndoState) -> str:
        return f"{state.new:,}"

    @admin.display(description=LABELS["ignored"], ordering="ignored")
    def ignored_said(self, state: UndoState) -> str:
        return f"{shop_counts(state).ignored:,}"

    @admin.display(description=LABELS["repeated"])
    def repeated_said(self, state: UndoState) -> str:
        return f"{state.repeated:,}"

    @admin.display(description=LABELS["failed"], ordering="failed")
    def failed_said(self, state: UndoState) -> str:
        return f"{state.failed:,}"

    @admin.display(description=LABELS["updated"])
    def updated_said(self, state: UndoState) -> str:
        return f"{shop_counts(state).updated:,}"

    # The list has no room for a column more (1280 px): Unchanged under Updated.
    @admin.display(description=LABELS["updated"], ordering="updated")
    def updated_listed(self, state: UndoState) -> str:
        counts = shop_counts(state)
        if not counts.unchanged:
            return f"{counts.updated:,}"
        unchanged = f"{counts.unchanged:,} {LABELS['unchanged'].lower()}"
        return format_html("{}<br>{}", f"{counts.updated:,}", unchanged)

    @admin.display(description=LABELS["unchanged"])
    def unchanged_said(self, state: UndoState) -> str:
        return NOT_COUNTED if state.unchanged is None else f"{state.unchanged:,}"

    # By its name, as the import's title says it (the slug is the platform's and the API's).
    @admin.display(description="account", ordering="account__name")
    def account_listed(self, state: UndoState) -> str:
        return state.account.display_name

    @admin.display(description="account")
    def account_shown(self, state: UndoState) -> str:
        return linked(state.account, state.account.display_name)

    @admin.display(description="user")
    def user_shown(self, state: UndoState) -> str:
        return linked(state.user, state.user.get_username()) if state.user else UNKNOWN_USER

    @admin.display(description="rolled back by")
    def rolled_back_by_shown(self, state: UndoState) -> str:
        # The admin's empty value, as "rolled back at" shows it: the change page writes a
        # method's None as "None" (shop owner, ninth run), the list as the empty value.
        by = state.rolled_back_by
        return linked(by, by.get_username()) if by else self.get_empty_value_display()

    @admin.display(description="status", ordering="status")
    def status_said(self, state: UndoState) -> str:
        return state.status_shown()

    @admin.display(description="file and campaigns")
    def imported(self, state: UndoState) -> str:
        return import_origin(state)

    @admin.display(description="parameters")
    def parameters_shown(self, state: UndoState) -> str:
        rows = parameter_rows(state)
        if not rows:
            return "—"
        # One line each beside the label, as the balances (a list stood 160 px off).
        return format_html_join(mark_safe("<br>"), "{}: {}", rows)

    def get_urls(self):
        rollback = path(
            "<path:object_id>/rollback/",
            self.admin_site.admin_view(self.rollback_view),
            name="customers_undostate_rollback",
        )
        conflicts_csv = path(
            "<path:object_id>/rollback/conflicts.csv",
            self.admin_site.admin_view(self.conflicts_csv_view),
            name="customers_undostate_rollback_conflicts",
        )
        failed_lines = path(
            "<path:object_id>/failed-lines/",
            self.admin_site.admin_view(self.failed_lines_view),
            name="customers_undostate_failed_lines",
        )
        return [conflicts_csv, rollback, failed_lines, *super().get_urls()]

    def failed_lines_view(self, request, object_id):
        """The import's failed lines as the imported file was written: line, its columns,
        then `error` (customers/failed_lines_file.py)."""
        state = self.get_object(request, unquote(object_id))
        if state is None or not self.has_view_permission(request, state):
            raise Http404("No such import.")
        chunks, content_type = failed_lines_file(state)
        response = StreamingHttpResponse(chunks, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{failed_lines_filename(state)}"'
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        state = self.get_object(request, unquote(object_id))
        extra_context = extra_context or {}
        if state is not None:
            if has_failed_lines(state):
                extra_context["failed_lines_url"] = self._url("failed_lines", state.pk)
            effects = import_effects(state)
            extra_context["effects"] = effects
            extra_context["unchanged_lines"] = _unchanged_lines(state, effects)
            extra_context["nothing_to_undo"] = nothing_to_undo(effects)
            extra_context["all_failed"] = _all_failed(state)
            extra_context["nothing_to_roll_back"] = words.NOTHING_TO_ROLL_BACK
            extra_context["pruned_effects"] = words.PRUNED_EFFECTS
            if state.status == UndoState.Status.ROLLED_BACK:
                extra_context["rollback_done"] = rollback_done(state)
            extra_context["can_roll_back"] = (
                state.status == UndoState.Status.UNDOABLE
                and not nothing_to_undo(effects)
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
            if form.is_valid():
                done = self._confirmed(request, state, form.cleaned_data)
                if done:
                    return redirect(done)
        # Read once for both: the summaries of a 100,000-row import take a while to unpack.
        chunks = _chunks_of(state)
        effects = import_effects(state, chunks)
        overview = conflict_overview(undo_state=state, shown=SHOWN_CONFLICTS, chunks=chunks)
        total = sum(overview.kinds.values())
        context = {
            **self.admin_site.each_context(request),
            "title": f"Roll back import {state.pk}",
            "not_undoable": why_not_undoable(state),
            "opts": self.opts,
            "object": state,
            "effects": effects,
            "plan": rollback_plan(effects, plan_rollback(undo_state=state, chunks=chunks)),
            "nothing_to_undo": nothing_to_undo(effects),
            "all_failed": _all_failed(state),
            "nothing_to_roll_back": words.NOTHING_TO_ROLL_BACK,
            "no_conflicts": words.NO_CONFLICTS,
            # Only the first few: a page that grew with the import was unusable at 100,000.
            "conflicts": _hand_edits_named(state, overview.first),
            "conflict_count": overview.customers,
            "conflict_count_said": _conflict_count_said(overview),
            "later_imports": _later_imports_said(state, overview.first),
            "conflicts_cut": (
                say(words.CONFLICTS_SHOWN, shown=SHOWN_CONFLICTS, count=total)
                if total > SHOWN_CONFLICTS
                else ""
            ),
            "form": RollbackForm(initial={"seen_conflicts": overview.digest}),
            "confirm_label": words.CONFIRM_LABEL,
        }
        return TemplateResponse(request, self.rollback_template, context)

    def conflicts_csv_view(self, request, object_id):
        """Every conflict the confirmation page counts, as a CSV file."""
        state = self.get_object(request, unquote(object_id))
        if state is None:
            raise Http404("No such import.")
        if not self.has_view_permission(request, state):
            raise PermissionDenied
        conflicts = find_conflicts(undo_state=state)

        def rows():
            out = _Line()
            writer = csv.writer(out)
            writer.writerow(CONFLICTS_CSV_HEADER)
            yield out.take()
            for conflict in conflicts:
                # Staff open this file in a spreadsheet: a code like =HYPERLINK(...) must
                # not run (customers/spreadsheet.py).
                writer.writerow(
                    [
                        neutralised(value)
                        for value in (
                            conflict.customer_code,
                            words.CONFLICT_KINDS[conflict.code],
                            conflict.reason,
                        )
                    ]
                )
                yield out.take()

        response = StreamingHttpResponse(_with_bom(rows()), content_type="text/csv; charset=utf-8")
        name = f"import-{state.pk}-rollback-conflicts.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def _url(self, view: str, pk: int) -> str:
        return reverse(f"{self.admin_site.name}:customers_undostate_{view}", args=[pk])

    def _confirmed(self, request, state: UndoState, data: dict) -> str:
        """The rollback as confirmed, when its conflicts are still those shown: run now, or
        for a large import handed to a job (customers/rollback_background.py). The URL to
        go on to (the undo state, or the job's page), or "" with the reason shown."""
        seen = conflict_overview(undo_state=state, shown=0).digest
        if data["seen_conflicts"] != seen:
            self.message_user(request, CONFLICTS_CHANGED, messages.ERROR)
            return ""
        handler = background_rollback(state)
        try:
            if handler is not None:
                url = handler(
                    state=state,
                    user=signed_in(request.user),
                    overwrite_conflicts=data["overwrite_conflicts"],
                    seen_conflicts=seen,
                )
                self.message_user(request, ROLLBACK_QUEUED.format(pk=state.pk), messages.INFO)
                return url
            result = roll_back(
                undo_state=state,
                user=signed_in(request.user),
                overwrite_conflicts=data["overwrite_conflicts"],
            )
        except DomainError as refused:  # RollbackRefused, a job refused (queued, caps)
            self.message_user(request, refused.message, messages.ERROR)
            return ""
        message = rolled_back_said(state.pk, result.counts())
        log_rollback(user_id=request.user.pk, state=state, message=message)
        self.message_user(request, message, messages.SUCCESS)
        return self._url("change", state.pk)


def _with_bom(lines: Iterator[str]) -> Iterator[str]:
    yield EXCEL_BOM
    yield from lines


class _Line:
    """What csv.writer writes, taken line by line for a streamed download."""

    def __init__(self):
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def take(self) -> str:
        text, self.text = self.text, ""
        return text


def _unchanged_lines(state: UndoState, effects: ImportEffects) -> str:
    """The note saying why fewer customers were changed than lines Updated, if so: lines
    that wrote a customer another line of the file had written (or added) too, or, for an
    import recorded before Unchanged was counted, also the lines that changed nothing."""
    updated = shop_counts(state).updated
    if state.status != UndoState.Status.UNDOABLE or updated <= effects.written_count:
        return ""
    note = words.UNCHANGED_LINES if state.unchanged is None else words.REPEATED_LINES
    return say(note, count=updated - effects.written_count, updated=updated)


def _all_failed(state: UndoState) -> str:
    if state.failed and not (state.new or state.updated or state.ignored):
        return say(words.ALL_LINES_FAILED, failed=state.failed)
    return ""


def _conflict_count_said(overview: ConflictOverview) -> str:
    said = say(words.CONFLICT_COUNT, count=overview.customers)
    if len(overview.kinds) < 2:
        return said
    kinds = "; ".join(
        say(words.CONFLICT_KINDS_COUNTED[kind], count=n) for kind, n in overview.kinds.items()
    )
    overlap = sum(overview.kinds.values()) > overview.customers
    template = words.CONFLICT_KINDS_OVERLAP_SAID if overlap else words.CONFLICT_KINDS_SAID
    return f"{said} {template.format(kinds=kinds)}"


def _hand_edits_named(state: UndoState, conflicts: list[Conflict]) -> list[Conflict]:
    """`conflicts` (the few a page lists), each customer changed after the import that was
    last saved in the admin after it said so, with when and by whom, from the admin's
    change log (one query); the others keep "changed after the import"."""
    changed = {c.customer_id for c in conflicts if c.code == ConflictCode.CHANGED}
    if not changed:
        return conflicts
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Customer),
        object_id__in=[str(pk) for pk in changed],
        action_flag=CHANGE,
        action_time__gt=state.created_at,
    ).select_related("user")
    last: dict[int, LogEntry] = {}
    for entry in entries.order_by("action_time", "id"):
        last[int(entry.object_id or 0)] = entry
    named = []
    for conflict in conflicts:
        edit = last.get(conflict.customer_id) if conflict.code == ConflictCode.CHANGED else None
        if edit is None:
            named.append(conflict)
            continue
        # A customer the import added says so in its reason (rollback.py's _conflict).
        created = conflict.reason == words.CHANGED_CREATED_REASON.format(
            code=conflict.customer_code
        )
        template = words.CHANGED_CREATED_BY_HAND_REASON if created else words.CHANGED_BY_HAND_REASON
        reason = template.format(
            code=conflict.customer_code,
            when=shown_time(edit.action_time),
            who=edit.user.get_username() if edit.user else UNKNOWN_USER,
        )
        named.append(dataclasses.replace(conflict, reason=reason))
    return named


def _later_imports_said(state: UndoState, conflicts: list[Conflict]) -> list[str]:
    """The later, still undoable imports that wrote customers of the listed conflicts,
    each said with what to do: roll it back first."""
    codes = {conflict.customer_id: conflict.customer_code for conflict in conflicts}
    said = []
    for later, ids in later_imports(undo_state=state, customer_ids=codes):
        who = later.user.get_username() if later.user else UNKNOWN_USER
        said.append(
            say(
                words.LATER_IMPORT,
                count=len(ids),
                codes=", ".join(codes[pk] for pk in ids),
                pk=later.pk,
                who=who,
                origin=import_origin(later),
            )
        )
    return said


def _chunks_of(state: UndoState) -> list[UndoChunk]:
    """The state's undo chunks in order, without their previous values (read when needed)."""
    return list(state.chunks.order_by("seq").defer("payload"))
