"""Who is importing: DRF authentication classes for API 1.0 and API 1.5.

The credentials name an account as well as a user (`account_id`), so a successful
authentication gives (user, account): `request.auth` is the account these credentials may
import into. The checks themselves, with their failure throttle, are accounts'
(accounts/credentials.py); a failure raises its domain error, which the exception handler
answers with 401 or 429.
"""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from accounts.credentials import authenticate_importer
from core.errors import InvalidRequest
from customers.batch.params import api_version

from .params import loose_params

# API 1.5's key may come in a header instead of user_api_key; the header wins.
API_KEY_HEADER = "HTTP_API_ACCESS_KEY"
SECRET_PARAMETERS = frozenset({"user_password", "user_api_key", "api_access_key"})
CREDENTIALS_IN_URL = (
    "Send credentials in the POST body, never in the URL: URLs end up in logs. Nothing was done."
)


def uses_api_key(params: dict[str, str]) -> bool:
    """API 1.5 authenticates by API key, 1.0 by password; InvalidRequest for another
    version, before any credential is looked at (it would have been tried as 1.0)."""
    return api_version(params) == "1.5"


def refuse_credentials_in_url(request: Request) -> None:
    """InvalidRequest when the query string carries a secret: it would be logged."""
    if any(name.lower() in SECRET_PARAMETERS for name in request.query_params):
        raise InvalidRequest(CREDENTIALS_IN_URL)


class _ImporterAuthentication(BaseAuthentication):
    by_api_key = False

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        params = loose_params(request.POST)
        if uses_api_key(params) != self.by_api_key:
            return None
        credential = self.credential(request, params)
        return authenticate_importer(
            user_id=params.get("user_id", ""),
            password=None if self.by_api_key else credential,
            api_key=credential if self.by_api_key else None,
            account_identifier=params.get("account_id", ""),
            client_address=request.META.get("REMOTE_ADDR", ""),
        )

    def authenticate_header(self, request: Request) -> str:
        # Credentials travel in the form; the realm only tells clients that 401 means them.
        return 'Form realm="api"'

    def credential(self, request: Request, params: dict[str, str]) -> str:
        raise NotImplementedError


class PasswordAuthentication(_ImporterAuthentication):
    """API 1.0: `user_id` and `user_password`."""

    def credential(self, request: Request, params: dict[str, str]) -> str:
        return params.get("user_password", "")


class ApiKeyAuthentication(_ImporterAuthentication):
    """API 1.5: `user_id` and the API key, from the `api_access_key` header (also spelled
    `api-access-key`) or else the `user_api_key` parameter."""

    by_api_key = True

    def credential(self, request: Request, params: dict[str, str]) -> str:
        return request.META.get(API_KEY_HEADER) or params.get("user_api_key", "")
