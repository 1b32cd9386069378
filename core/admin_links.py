"""Links from an admin page to another object's page, shown only to a user who may open
it: a shop's staff without the permission to view campaigns (or accounts, or users) read
the name as plain text, not a link that answers 403 (shop owner's report, issue 14)."""

from contextvars import ContextVar
from typing import Any

from django.contrib.auth.models import AnonymousUser, PermissionsMixin
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

# The user the page being rendered is for; None outside LinksForViewerMixin's views.
_viewer: ContextVar = ContextVar("admin_viewer", default=None)


Viewer = PermissionsMixin | AnonymousUser | None


def may_view(user: Viewer, obj: Model) -> bool:
    """Whether `user` may open `obj`'s admin page (the view or the change permission)."""
    opts = obj._meta
    return user is not None and any(
        user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
        for action in ("view", "change")
    )


def linked(obj: Model | None, text: str | None = None, *, user: Viewer = None) -> str:
    """`text` (str(obj) when None) as a link to `obj`'s admin page if the page's user (or
    `user`) may view it, else as plain text; "—" for no object."""
    if obj is None:
        return "—"
    text = str(obj) if text is None else text
    user = user if user is not None else _viewer.get()
    if not may_view(user, obj):
        return text
    opts = obj._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return text
    return format_html('<a href="{}">{}</a>', url, text)


class LinksForViewerMixin:
    """A ModelAdmin whose change page renders linked() for the signed-in user: a readonly
    field's display method is given the object alone, so the user is set for the render."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        token = _viewer.set(request.user)
        try:
            response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
            if hasattr(response, "render"):
                response.render()
            return response
        finally:
            _viewer.reset(token)
