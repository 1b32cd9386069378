"""ImportRequest.response (JSON) becomes packed_response: the same JSON, compressed. A reply
lists every generated code and card number, so at 200,000 generated rows it was about 9 MB
of JSON kept for 24 hours; compressed it is about a third of that."""

import zlib

import orjson
from django.db import migrations, models


def pack_replies(apps, schema_editor):
    ImportRequest = apps.get_model("customers", "ImportRequest")
    for record in ImportRequest.objects.filter(response__isnull=False).iterator(chunk_size=100):
        record.packed_response = zlib.compress(orjson.dumps(record.response), 6)
        record.save(update_fields=["packed_response"])


def unpack_replies(apps, schema_editor):
    ImportRequest = apps.get_model("customers", "ImportRequest")
    for record in ImportRequest.objects.filter(packed_response__isnull=False).iterator(
        chunk_size=100
    ):
        record.response = orjson.loads(zlib.decompress(bytes(record.packed_response)))
        record.save(update_fields=["response"])


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0009_undo_rollback_record_and_summary"),
    ]

    operations = [
        migrations.AddField(
            model_name="importrequest",
            name="packed_response",
            field=models.BinaryField(null=True),
        ),
        migrations.RunPython(pack_replies, unpack_replies),
        migrations.RemoveField(model_name="importrequest", name="response"),
    ]
