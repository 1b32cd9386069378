"""The admin preview's warning that the uploaded file is one already imported.

An admin import records the SHA-256 of the file's bytes with its undo state
(parameters["file_sha256"], BatchRequest.file_sha256); a preview of a file with the same
digest, for the same account, names the newest such import that still stands (not rolled
back, and one that wrote something), since confirming gives its credits a second time.
Only the preview warns: confirming stays allowed (a shop may mean to credit twice). A file
of the same name but other bytes is not warned of: shops reuse names such as clients.csv
for every month's file (docs/decisions.md, "The same file imported twice").
"""

from __future__ import annotations

import hashlib

from django.core.files import File
from django.db.models import Count, Sum

from accounts.models import Account
from campaigns.models import Campaign
from campaigns.selectors import credits_given
from core.moments import shown_time
from core.wording import say

from .models import UndoState
from .preview_sample import amount_said
from .rollback_messages import UNKNOWN_USER

SAME_FILE = (
    "This file is the same as import {pk} of {file}, made {when} by {who}, which is not "
    "rolled back: confirming imports it again{credits}."
)
SAME_FILE_CREDITS = " and gives its {what} in {campaign} again"
# The statuses of an import that stands: undoable, or kept without its undo data.
STANDING = (UndoState.Status.UNDOABLE, UndoState.Status.PRUNED)


def file_digest(uploaded: File) -> str:
    """What the undo state keeps of the file to know it again: its bytes' SHA-256, read a
    chunk at a time (no second copy of a large upload while its preview runs)."""
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    return digest.hexdigest()


def same_file_warning(*, account: Account, digest: str) -> str:
    """The warning the preview shows when `account` already imported a file of `digest`
    that stands, or ''."""
    earlier = (
        UndoState.objects.filter(
            account=account, parameters__file_sha256=digest, status__in=STANDING
        )
        .select_related("user")
        .order_by("-created_at", "-id")
        .first()
    )
    if earlier is None:
        return ""
    who = earlier.user.get_username() if earlier.user else UNKNOWN_USER
    return say(
        SAME_FILE,
        pk=str(earlier.pk),
        file=earlier.parameters.get("file_name") or "a file",
        when=shown_time(earlier.created_at),
        who=who,
        credits=_credits_said(earlier),
    )


def _credits_said(earlier: UndoState) -> str:
    """What the earlier import credited, in its credit campaign's unit, or ''."""
    given = (
        credits_given(undo_state=earlier)
        .values("campaign")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("-count")
        .first()
    )
    if given is None:
        return ""
    campaign = Campaign.objects.get(pk=given["campaign"])
    amount = given["count"] if campaign.type == Campaign.Type.BUYX else given["total"]
    return SAME_FILE_CREDITS.format(
        what=amount_said(campaign, amount), campaign=campaign.display_name
    )
