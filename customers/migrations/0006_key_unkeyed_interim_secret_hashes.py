"""Key the unkeyed interim hashes of customer passwords and PINs (docs/decisions.md).

The first interim hash, `interim_sha256$salt$sha256(salt + secret)`, can be checked against
a guess from a copy of the database alone: a 4-digit PIN falls in well under a second. Each
one left in a customer row or in undo data becomes `interim_keyed_blake2b$salt$` and that
digest's BLAKE2b keyed with SHA-256 of LOYALTY_CUSTOMER_SECRET_HASH_KEY, the keyed
interim hash customers.hashers writes now, without the plaintext:
the same secret verifies, and nothing in the database checks a guess without the key. Cheap
(one keyed BLAKE2b per value), so it runs here rather than waiting for harden_customer_secrets.

Self-contained on purpose (the key and the payload format are read here, not imported), so
later changes to the app's code do not change what this migration did.
"""

import hashlib
import zlib

import orjson
from django.conf import settings
from django.db import migrations

UNKEYED = "interim_sha256$"
KEYED = "interim_keyed_blake2b$"
SECRETS = ("customer_password", "customer_pin")
BATCH = 2000


def _keyed(value, key):
    if not isinstance(value, str) or not value.startswith(UNKEYED):
        return value
    _, salt, digest = value.split("$", 2)
    keyed = hashlib.blake2b(digest.encode(), key=key, digest_size=32).hexdigest()
    return f"{KEYED}{salt}${keyed}"


def key_unkeyed_hashes(apps, schema_editor):
    key = hashlib.sha256(settings.LOYALTY_CUSTOMER_SECRET_HASH_KEY.encode()).digest()
    Customer = apps.get_model("customers", "Customer")
    UndoChunk = apps.get_model("customers", "UndoChunk")
    for column in SECRETS:
        rows = Customer.objects.filter(**{f"{column}__startswith": UNKEYED}).order_by("id")
        last_id = 0
        while batch := list(rows.filter(id__gt=last_id).values_list("id", column)[:BATCH]):
            last_id = batch[-1][0]
            for pk, value in batch:
                Customer.objects.filter(pk=pk, **{column: value}).update(
                    **{column: _keyed(value, key)}
                )
    for chunk_id in UndoChunk.objects.order_by("id").values_list("id", flat=True):
        chunk = UndoChunk.objects.get(pk=chunk_id)
        raw = zlib.decompress(bytes(chunk.payload))
        if UNKEYED.encode() not in raw:
            continue
        data = orjson.loads(raw)
        for record in data["written"]:
            before = record[2]
            if isinstance(before, dict):
                for name in SECRETS:
                    if name in before:
                        before[name] = _keyed(before[name], key)
            else:
                for name in SECRETS:
                    if name in data.get("columns", []):
                        at = data["columns"].index(name)
                        before[at] = _keyed(before[at], key)
        UndoChunk.objects.filter(pk=chunk_id).update(
            payload=zlib.compress(orjson.dumps(data), 1)
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_undo_chunk_drop_redundant_index")]

    operations = [
        # Irreversible in effect: the unkeyed digests are not kept, so migrating back leaves
        # the keyed hashes in place.
        migrations.RunPython(key_unkeyed_hashes, migrations.RunPython.noop),
    ]
