"""django-import-export resources: the admin's customer export.

Columns are named like the API's headers, so an exported file imports back unchanged
(password and PIN hashes are never exported)."""

from import_export import resources

from .columns import EXPORT_COLUMNS
from .models import Customer

EXPORT_FIELDS = EXPORT_COLUMNS


class CustomerExportResource(resources.ModelResource):
    class Meta:
        model = Customer
        fields = EXPORT_FIELDS
        export_order = EXPORT_FIELDS
