"""Importing customers from a CSV or XLSX file in the admin, through the API's engine.

The file is read with django-import-export's formats (tablib). Its first row names the
fields exactly as the API's profiles_header_N do, so every rule of the contract applies
unchanged: the file becomes a customers_batch request. A preview runs it with
validate_only; confirming runs it for real, recorded as an undo state with source "admin".
"""

import csv
import dataclasses
import datetime
import io
import json
import re
import uuid
from typing import cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from import_export.formats import base_formats
from import_export.tmp_storages import TempFolderStorage

from accounts.models import Account, Membership
from accounts.users import signed_in
from core.errors import DomainError, InvalidRequest

from .batch.params import parse_batch_request
from .batch.service import import_customers
from .batch.types import ImportResult, OverwriteMode
from .models import UndoState
from .spreadsheet import restored_dataset

FORMATS = {"csv": base_formats.CSV, "xlsx": base_formats.XLSX}
PENDING_NAME = re.compile(r"^loyalty-import-[0-9a-f]{32}$")
PREVIEW_ERRORS_SHOWN = 200

UNREADABLE_FILE = "The file cannot be read as {format}: {reason}"
EMPTY_FILE = "The file has no header row."
PENDING_GONE = "This import preview has expired or was already confirmed; upload the file again."
IMPORTED = (
    "Imported: {new} new, {updated} updated, {ignored} ignored, {failed} failed. "
    "It can be rolled back from its undo state."
)


class CustomerImportForm(forms.Form):
    account = forms.ModelChoiceField(queryset=Account.objects.none())
    campaigns = forms.CharField(
        label="Campaign ids",
        help_text="Separated by commas. auto_add credits go to the first one.",
    )
    overwrite_duplicates = forms.ChoiceField(
        choices=[(mode.value, mode.value) for mode in OverwriteMode],
        initial=OverwriteMode.UPDATE.value,
        help_text="ignore: skip existing customers; update: write the file's columns; "
        "yes: also blank every field the file does not have.",
    )
    card_number_generate = forms.IntegerField(
        required=False,
        min_value=4,
        max_value=32,
        help_text="Digits of generated card numbers for customers without one (optional).",
    )
    file_format = forms.ChoiceField(choices=[(key, key.upper()) for key in FORMATS])
    import_file = forms.FileField(
        help_text="First row: field names as in the API (code, card_number, first_name, ...)."
    )

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        # The account field declared above: a ModelChoiceField, though fields maps to Field.
        cast(forms.ModelChoiceField, self.fields["account"]).queryset = accounts


def importable_accounts(request: HttpRequest):
    """Accounts the user may import into: all for a superuser, else those where their
    membership has the import role (the same right the API asks for)."""
    if request.user.is_superuser:
        return Account.objects.all()
    return Account.objects.filter(
        memberships__user=signed_in(request.user),
        memberships__is_active=True,
        memberships__role__in=Membership.IMPORT_ROLES,
    )


def import_view(model_admin, request: HttpRequest) -> HttpResponse:
    """Upload -> preview (validate_only) -> confirm -> import."""
    if not (model_admin.has_add_permission(request) and model_admin.has_change_permission(request)):
        raise PermissionDenied
    if request.method == "POST" and "pending" in request.POST:
        return _confirm(model_admin, request)
    accounts = importable_accounts(request)
    form = CustomerImportForm(request.POST or None, request.FILES or None, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        try:
            params = _params_from_upload(form.cleaned_data)
            account = form.cleaned_data["account"]
            batch = parse_batch_request(params, custom_field_count=account.custom_field_count)
            preview = import_customers(
                account=account,
                user=signed_in(request.user),
                request=dataclasses.replace(batch, validate_only=True),
                source=UndoState.Source.ADMIN,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            pending = _save_pending(request, account, params)
            return _render(
                model_admin,
                request,
                "import_preview.html",
                {
                    "preview": preview,
                    "pending": pending,
                    "account": account,
                    "errors_shown": preview.errors[:PREVIEW_ERRORS_SHOWN],
                },
            )
    return _render(model_admin, request, "import.html", {"form": form})


def _confirm(model_admin, request: HttpRequest) -> HttpResponse:
    pending = _load_pending(request, request.POST["pending"])
    changelist = reverse("admin:customers_customer_changelist")
    if pending is None:
        messages.error(request, PENDING_GONE)
        return HttpResponseRedirect(changelist)
    account = importable_accounts(request).filter(pk=pending["account"]).first()
    if account is None:
        raise PermissionDenied
    try:
        batch = parse_batch_request(
            pending["params"], custom_field_count=account.custom_field_count
        )
        result = import_customers(
            account=account,
            user=signed_in(request.user),
            request=batch,
            source=UndoState.Source.ADMIN,
        )
    except DomainError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(changelist)
    messages.success(request, _imported_message(result))
    if result.undo_state_id is not None:
        return HttpResponseRedirect(
            reverse("admin:customers_undostate_change", args=[result.undo_state_id])
        )
    return HttpResponseRedirect(changelist)


def _imported_message(result: ImportResult) -> str:
    return IMPORTED.format(
        new=result.new, updated=result.updated, ignored=result.ignored, failed=result.failed
    )


def _params_from_upload(data: dict) -> dict[str, str]:
    """The customers_batch parameters (lowercased) that the uploaded file amounts to."""
    dataset = restored_dataset(
        _read_dataset(data["import_file"], data["file_format"]), account=data["account"]
    )
    if not dataset.headers or not any(dataset.headers):
        raise InvalidRequest(EMPTY_FILE)
    params = {
        "delimiter": "comma",
        "overwrite_duplicates": data["overwrite_duplicates"],
        "campaigns_to_include": "|,|".join(
            part.strip() for part in data["campaigns"].split(",") if part.strip()
        ),
        "profiles_data": _as_csv(dataset),
    }
    if data.get("card_number_generate"):
        params["card_number_generate"] = str(data["card_number_generate"])
    for number, name in enumerate(dataset.headers, start=1):
        params[f"profiles_header_{number}"] = str(name or "").strip()
    return params


def _read_dataset(upload, format_key: str):
    file_format = FORMATS[format_key]()
    content = upload.read()
    try:
        if not file_format.is_binary():
            content = content.decode("utf-8-sig")
        return file_format.create_dataset(content)
    except Exception as error:  # tablib and openpyxl raise many kinds; all mean "unreadable"
        reason = type(error).__name__
        raise InvalidRequest(
            UNREADABLE_FILE.format(format=format_key.upper(), reason=reason)
        ) from None


def _as_csv(dataset) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in dataset:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue()


def _cell(value) -> str:
    """A spreadsheet cell as the text the API would have been sent."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _save_pending(request: HttpRequest, account: Account, params: dict) -> str:
    """Keep the previewed request until it is confirmed; tied to the user who made it."""
    name = f"loyalty-import-{uuid.uuid4().hex}"
    record = {"user": request.user.pk, "account": account.pk, "params": params}
    TempFolderStorage(name=name, encoding="utf-8").save(json.dumps(record))
    return name


def _load_pending(request: HttpRequest, name: str) -> dict | None:
    if not PENDING_NAME.match(name):
        return None
    storage = TempFolderStorage(name=name, encoding="utf-8")
    try:
        record = json.loads(storage.read())
    except FileNotFoundError:
        return None
    if record["user"] != request.user.pk:
        return None
    storage.remove()
    return record


def _render(model_admin, request, template: str, context: dict) -> TemplateResponse:
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": opts,
        "title": "Import customers",
        **context,
    }
    return TemplateResponse(request, f"admin/customers/customer/{template}", context)
