"""Admin import previews waiting to be confirmed: kept in the database, so any app server
sharing it can confirm them, encrypted, so a copy of the database (or of its disk) holds no
row of an upload, password or PIN included, without the secret key, which is not stored
with it.

The key is derived from SECRET_KEY (HKDF-SHA256, with a purpose of its own), and the
payload is the request zlib-compressed and sealed with Fernet (AES-128-CBC with
HMAC-SHA256, from `cryptography`); SECRET_KEY_FALLBACKS still open previews made before a
key rotation. A preview belongs to the user who uploaded it, expires after
LOYALTY["IMPORT_PREVIEW_SECONDS"] (an hour) and is taken, i.e. deleted, by its
confirmation; expired previews are purged whenever a preview is made, and by
`manage.py purge_import_previews`. Each stores its whole upload, so a user keeps at most
PREVIEWS_PER_USER of them: a new preview removes that user's older ones beyond it.
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import zlib
from typing import Any

import orjson
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.utils import timezone

from accounts.models import Account
from accounts.users import User

from .models import ImportPreview

KEY_PURPOSE = b"loyalty admin import previews"
# The previews one user may have waiting (a preview, a corrected file, a second tab): each
# holds a whole upload (up to LOYALTY_MAX_REQUEST_BYTES) for an hour.
PREVIEWS_PER_USER = 3


def save_preview(*, user: User, account: Account, request: dict[str, Any]) -> str:
    """Keep `request` (JSON-serialisable) for `user` until it expires; its token."""
    now = timezone.now()
    purge_expired_previews(now=now)
    token = secrets.token_urlsafe(32)
    # The standard library's JSON, not orjson: orjson reserves about 16 bytes a character
    # of a long string while it writes it (64 MB for a 4 MB upload); this one 2.
    text = json.dumps(request, ensure_ascii=False, separators=(",", ":")).encode()
    payload = _fernet().encrypt_at_time(zlib.compress(text), int(now.timestamp()))
    del text
    ImportPreview.objects.create(
        token=token,
        user=user,
        account=account,
        expires_at=now + datetime.timedelta(seconds=_lifetime()),
        payload=payload,
    )
    newest = ImportPreview.objects.filter(user=user).order_by("-expires_at", "-pk")
    older = newest.values_list("pk", flat=True)[PREVIEWS_PER_USER:]
    ImportPreview.objects.filter(pk__in=list(older)).delete()
    return token


def take_preview(*, user: User, token: str) -> tuple[Account, dict[str, Any]] | None:
    """The account and request of `user`'s unexpired preview `token`, removed so that it is
    confirmed once; None if there is none (expired, taken, someone else's)."""
    now = timezone.now()
    preview = (
        ImportPreview.objects.filter(token=token, user=user, expires_at__gt=now)
        .select_related("account")
        .first()
    )
    if preview is None:
        return None
    # Only the request that deletes the row confirms it, however many arrive at once.
    deleted, _ = ImportPreview.objects.filter(pk=preview.pk).delete()
    if not deleted:
        return None
    try:
        data = _fernet().decrypt_at_time(bytes(preview.payload), _lifetime(), int(now.timestamp()))
    except InvalidToken:
        return None
    return preview.account, orjson.loads(zlib.decompress(data))


def purge_expired_previews(*, now: datetime.datetime | None = None) -> int:
    """Delete every expired preview; how many there were."""
    deleted, _ = ImportPreview.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


def _lifetime() -> int:
    return settings.LOYALTY["IMPORT_PREVIEW_SECONDS"]


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_derived_key(key)) for key in keys])


def _derived_key(secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=KEY_PURPOSE)
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))
