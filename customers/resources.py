"""django-import-export resources: the admin's customer export.

Columns are named like the API's headers, so an exported file imports back unchanged
(password and PIN hashes are never exported)."""

from import_export import resources

from .models import Customer
from .selectors import IMPORT_COLUMNS

# Every profile column an import reads, but the secrets' hashes and the 1.5 custom fields.
EXPORT_FIELDS = tuple(
    column
    for column in IMPORT_COLUMNS
    if column not in ("id", "customer_password", "customer_pin", "custom_fields", "version")
)


class CustomerExportResource(resources.ModelResource):
    class Meta:
        model = Customer
        fields = EXPORT_FIELDS
        export_order = EXPORT_FIELDS
