"""A background import's request on its way to the worker: the checked BatchRequest (its
lines and options, never the caller's credentials) and the import's source, saved through
Django's storage API (the import_jobs storage: a private folder by default, S3 on several
machines), encrypted with AES-GCM under settings.JOBS_KEY so that the copy reveals no
customer password or PIN to whoever can read the folder or the bucket, and removed when
the job ends."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
from typing import NamedTuple

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

from customers.batch.types import BatchRequest, FileRead, OverwriteMode

NONCE_BYTES = 12
# Between the saved body's JSON and its lines: orjson writes no raw line break.
LINES_AFTER = b"\n"
# What the key is derived for, so the SECRET_KEY-derived key serves nothing else.
KEY_PURPOSE = b"loyalty.jobs.body.v1"


class BodyUnreadable(Exception):
    """The saved body is gone or was not written with this key."""


def storage() -> Storage:
    return storages["import_jobs"]


class SavedImport(NamedTuple):
    request: BatchRequest
    source: str
    # An admin import's file header row (its values are read as the admin reads them,
    # customers/spreadsheet.py), or None for the API's.
    file_headers: list[str] | None


def save_body(
    job_id: str, request: BatchRequest, source: str, file_headers: list[str] | None = None
) -> tuple[str, int]:
    """Save the import of job `job_id`; returns the name to load it by and its bytes."""
    fields = dataclasses.asdict(request)
    # The lines go after the JSON as bytes, not in it: bytes that were not text in the
    # request's encoding are kept as lone surrogates (surrogateescape), which JSON cannot
    # hold (orjson refused them and the submission answered 500; integrator's high), and
    # the synchronous import reports them as line errors, so the job must see them too.
    data = fields.pop("data").encode("utf-8", "surrogateescape")
    meta = orjson.dumps({"request": fields, "source": source, "file_headers": file_headers})
    plain = meta + LINES_AFTER + data
    nonce = os.urandom(NONCE_BYTES)
    sealed = nonce + AESGCM(_key()).encrypt(nonce, plain, job_id.encode())
    return storage().save(f"{job_id}.body", ContentFile(sealed)), len(sealed)


def load_body(job_id: str, name: str) -> SavedImport:
    """What save_body saved for this job."""
    try:
        with storage().open(name, "rb") as saved:
            sealed = saved.read()
    except FileNotFoundError as missing:
        raise BodyUnreadable(f"the saved request body {name} is missing") from missing
    try:
        plain = AESGCM(_key()).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], job_id.encode())
    except InvalidTag as wrong:
        raise BodyUnreadable(
            f"the saved request body {name} was not written with this server's JOBS_KEY"
        ) from wrong
    meta, _, data = plain.partition(LINES_AFTER)
    saved = orjson.loads(meta)
    fields = saved["request"]
    if "data" not in fields:
        # The lines, after the JSON (a body saved before they moved there holds them in it).
        fields["data"] = data.decode("utf-8", "surrogateescape")
    request = BatchRequest(
        **{
            **fields,
            "overwrite": OverwriteMode(fields["overwrite"]),
            "campaign_ids": tuple(fields["campaign_ids"]),
            "headers": tuple(fields["headers"]),
            "file_read": FileRead.of(fields["file_read"]) if fields.get("file_read") else None,
        }
    )
    return SavedImport(request, saved["source"], saved.get("file_headers"))


def delete_body(name: str) -> None:
    if name:
        storage().delete(name)


def _key() -> bytes:
    configured = settings.JOBS_KEY
    if configured:
        key = base64.urlsafe_b64decode(configured)
        if len(key) != 32:
            raise ValueError("LOYALTY_JOBS_KEY must be 32 bytes in urlsafe base64")
        return key
    return hashlib.sha256(KEY_PURPOSE + settings.SECRET_KEY.encode()).digest()
