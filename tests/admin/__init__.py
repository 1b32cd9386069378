"""Helpers of the admin tests: the admin's form data for a customer, posting a file to the
admin's import, and reading a response."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns.models import Campaign
from customers.models import Customer
from tests.conftest import POINTS

IMPORT_URL = "/admin/customers/customer/import-file/"

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


def campaign_pk(account, campaign_id=POINTS) -> int:
    return Campaign.objects.get(account=account, campaign_id=campaign_id).pk


def post_file(client, account, content: bytes | str, name="customers.csv", **fields):
    """The import page's form posted as a browser does: `content` as the file `name`, into
    `account`'s POINTS campaign in update mode; `fields` add to or override the form. The
    answer is the preview (or the form again, with its errors)."""
    if isinstance(content, str):
        content = content.encode()
    form = {
        "account": account.pk,
        "campaign": campaign_pk(account),
        "overwrite_duplicates": "update",
        "import_file": SimpleUploadedFile(name, content),
        **fields,
    }
    return client.post(IMPORT_URL, form)


def form_errors(response) -> list[str]:
    """The import form's errors that name no field (what the file is refused for)."""
    return list(response.context["form"].non_field_errors())


def confirm(client, response):
    """Confirm the preview `response` showed."""
    return client.post(IMPORT_URL, {"pending": response.context["pending"]})


def found_codes(client, term: str) -> set[str]:
    """The codes of the customers the customer list's search finds for `term`."""
    response = client.get(reverse("admin:customers_customer_changelist"), {"q": term})
    assert response.status_code == 200
    return {customer.code for customer in response.context["cl"].result_list}
