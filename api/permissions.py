"""May this request import into the account it names?"""

from __future__ import annotations

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import Account


class MayImportIntoAccount(BasePermission):
    """The credentials were accepted for an account (`request.auth`), which accounts grants
    only to an active user with an active owner or importer membership of it. That role
    check is part of the credential check itself (accounts/credentials.py), so that an
    attempt with the wrong role counts as a failure towards the throttle and gets the same
    answer as a wrong password; this class refuses any request that reaches a call without
    that grant."""

    def has_permission(self, request: Request, view: object) -> bool:
        return request.user is not None and isinstance(request.auth, Account)


def importing_account(request: Request) -> Account:
    """The account a permitted request imports into."""
    if not isinstance(request.auth, Account):
        raise TypeError("importing_account needs a request MayImportIntoAccount admitted")
    return request.auth
