"""Who may decide a member's role: the one rule the admin's membership forms and deletions
apply. A membership's power changes whenever it is added, deleted, or any of its fields
(account, user, role, is_active) changes; each such change is the same decision."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .models import Membership

ROLE_CHANGE_REFUSED = (
    "Only an owner of this account adds, changes, deactivates or removes a membership, "
    "and nobody changes their own."
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


def may_change_membership(*, actor: Any, sides: Iterable[tuple[int | None, int | None]]) -> bool:
    """Whether `actor` may make a change that touches each (account id, member id) of
    `sides`: the membership as it was and as it would be (one side for an add or a
    delete). Every side must pass may_set_role: moving a membership to another account or
    member needs an owner of both."""
    return all(
        may_set_role(actor=actor, account_id=account_id, member_id=member_id)
        for account_id, member_id in set(sides)
    )
