"""django-import-export resources: the admin's customer export.

The resource gives the export page its columns (the form's checkboxes, their order, each
column's attribute); the admin writes the rows itself from the list's queryset
(customers/admin_export.py, with customers/export.py's values, neutralised in the CSV).
export_field() below is not on that path: it keeps django-import-export's own export (a
resource's export(), should anything call it) as safe as ours, each value as export_text
writes it and neutralised against formulas (customers/spreadsheet.py).

Its columns are headed by their admin labels (`First name`, `Birthday / custom date`:
customers/file_headers.py, COLUMN_LABELS), the names the customer's page, the export
dialog and the import page's "Columns this import reads" give them, which the admin import
reads back. The admin's export starts with an account column (the account's slug): the list it
exports may hold several accounts' customers. The admin import accepts the column when
every value in it names the account imported into (customers/spreadsheet.py). It has no
custom_field_N columns: those differ between accounts, and the admin import reads API 1.0
headers, which do not name them (the command line's export and import, API 1.5, have
them)."""

from import_export import fields, resources

from .export import export_fields, export_text
from .file_headers import column_label
from .models import Customer
from .spreadsheet import ACCOUNT_COLUMN, neutralised

EXPORT_FIELDS = export_fields(custom_field_count=0)
ADMIN_EXPORT_FIELDS = (ACCOUNT_COLUMN, *EXPORT_FIELDS)
# The header row of the admin's export of every column.
ADMIN_EXPORT_HEADERS = tuple(column_label(name) for name in ADMIN_EXPORT_FIELDS)


class CustomerExportResource(resources.ModelResource):
    # The slug, not the account's id: what the admin import and account_id name it by.
    account = fields.Field(attribute="account__slug", column_name=ACCOUNT_COLUMN)

    class Meta:
        model = Customer
        fields = ADMIN_EXPORT_FIELDS
        export_order = ADMIN_EXPORT_FIELDS

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        # Each column headed by its admin label (file_headers.COLUMN_LABELS), which the
        # import page documents and the import reads back.
        for name, field in self.fields.items():
            field.column_name = column_label(name)

    def export_field(self, field, instance, **kwargs) -> str:
        """The value as export_text writes it, neutralised, not as the field's widget would."""
        return neutralised(export_text(field.get_value(instance)))
