"""customers.columns: the customer's column lists follow the model, and the contract's
header names follow them."""

from customers import columns
from customers.batch.params import HEADER_FIELDS
from customers.batch.types import CustomerRecord
from customers.models import Customer

# The contract's field names (../shared/spec/customers-batch.md, "Headers"), in its order.
CONTRACT_HEADERS = [
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
    "customer_password",
    "customer_PIN",
    "auto_add",
]


def test_the_import_columns_are_every_column_of_the_model_but_the_account_and_stamps():
    model = [field.name for field in Customer._meta.concrete_fields if not field.generated]

    assert list(columns.IMPORT_COLUMNS) == [
        name for name in model if name not in ("account", "created_at", "updated_at")
    ]
    assert columns.IMPORT_COLUMNS[:2] == ("id", "code")


def test_a_customer_record_holds_the_import_columns():
    assert list(CustomerRecord.__annotations__) == list(columns.IMPORT_COLUMNS)


def test_the_header_names_are_the_contracts_in_its_order():
    assert list(HEADER_FIELDS) == CONTRACT_HEADERS


def test_a_header_names_each_column_a_line_writes_and_auto_add():
    assert [*columns.LINE_COLUMNS, "auto_add"] == list(HEADER_FIELDS.values())


def test_the_maximum_lengths_are_the_models():
    assert columns.MAX_LENGTHS == {
        field.name: field.max_length
        for field in Customer._meta.concrete_fields
        if field.name in columns.LINE_COLUMNS and field.max_length
    }
    assert "custom_date" not in columns.MAX_LENGTHS


def test_overwrite_yes_blanks_every_profile_column_but_the_identities_to_the_models_empty():
    blank = Customer()

    assert set(columns.BLANK_PROFILE) == set(columns.RESTORED_COLUMNS) - {"code", "card_number"}
    assert columns.BLANK_PROFILE == {name: getattr(blank, name) for name in columns.BLANK_PROFILE}
    assert columns.BLANK_PROFILE["customer_username"] is None
    assert columns.BLANK_PROFILE["custom_date"] is None
    assert columns.BLANK_PROFILE["custom_fields"] == {}


def test_the_export_has_every_header_column_but_the_secrets():
    assert columns.EXPORT_COLUMNS == tuple(
        column
        for column in HEADER_FIELDS.values()
        if column not in ("customer_password", "customer_pin", "auto_add")
    )


def test_the_phone_digits_the_database_computes_are_no_import_column():
    assert columns.COMPUTED == ("phone_digits",)
    assert "phone_digits" not in columns.IMPORT_COLUMNS
