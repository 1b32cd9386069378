"""Reads of accounts that other apps use."""

from django.db.models import Q

from .models import Account


def account_by_identifier(identifier: str) -> Account | None:
    """The account named by its slug or its 16-digit owner id, or None."""
    if not identifier:
        return None
    return Account.objects.filter(Q(slug=identifier) | Q(owner_id=identifier)).first()
