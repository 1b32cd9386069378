"""UndoState.unchanged: of an import's updated lines, those that changed nothing. Imports
recorded before keep NULL (not counted: their undo data cannot tell them apart); later
ones get the engine's count."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("customers", "0010_import_request_packed_response")]

    operations = [
        # Added without a default, so the rows already there are NULL; then the default
        # that new rows get (a Python-side default: nothing changes in the table).
        migrations.AddField(
            model_name="undostate",
            name="unchanged",
            field=models.PositiveIntegerField(null=True, blank=True),
        ),
        migrations.AlterField(
            model_name="undostate",
            name="unchanged",
            field=models.PositiveIntegerField(null=True, blank=True, default=0),
        ),
    ]
