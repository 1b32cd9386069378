"""Importing customers from a CSV or XLSX file in the admin, through the API's engine.

The file's format, encoding and delimiter are found from its content
(customers/import_file.py); its first row names the fields as the API's profiles_header_N
do, so every rule of the contract applies unchanged: the file becomes a customers_batch
request. A preview runs it with validate_only and keeps the request, encrypted, in the
database (customers/pending.py); confirming runs it for real, recorded as an undo state
with source "admin": in the request, or, for a file of more than
LOYALTY["ADMIN_BACKGROUND_LINES"] lines, as a background job handed to the app registered
with register_background_import (the jobs app, which the layers put above this one). The
engine's request errors name API parameters; shop staff read their file's columns, so
they are worded again here (ADMIN_WORDS), from the structured details the engine gives
with them.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Set
from typing import Any, Protocol, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from accounts.models import Account, Membership
from accounts.users import User, signed_in
from campaigns.models import Campaign
from core.errors import DomainError, InvalidRequest
from core.wording import say

from .batch import messages as m
from .batch.params import parse_batch_request
from .batch.parse import CSV_FIELD_LIMIT
from .batch.pipeline import active_campaigns
from .batch.service import import_customers
from .batch.types import (
    BatchRequest,
    FileRead,
    ImportResult,
    LineError,
    OverwriteMode,
    ValuesRead,
    errors_of_first_lines,
)
from .code_capitals import capitals_warning
from .column_help import import_columns
from .columns import emptied_by_replace
from .date_orders import DATE_ORDER_LABELS, DateOrder, with_dates_converted
from .file_headers import (
    ONE_UNKNOWN,
    ONE_UNKNOWN_SUGGESTION,
    FileHeaders,
    column_label,
    file_headers,
)
from .future_dates import FutureDates, future_date_warning
from .import_counts import credits_said, shop_counts
from .import_file import ImportFile, read_as, read_import_file
from .line_words import DATE_CHOICE, credit_as_written, date_hint, in_shop_words
from .models import UndoState
from .original_lines import OriginalLines, ShownLineError, line_said
from .pending import save_preview, take_preview
from .preview_sample import PreviewSample
from .repeated_codes import CodeLines, repeated_code_warnings
from .same_file import file_digest, same_file_warning
from .spreadsheet import LINE_COLUMN, columns_read

PREVIEW_ERRORS_SHOWN = 200

# The overwrite_duplicates values (the API's) in shop words: the form's choices, the undo
# state's parameters.
MODE_LABELS = {
    OverwriteMode.IGNORE: "Skip customers already here",
    OverwriteMode.UPDATE: "Update the columns in the file",
    OverwriteMode.YES: "Replace: also empty every field the file does not have",
}
ERRORS_CUT_OFF = (
    "The first {shown:,} of {failed:,} failed lines are listed; after you confirm, all of them "
    "can be downloaded from the import's page."
)
# Said before the Confirm button, with the first FAILING_SHOWN_FIRST failing lines.
FAILING_SUMMARY = (
    "{failed:line} will fail and {failed:is/are} not imported; confirming imports the others.{more}"
)
# Said instead when no line would be imported: confirming imports none of "the others".
ALL_FAILING_SUMMARY = (
    "Every line will fail ({failed:line}), so confirming imports nothing: fix the file and "
    "upload it again.{more}"
)
FAILING_FIRST_LISTED = (
    ' The first {shown:,} are here; all of them are under "Lines that will fail" below the button.'
)
FAILING_FIRST_OF_MANY = (
    ' The first {shown:,} are here and the first {listed:,} under "Lines that will fail" below '
    "the button; after you confirm, all of them can be downloaded from the import's page."
)
FAILING_SHOWN_FIRST = 3
REPLACE_WARNING = (
    "Replace is chosen: confirming empties these fields of the {updated:customer} "
    "updated, because the file has no column for them: {fields}."
)


class BackgroundImport(Protocol):
    """Queues a confirmed admin import as a background job and returns the URL of the
    page that follows it. `file_headers` are the file's own header row, from which the job
    reads its values as this module does (customers/spreadsheet.py, columns_read)."""

    def __call__(
        self, *, account: Account, user: User, request: BatchRequest, file_headers: list[str]
    ) -> str: ...


# Set by the jobs app (jobs/apps.py); None: every confirmed import runs in the request.
_background_import: BackgroundImport | None = None


def register_background_import(handler: BackgroundImport | None) -> None:
    """Hand confirmed imports above the threshold to `handler` (None: to no one)."""
    global _background_import
    _background_import = handler


def runs_in_background(batch: BatchRequest) -> bool:
    """Whether a confirmed import of `batch` goes to a background job: when one can take
    it and the file has more lines than LOYALTY["ADMIN_BACKGROUND_LINES"] (counted from its
    line breaks: a few milliseconds for the largest file)."""
    limit = settings.LOYALTY["ADMIN_BACKGROUND_LINES"]
    return _background_import is not None and data_lines(batch) > limit


def data_lines(batch: BatchRequest) -> int:
    """About the lines of the file below its header row (blank lines between them count)."""
    text = batch.data.strip()
    return text.count("\n") + 1 if text else 0


EMPTY_FILE = "The file has no header row."
FILE_TOO_LARGE = (
    "The file is larger than {limit} MB, the most one import takes: split it into smaller files."
)
PENDING_GONE = "This import preview has expired or was already confirmed; upload the file again."
NOT_THIS_ACCOUNTS_CAMPAIGN = "Choose campaigns of the account {account}."
# The campaign chosen first ticked again among the others (a shop owner's report).
CHOSEN_TWICE = (
    '{campaign} is already the campaign chosen above: untick it under "Also enroll in" '
    "(customers are enrolled in it once, and its credits go to it)."
)
QUEUED = (
    "The import of {lines:,} lines runs in the background: this page follows it, and you "
    "can leave it and come back: Import jobs lists it."
)
# {counts}: customers/import_counts.py's words, the preview's.
# The page it leads to is the import's own, under Import history (UndoState's verbose name).
IMPORTED = (
    "Imported: {counts}.{credits} This page shows what the import did; if it changed "
    "anything, Roll back undoes it."
)
# Every line failed (customers/undo.py: NOTHING_WRITTEN): there is nothing to roll back.
NOTHING_IMPORTED = (
    "Nothing was imported: all {failed} lines failed. Download them from this page, fix "
    "them and import that file again."
)

# The engine's request errors that a file can cause, in the words of the file's reader:
# columns by number and name, rows, the file; never a profiles_header_N or Profiles_Data.
ADMIN_WORDS = {
    # The header row is checked first (customers/file_headers.py), all its columns at once;
    # these say the engine's own checks of it in the same words. (A field named twice is
    # refused there, naming both columns, before the engine could see it.)
    m.UNKNOWN_FIELD: ONE_UNKNOWN,
    m.UNKNOWN_FIELD_SUGGESTION: ONE_UNKNOWN_SUGGESTION,
    m.HEADER_GAP: (
        "Columns {first} and {second} have no name in the header row: name them, or delete "
        "them (a single column without a name is skipped)."
    ),
    m.HEADER_NUMBER_TOO_HIGH: (
        "The file has more than {limit} columns; an import reads at most {limit}."
    ),
    m.TOO_MANY_LINES: "The file has more than {limit:,} rows; split it into smaller files.",
    m.TOO_MANY_BLANK_LINES: (
        "The file has more than {limit:,} empty rows; delete them, or split the file."
    ),
    # {ids}: the campaigns by name (admin_message), as the form lists them.
    m.UNKNOWN_CAMPAIGNS: (
        "A chosen campaign is no longer active in this account ({ids}); nothing was imported. "
        "Choose the campaigns again."
    ),
}
NO_DATA_ROWS = "The file has no rows below its header row."
# Line errors whose words are the API's (Profiles_Data) or Python's, as the file's reader
# reads them. A quote left open far from the file's end makes a value longer than the
# engine reads, which Python's csv module reports in its own words.
QUOTE_NOT_CLOSED = (
    'a value opened with " on this line is never closed, so the rest of the file was read '
    'as part of it: close the quote, or double a quote inside a quoted value ("")'
)
LINE_WORDS = {
    m.QUOTE_NOT_CLOSED: QUOTE_NOT_CLOSED,
    m.UNREADABLE_LINE.format(
        reason=f"field larger than field limit ({CSV_FIELD_LIMIT})"
    ): QUOTE_NOT_CLOSED,
}


def admin_message(error: DomainError, *, account: Account | None = None) -> str:
    """The error as shop staff read it: in their file's words where the engine's name API
    parameters, else the engine's own message; campaigns of `account` by their names."""
    if error.template == m.MISSING_PARAMETER and error.details.get("name") == "Profiles_Data":
        return NO_DATA_ROWS
    words = ADMIN_WORDS.get(error.template or "")
    if not words:
        return error.message
    details = dict(error.details)
    if error.template == m.UNKNOWN_CAMPAIGNS and account is not None:
        names = campaign_names(account, details.get("missing") or [])
        details["ids"] = ", ".join(names.get(cid, cid) for cid in details.get("missing") or [])
    return words.format(**details)


def campaign_names(account: Account, campaign_ids: list[str]) -> dict[str, str]:
    """The account's campaigns of these ids by the name staff know them by, active or not."""
    campaigns = Campaign.objects.filter(account=account, campaign_id__in=campaign_ids)
    return {campaign.campaign_id: campaign.display_name for campaign in campaigns}


def admin_line_error(error: LineError, upload: ImportFile) -> LineError:
    """The line error as shop staff read it: the file's line or row, in the file's words."""
    return dataclasses.replace(
        error,
        line=upload.file_line(error.line),
        message=LINE_WORDS.get(error.message, error.message),
    )


class CustomerImportForm(forms.Form):
    account = forms.ModelChoiceField(queryset=Account.objects.none())
    campaign = forms.TypedChoiceField(
        coerce=int,
        help_text="Every imported customer is enrolled in it; the file's points or credit to "
        "add (points, money or visits) are credited in it.",
    )
    other_campaigns = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        label="Also enroll in",
        widget=forms.CheckboxSelectMultiple,
        help_text="Customers are enrolled in these campaigns too; no credits go to them.",
    )
    overwrite_duplicates = forms.ChoiceField(
        label="Customers already here",
        choices=[(mode.value, MODE_LABELS[mode]) for mode in OverwriteMode],
        initial=OverwriteMode.UPDATE.value,
        help_text="A customer is already here when the file's code or card number is.",
    )
    date_order = forms.ChoiceField(
        # Not required: left out, dates are the contract's year-month-day.
        required=False,
        label=DATE_CHOICE,
        choices=[(order.value, DATE_ORDER_LABELS[order]) for order in DateOrder],
        initial=DateOrder.YMD.value,
        help_text="How the file writes its Birthday / custom date column. Excel cells "
        "formatted as dates are read as dates whatever you choose, and so is a date written "
        "2024-12-31.",
    )
    card_number_generate = forms.IntegerField(
        label="Generate card numbers of this many digits",
        required=False,
        min_value=4,
        max_value=32,
        help_text="Digits of generated card numbers for customers without one (optional).",
    )
    import_file = forms.FileField(
        help_text="A CSV file (comma, semicolon, tab or pipe between values; UTF-8 or "
        "Windows/Latin-1) or an Excel workbook (.xlsx, its first sheet). First row: the "
        "field names (code, card_number, first_name, ...), or the export's column names "
        "(Code, Card number, First name, ...)."
    )

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        # The account field declared above: a ModelChoiceField, though fields maps to Field.
        cast(forms.ModelChoiceField, self.fields["account"]).queryset = accounts
        accounts = list(accounts)
        if len(accounts) == 1:
            self.fields["account"].initial = accounts[0].pk
        choices = campaign_choices(accounts)
        if len(accounts) == 1 and len(choices) == 1:
            self.fields["campaign"].initial = choices[0][0]
        cast(forms.ChoiceField, self.fields["campaign"]).choices = [("", "---------"), *choices]
        cast(forms.ChoiceField, self.fields["other_campaigns"]).choices = choices

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        account, first = data.get("account"), data.get("campaign")
        if account is None or first is None:
            return data
        if first in data.get("other_campaigns", []):
            self.add_error("other_campaigns", CHOSEN_TWICE.format(campaign=_chosen_name(first)))
            return data
        chosen = [first, *data.get("other_campaigns", [])]
        campaigns = Campaign.objects.filter(account=account, is_active=True).in_bulk(chosen)
        if len(campaigns) != len(chosen):
            raise forms.ValidationError(NOT_THIS_ACCOUNTS_CAMPAIGN.format(account=account.slug))
        # The credit campaign first: campaigns_to_include's first id gets auto_add.
        data["campaign_ids"] = [campaigns[pk].campaign_id for pk in chosen]
        return data


def _chosen_name(pk: int) -> str:
    campaign = Campaign.objects.filter(pk=pk).first()
    return campaign.display_name if campaign else str(pk)


def account_campaigns(account: Account) -> list[Campaign]:
    return list(Campaign.objects.filter(account=account, is_active=True))


def campaign_choices(accounts: list[Account]) -> list:
    """The active campaigns of `accounts` by name, grouped by account when there are several."""
    by_account: dict[int, list[tuple[int, str]]] = {account.pk: [] for account in accounts}
    campaigns = Campaign.objects.filter(account__in=accounts, is_active=True).order_by(
        "name", "campaign_id"
    )
    shared = shared_names(list(campaigns))
    for campaign in campaigns:
        by_account[campaign.account_id].append((campaign.pk, campaign_label(campaign, shared)))
    if len(accounts) == 1:
        return by_account[accounts[0].pk]
    return [(account.slug, by_account[account.pk]) for account in accounts]


def shared_names(campaigns: list[Campaign]) -> set[tuple[int, str]]:
    """(account, name) of the names two of `campaigns` share: only those need their ids."""
    seen = Counter((campaign.account_id, campaign.name) for campaign in campaigns)
    return {key for key, count in seen.items() if count > 1}


def campaign_label(campaign: Campaign, shared: Set[tuple[int, str]] = frozenset()) -> str:
    """The campaign as staff know it: its name and type, with its id only when another
    campaign of the account shares the name (a shop owner asked what "id 898989889" was)."""
    kind = campaign.get_type_display()
    if not campaign.name:
        return f"{campaign.campaign_id} · {kind}"
    if (campaign.account_id, campaign.name) in shared:
        return f"{campaign.name} · {kind} · id {campaign.campaign_id}"
    return f"{campaign.name} · {kind}"


def importable_accounts(request: HttpRequest):
    """Accounts the user may import into: all for a superuser, else those where their
    membership has the import role (the same right the API asks for)."""
    if request.user.is_superuser:
        return Account.objects.order_by("slug")
    return Account.objects.filter(
        memberships__user=signed_in(request.user),
        memberships__is_active=True,
        memberships__role__in=Membership.IMPORT_ROLES,
    ).order_by("slug")


class InMemoryUploadHandler(MemoryFileUploadHandler):
    """Keeps the upload in memory whatever its size (the view has refused one larger than
    the request limit): a preview's rows are never written to a temporary file."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.activated = True


def import_view_for(model_admin) -> Callable[[HttpRequest], HttpResponse]:
    """The import page's view. It checks the body's size before anything reads it (CSRF
    protection reads the form, so it is applied after that check)."""

    @csrf_exempt
    def view(request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request.method == "POST" and _content_length(request) > limit:
            return _too_large(model_admin, request, limit)
        request.upload_handlers = [InMemoryUploadHandler(request)]
        return csrf_protect(lambda request: import_view(model_admin, request))(request)

    return view


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _too_large(model_admin, request: HttpRequest, limit: int) -> HttpResponse:
    _check_permission(model_admin, request)
    form = CustomerImportForm(accounts=importable_accounts(request))
    message = FILE_TOO_LARGE.format(limit=limit // (1024 * 1024) or 1)
    response = _render(
        model_admin,
        request,
        "import.html",
        {"form": form, "error": message, "columns": import_columns()},
    )
    response.status_code = 413
    return response


def _check_permission(model_admin, request: HttpRequest) -> None:
    if not (model_admin.has_add_permission(request) and model_admin.has_change_permission(request)):
        raise PermissionDenied


def import_view(model_admin, request: HttpRequest) -> HttpResponse:
    """Upload -> preview (validate_only) -> confirm -> import."""
    _check_permission(model_admin, request)
    if request.method == "POST" and "pending" in request.POST:
        return _confirm(model_admin, request)
    accounts = importable_accounts(request)
    form = CustomerImportForm(request.POST or None, request.FILES or None, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        account = form.cleaned_data["account"]
        try:
            uploaded = form.cleaned_data["import_file"]
            order = DateOrder(form.cleaned_data["date_order"] or DateOrder.YMD)
            read = read_import_file(uploaded.read())
            headers = file_headers(read.headers)
            upload = _with_dates(_named(read, headers), order)
            pending = {
                "file_name": uploaded.name,
                "file_sha256": file_digest(uploaded),
                "file_read": _file_read(read, order),
                "params": _params(form.cleaned_data, upload),
                "delimiter": upload.delimiter,
                "headers": upload.headers,
            }
            code_lines = CodeLines(
                _values_read(account, pending), _index(upload, "code"), _index(upload, "auto_add")
            )
            originals = OriginalLines(code_lines, _index(upload, LINE_COLUMN))
            future = FutureDates(
                originals, _index(upload, "custom_date"), today=timezone.localdate()
            )
            batch = _batch(account, pending)
            sample = _sample(account, batch, headers, code_lines)
            preview = import_customers(
                account=account,
                user=signed_in(request.user),
                request=dataclasses.replace(batch, validate_only=True),
                source=UndoState.Source.ADMIN,
                values_read=future,
                on_plan=sample,
            )
        except DomainError as error:
            form.add_error(None, admin_message(error, account=account))
        else:
            # Known once the preview has read every line: the import's failed-lines file
            # writes its credits back with the file's decimal comma.
            pending["file_read"]["decimal_comma"] = code_lines.decimal_comma
            token = save_preview(user=signed_in(request.user), account=account, request=pending)
            context = _preview_context(
                account, batch, upload, headers, order, preview, code_lines, future, originals
            )
            counts = shop_counts(preview)
            return _render(
                model_admin,
                request,
                "import_preview.html",
                {
                    "pending": token,
                    "account": account,
                    **context,
                    **sample.context(updated=counts.updated, new=counts.new),
                    "headers_read_as": headers.read_as(),
                    "same_file": same_file_warning(account=account, digest=pending["file_sha256"]),
                },
            )
    return _render(model_admin, request, "import.html", {"form": form, "columns": import_columns()})


def _preview_context(
    account: Account,
    batch: BatchRequest,
    upload: ImportFile,
    headers: FileHeaders,
    order: DateOrder,
    preview: ImportResult,
    code_lines: CodeLines,
    future: FutureDates,
    originals: OriginalLines,
) -> dict[str, Any]:
    """What the preview page shows: what the import will run with, what it will do, and
    the lines that will fail or share a code, numbered and named as the file's."""
    campaigns = {
        campaign.campaign_id: campaign
        for campaign in Campaign.objects.filter(account=account, campaign_id__in=batch.campaign_ids)
    }
    names = {campaign_id: campaign.display_name for campaign_id, campaign in campaigns.items()}
    shared = shared_names(account_campaigns(account))
    # The errors of the first PREVIEW_ERRORS_SHOWN failing lines, every error of each.
    listed = errors_of_first_lines(preview.errors, PREVIEW_ERRORS_SHOWN)
    line_label = "Row" if upload.kind == "XLSX" else "Line"
    shown: list[LineError] = [
        ShownLineError(
            worded.line,
            worded.field,
            worded.message,
            said=line_said(worded.line, originals.lines.get(error.line)),
        )
        for error in listed
        for worded in [
            as_written(
                in_shop_words(
                    admin_line_error(error, upload), headers, order, campaign_names=names
                ),
                error,
                code_lines,
            )
        ]
    ]
    return {
        "preview": preview,
        # Rows matching a customer that they leave as it is are Unchanged, not Updated.
        "counts": shop_counts(preview).rows(),
        "counts_help": shop_counts(preview).help(),
        "campaigns": [campaign_label(campaigns[cid], shared) for cid in batch.campaign_ids],
        "mode": MODE_LABELS[batch.overwrite],
        "date_order": DATE_ORDER_LABELS[order],
        "read_as": _read_as(upload),
        "line_label": line_label,
        "errors_cut_off": (
            ERRORS_CUT_OFF.format(shown=PREVIEW_ERRORS_SHOWN, failed=preview.failed)
            if preview.failed > PREVIEW_ERRORS_SHOWN
            else ""
        ),
        "replace_warning": _replace_warning(account, batch, preview),
        "date_hint": date_hint(listed, order),
        "code_capitals": capitals_warning(
            account=account,
            codes=code_lines.codes,
            errors=preview.errors,
            file_line=upload.file_line,
            line_label=line_label,
        ),
        "repeated_codes": repeated_code_warnings(
            account=account,
            codes=code_lines.codes,
            errors=preview.errors,
            mode=batch.overwrite,
            file_line=upload.file_line,
            credits=code_lines.credits,
            campaign=campaigns[batch.campaign_ids[0]],
        ),
        "future_dates": future_date_warning(
            dates=future.dates,
            errors=preview.errors,
            today=future.today,
            file_line=upload.file_line,
            line_label=line_label,
        ),
        "errors_shown": shown,
        "errors_first": errors_of_first_lines(shown, FAILING_SHOWN_FIRST),
        "failing_summary": _failing_summary(preview),
    }


def as_written(worded: LineError, error: LineError, code_lines: CodeLines) -> LineError:
    """`worded` quoting the credit as the file writes it ("12,50"), not as the import read
    it ("12.50"), when `error` is about a credit the import read otherwise."""
    written = code_lines.credits_written.get(error.line)
    if written is None:
        return worded
    return credit_as_written(worded, error, read=code_lines.credits[error.line], written=written)


def _failing_summary(preview: ImportResult) -> str:
    failed = preview.failed
    if not failed:
        return ""
    more = ""
    if failed > PREVIEW_ERRORS_SHOWN:
        more = say(FAILING_FIRST_OF_MANY, shown=FAILING_SHOWN_FIRST, listed=PREVIEW_ERRORS_SHOWN)
    elif failed > FAILING_SHOWN_FIRST:
        more = say(FAILING_FIRST_LISTED, shown=FAILING_SHOWN_FIRST)
    imported = preview.new + preview.updated + preview.ignored
    return say(ALL_FAILING_SUMMARY if not imported else FAILING_SUMMARY, failed=failed, more=more)


def _sample(
    account: Account, batch: BatchRequest, headers: FileHeaders, code_lines: CodeLines
) -> PreviewSample:
    """The on_plan hook that keeps what the preview lists of the dry run's plans; the
    first campaign gets the credits."""
    campaign = active_campaigns(account, batch.campaign_ids)[0]
    return PreviewSample(
        headers=headers, campaign=campaign, code_given=code_lines.codes.__contains__
    )


def _named(upload: ImportFile, headers: FileHeaders) -> ImportFile:
    """The upload with its header row in the API's names (`First Name` -> first_name)."""
    return dataclasses.replace(upload, headers=headers.names)


def _index(upload: ImportFile, name: str) -> int | None:
    """The column (from 0) of API header `name` in the upload, if it has one."""
    return upload.headers.index(name) if name in upload.headers else None


def _with_dates(upload: ImportFile, order: DateOrder) -> ImportFile:
    """The upload with its custom_date column written YYYY-MM-DD (customers/date_orders.py)."""
    column = _index(upload, "custom_date")
    if column is None:
        return upload
    data = with_dates_converted(upload.data, upload.delimiter, column, order)
    return dataclasses.replace(upload, data=data)


def _confirm(model_admin, request: HttpRequest) -> HttpResponse:
    taken = take_preview(user=signed_in(request.user), token=request.POST["pending"])
    changelist = reverse("admin:customers_customer_changelist")
    if taken is None:
        messages.error(request, PENDING_GONE)
        return HttpResponseRedirect(changelist)
    account, pending = taken
    if not importable_accounts(request).filter(pk=account.pk).exists():
        raise PermissionDenied
    try:
        batch = _batch(account, pending)
        if _background_import is not None and runs_in_background(batch):
            url = _background_import(
                account=account,
                user=signed_in(request.user),
                request=batch,
                file_headers=pending["headers"],
            )
            messages.info(request, QUEUED.format(lines=data_lines(batch)))
            return HttpResponseRedirect(url)
        result = import_customers(
            account=account,
            user=signed_in(request.user),
            request=batch,
            source=UndoState.Source.ADMIN,
            values_read=_values_read(account, pending),
        )
    except DomainError as error:
        messages.error(request, admin_message(error, account=account))
        return HttpResponseRedirect(changelist)
    messages.success(request, _imported_message(result))
    if result.undo_state_id is not None:
        return HttpResponseRedirect(
            reverse("admin:customers_undostate_change", args=[result.undo_state_id])
        )
    return HttpResponseRedirect(changelist)


def _replace_warning(account: Account, batch: BatchRequest, preview: ImportResult) -> str:
    """What a Replace import empties in the customers it updates, said before it does."""
    updated = shop_counts(preview).updated
    if batch.overwrite is not OverwriteMode.YES or not updated:
        return ""
    fields = emptied_by_replace(batch.headers, account.custom_field_count)
    if not fields:
        return ""
    labels = ", ".join(column_label(field) for field in fields)
    return say(REPLACE_WARNING, updated=updated, fields=labels)


def _batch(account: Account, pending: dict) -> BatchRequest:
    """The request a preview kept, checked by the API's rules. Its delimiter is the file's:
    the engine reads any one character, while the API's parameter names three, and
    spreadsheets also write semicolons."""
    batch = parse_batch_request(pending["params"], custom_field_count=account.custom_field_count)
    recorded = pending.get("file_read")
    return dataclasses.replace(
        batch,
        delimiter=pending["delimiter"],
        file_name=pending.get("file_name"),
        file_sha256=pending.get("file_sha256"),
        file_read=FileRead.of(recorded) if recorded else None,
    )


def _file_read(read: ImportFile, order: DateOrder) -> dict:
    """How the file was read, as its preview keeps it (JSON) and its undo state records it
    (customers/failed_lines_file.py gives the failed lines back so)."""
    file_read = FileRead(
        kind=read.kind,
        encoding=read.encoding,
        date_order=order.value,
        header_texts=tuple(read.headers),
    )
    return dataclasses.asdict(file_read)


def _values_read(account: Account, pending: dict) -> ValuesRead:
    """How the file's values are read: the export's account column checked and left
    unread, formula apostrophes taken off (customers/spreadsheet.py)."""
    return columns_read(pending["headers"], account=account)[1]


def _imported_message(result: ImportResult) -> str:
    if not result.new + result.updated + result.ignored:
        return NOTHING_IMPORTED.format(failed=result.failed)
    credits = credits_said(result.undo_state_id)
    return IMPORTED.format(counts=shop_counts(result).said(), credits=credits)


def _params(data: dict, upload: ImportFile) -> dict[str, str]:
    """The customers_batch parameters (lowercased) that the form and the file amount to; the
    delimiter is set from the file after they are checked (_batch)."""
    if not any(name.strip() for name in upload.headers):
        raise InvalidRequest(EMPTY_FILE)
    params = {
        "delimiter": "comma",
        "overwrite_duplicates": data["overwrite_duplicates"],
        "campaigns_to_include": "|,|".join(data["campaign_ids"]),
        "profiles_data": upload.data,
    }
    if data.get("card_number_generate"):
        params["card_number_generate"] = str(data["card_number_generate"])
    headers, _ = columns_read(upload.headers, account=data["account"])
    for number, name in enumerate(headers, start=1):
        params[f"profiles_header_{number}"] = str(name or "").strip()
    return params


def _read_as(upload: ImportFile) -> str:
    return read_as(upload.kind, upload.encoding, upload.delimiter)


def _render(model_admin, request, template: str, context: dict) -> TemplateResponse:
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "title": "Import customers",
        **context,
    }
    return TemplateResponse(request, f"admin/customers/customer/{template}", context)
