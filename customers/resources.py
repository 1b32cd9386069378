"""django-import-export resources: the admin's customer export.

Columns are named like the API's headers, so an exported file imports back unchanged
(password and PIN hashes are never exported)."""

from import_export import resources

from .models import Customer

EXPORT_FIELDS = (
    "code",
    "card_number",
    "first_name",
    "last_name",
    "email",
    "phone",
    "custom_date",
    "street1",
    "street2",
    "city",
    "state",
    "postal_code",
    "country",
    "custom_field",
    "customer_username",
)


class CustomerExportResource(resources.ModelResource):
    class Meta:
        model = Customer
        fields = EXPORT_FIELDS
        export_order = EXPORT_FIELDS
