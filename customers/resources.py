"""django-import-export resources: the admin's customer export.

What it holds and how its values are written are customers/export.py's, the command
line's export's own definitions, so both give the same file contents.

The admin's export has no custom_field_N columns: the list it exports may hold several
accounts, whose custom fields differ, and the admin import reads API 1.0 headers, which
do not name them (the command line's export and import, API 1.5, have them)."""

from import_export import resources

from .export import export_fields, export_text
from .models import Customer

EXPORT_FIELDS = export_fields(custom_field_count=0)


class CustomerExportResource(resources.ModelResource):
    class Meta:
        model = Customer
        fields = EXPORT_FIELDS
        export_order = EXPORT_FIELDS

    def export_field(self, field, instance, **kwargs) -> str:
        """The value as export_text writes it, not as the field's widget would."""
        return export_text(field.get_value(instance))
