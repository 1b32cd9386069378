"""Helpers of the admin tests: the admin's form data for a customer, and reading a response."""

from customers.models import Customer

CUSTOMER_FORM_FIELDS = (
    "code",
    "card_number",
    "first_name",
    "last_name",
    "email",
    "phone",
    "street1",
    "street2",
    "city",
    "state",
    "postal_code",
    "country",
    "custom_field",
)


def customer_form(customer: Customer, **changes) -> dict:
    """The change form as the admin sends it for `customer`, with `changes` applied."""
    data = {name: getattr(customer, name) or "" for name in CUSTOMER_FORM_FIELDS}
    data["account"] = customer.account_id
    data["custom_date"] = customer.custom_date.isoformat() if customer.custom_date else ""
    for n in range(1, customer.account.custom_field_count + 1):
        data[f"custom_field_{n}"] = customer.custom_fields.get(f"custom_field_{n}", "")
    data["new_password"] = ""
    data.update(changes)
    return data


def messages_of(response) -> list[str]:
    """The messages a (followed) response showed."""
    return [str(message) for message in response.context["messages"]]


def result_ids(response) -> set[int]:
    """The primary keys a change list shows."""
    return {obj.pk for obj in response.context["cl"].result_list}
