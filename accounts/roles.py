"""Who may decide a member's role: the one rule the admin's membership forms apply."""

from __future__ import annotations

from typing import Any

from .models import Membership

ROLE_CHANGE_REFUSED = (
    "Only an owner of this account changes a member's role, and nobody changes their own."
)


def may_set_role(*, actor: Any, account_id: int | None, member_id: int | None) -> bool:
    """Whether `actor` may give the member `member_id` of account `account_id` a role: a
    superuser always; otherwise an active owner of that account, for someone else."""
    if actor.is_active and actor.is_superuser:
        return True
    if member_id == actor.pk or account_id is None:
        return False
    return Membership.objects.filter(
        account_id=account_id, user=actor, role=Membership.Role.OWNER, is_active=True
    ).exists()
