"""Background imports in the admin: the account's jobs, listed, and each job's progress
page (a live bar: lines done, lines in all, time left; then the result with the failed
lines to download). The page polls `progress.json`, so it keeps going when the user
leaves and comes back: the job lives in the database, not in the page.

The admin's import hands a large file off to a job through import_in_background, which
jobs/apps.py registers with customers.admin_import, and redirects to the job's page; its
rollback of a large import likewise through rollback_in_background
(customers.rollback_background). A job refused by the account's caps is said in shop
words."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse

from accounts.admin_filters import AccountFilter
from accounts.models import Account
from accounts.users import User
from core.admin_scoping import AccountScopedAdminMixin
from core.errors import OverLimit
from core.moments import shown_time
from customers.admin import rollback_done
from customers.batch.types import BatchRequest
from customers.models import UndoState
from customers.spreadsheet import neutralised

from . import messages as m
from .models import ImportJob
from .service import job_progress, submit_import_job, submit_rollback_job

# Who may import customers in the admin (customers/admin.py), or roll imports back, sees
# the jobs it makes.
IMPORT_PERMISSIONS = ("customers.add_customer", "customers.change_customer")
ROLLBACK_PERMISSION = "customers.rollback_undostate"


def progress_url(job: ImportJob) -> str:
    return reverse("admin:jobs_importjob_progress", args=[job.pk])


def import_in_background(
    *, account: Account, user: User, request: BatchRequest, file_headers: list[str]
) -> str:
    """customers.admin_import's hand-off of a large confirmed file: a job with source
    "admin", whose values are read as the admin reads them; the URL of its page."""
    try:
        job = submit_import_job(
            account=account,
            user=user,
            request=request,
            source=UndoState.Source.ADMIN,
            file_headers=file_headers,
        )
    except OverLimit as over:
        raise in_shop_words(over, IMPORT_WORDS) from over
    return progress_url(job)


def rollback_in_background(
    *, state: UndoState, user: User, overwrite_conflicts: bool, seen_conflicts: str
) -> str:
    """customers.rollback_background's hand-off of a large import's confirmed rollback: a
    rollback job; the URL of its page."""
    try:
        job = submit_rollback_job(
            state=state,
            user=user,
            overwrite_conflicts=overwrite_conflicts,
            seen_conflicts=seen_conflicts,
        )
    except OverLimit as over:
        raise in_shop_words(over, ROLLBACK_WORDS) from over
    return progress_url(job)


# The caps' refusals (the API's words) as shop staff read them, for an import, a rollback.
IMPORT_WORDS = {
    m.TOO_MANY_JOBS: m.ADMIN_TOO_MANY_JOBS,
    m.TOO_MANY_BODY_BYTES: m.ADMIN_TOO_MANY_BODY_BYTES,
}
ROLLBACK_WORDS = {m.TOO_MANY_JOBS: m.ROLLBACK_TOO_MANY_JOBS}


def in_shop_words(over: OverLimit, words: dict[str, str]) -> OverLimit:
    template = words.get(over.template or "")
    return OverLimit.worded(template, **over.details) if template else over


def job_title(job: ImportJob) -> str:
    """What the job is and when it was submitted: "Import of spring.csv, 2026-12-02 16:30
    UTC", "Rollback of import 17 (spring.csv), ...", "Import from the API, ..."."""
    when = shown_time(job.created_at)
    if job.kind == ImportJob.Kind.ROLLBACK:
        file = f" ({job.file_name})" if job.file_name else ""
        return m.ROLLBACK_TITLE.format(pk=job.undo_state_id, file=file, when=when)
    if job.file_name:
        return m.IMPORT_TITLE.format(file=job.file_name, when=when)
    return m.API_IMPORT_TITLE.format(when=when)


def rolled_back_imports(jobs: list[ImportJob]) -> dict[int, UndoState]:
    """The undo states, by id, of the imports of `jobs` that were rolled back since: one
    query for a page of jobs."""
    ids = {
        state
        for job in jobs
        if job.kind == ImportJob.Kind.IMPORT
        and job.status == ImportJob.Status.DONE
        and (state := _import_undo_state(job)) is not None
    }
    if not ids:
        return {}
    states = UndoState.objects.filter(pk__in=ids, status=UndoState.Status.ROLLED_BACK)
    return states.select_related("rolled_back_by").in_bulk()


def _rolled_back_state(job: ImportJob, states: dict[int, UndoState]) -> UndoState | None:
    state = _import_undo_state(job) if job.kind == ImportJob.Kind.IMPORT else None
    return None if state is None else states.get(state)


def _import_undo_state(job: ImportJob) -> int | None:
    """The undo state an import job's answer names, if any."""
    state = (job.result or {}).get("undo_state")
    return state if isinstance(state, int) else None


class ImportJobChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        states = rolled_back_imports(list(self.result_list))
        for job in self.result_list:
            job.rolled_back_state = _rolled_back_state(job, states)


# What a job's page shows, all read-only.
JOB_FIELDS = (
    "kind",
    "account",
    "user",
    "status",
    "lines_done",
    "lines_total",
    "attempts",
    "error",
    "created_at",
    "started_at",
    "finished_at",
)


@admin.register(ImportJob)
class ImportJobAdmin(AccountScopedAdminMixin, admin.ModelAdmin):
    """Jobs are history, like undo states: listed and shown, never added or edited here."""

    # Titled by what and when, newest first; narrow enough for 1280 px beside the filters.
    list_display = ["title", "account_shown", "user", "status_shown", "lines"]
    list_display_links = ["title"]
    list_filter = [("account", AccountFilter), "kind", "status"]
    change_list_template = "admin/jobs/importjob/change_list.html"
    list_select_related = ["account", "user"]
    ordering = ["-created_at"]
    fields = JOB_FIELDS
    readonly_fields = JOB_FIELDS

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ImportJobChangeList

    @admin.display(description="job", ordering="created_at")
    def title(self, job: ImportJob) -> str:
        return job_title(job)

    # By its name, as the import history names it (the slug is the platform's and the API's).
    @admin.display(description="account", ordering="account__name")
    def account_shown(self, job: ImportJob) -> str:
        return job.account.display_name

    @admin.display(description="status", ordering="status")
    def status_shown(self, job: ImportJob) -> str:
        if getattr(job, "rolled_back_state", None) is not None:
            return m.ROLLED_BACK_STATUS
        return job.get_status_display()

    @admin.display(description="lines")
    def lines(self, job: ImportJob) -> str:
        return f"{job.lines_done:,} of {job.lines_total:,}"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Staff who may import or roll back follow the jobs their imports and rollbacks
        # become (of their accounts).
        user = request.user
        return (
            super().has_view_permission(request, obj)
            or user.has_perms(IMPORT_PERMISSIONS)
            or user.has_perm(ROLLBACK_PERMISSION)
        )

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path(
                "<uuid:job_id>/progress/", view(self.progress_view), name="jobs_importjob_progress"
            ),
            path(
                "<uuid:job_id>/progress.json",
                view(self.progress_data_view),
                name="jobs_importjob_progress_data",
            ),
            path(
                "<uuid:job_id>/failed-lines.csv",
                view(self.failed_lines_view),
                name="jobs_importjob_failed_lines",
            ),
            *super().get_urls(),
        ]

    def change_view(
        self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        # The job's page is its progress page.
        job = self._job(request, object_id)
        return self.progress_view(request, job.pk)

    def progress_view(self, request: HttpRequest, job_id: Any) -> HttpResponse:
        job = self._job(request, job_id)
        progress = self._progress(request, job)
        rolled_back = _rolled_back_state(job, rolled_back_imports([job]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": job_title(job),
            "job": job,
            "progress": progress,
            "rolled_back": rollback_done(rolled_back) if rolled_back is not None else [],
            "data_url": reverse("admin:jobs_importjob_progress_data", args=[job.pk]),
        }
        return TemplateResponse(request, "admin/jobs/importjob/progress.html", context)

    def progress_data_view(self, request: HttpRequest, job_id: Any) -> JsonResponse:
        return JsonResponse(self._progress(request, self._job(request, job_id)))

    def _progress(self, request: HttpRequest, job: ImportJob) -> dict[str, Any]:
        """job_progress, its failed lines the job's own list for a user who may not see
        undo states (whose file has every failed line with its values)."""
        progress = job_progress(job)
        if _rolled_back_state(job, rolled_back_imports([job])) is not None:
            progress["status_said"] = m.ROLLED_BACK_STATUS
        if not request.user.has_perm("customers.view_undostate"):
            progress["failed_lines_url"] = reverse(
                "admin:jobs_importjob_failed_lines", args=[job.pk]
            )
        return progress

    def failed_lines_view(self, request: HttpRequest, job_id: Any) -> HttpResponse:
        """The job's line errors as CSV: line, field, message."""
        job = self._job(request, job_id)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["line", "field", "message"])
        for line, field, message in (job.result or {}).get("errors", []):
            # Staff open it in a spreadsheet; a message may quote a value as sent.
            writer.writerow([line, neutralised(field or ""), neutralised(message)])
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-failed-lines.csv"'
        return response

    def _job(self, request: HttpRequest, job_id: Any) -> ImportJob:
        if not self.has_view_permission(request):
            raise PermissionDenied
        # get_object reads the id as the primary key's field does: one that is no UUID
        # (typed into the change page's address) finds no job, as a missing one.
        job = self.get_object(request, str(job_id))
        if job is None:
            raise Http404("No such import job.")
        return job
