"""The admin import's preview shows what confirming will change, from the dry run itself:
the first customers it updates with each changed value now and after (in the file's
column names, secrets only said to change), the first it creates, and what the credit
campaign gives each and in all; nothing is written and no line costs a query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Campaign, Transaction
from customers.models import Customer
from customers.preview_sample import (
    CHANGED,
    DRAWN_ON_CONFIRM,
    EMPTY,
    MORE_LISTED,
    SET,
    Change,
    SampledCredit,
    SampledCustomer,
)
from tests.admin import campaign_pk, post_file
from tests.conftest import BUYX, GIFTCARD, POINTS
from tests.factories import make_customer


@pytest.fixture
def boss(client, django_user_model, account, campaigns):
    client.force_login(django_user_model.objects.create_superuser("boss", password="pw"))
    Campaign.objects.filter(account=account, campaign_id=POINTS).update(name="Points club")
    return client


def preview(client, account, content: str, campaign=POINTS, **fields):
    response = post_file(
        client, account, content, campaign=campaign_pk(account, campaign), **fields
    )
    assert response.status_code == 200, response.content[:500]
    assert "pending" in response.context, response.context["form"].errors
    return response


def page_text(response) -> str:
    return response.content.decode()


def test_the_preview_lists_each_changed_value_now_and_after_in_the_files_column_names(
    boss, account
):
    make_customer(account=account, code="C1", first_name="Ann", phone="111", city="Leeds")
    make_customer(account=account, code="C2", first_name="Bob", phone="222", city="York")

    response = preview(
        boss,
        account,
        "code,First Name,PHONE,city,customer_password\n"
        "C1,Anne,111,,hunter2-secret\n"
        "C2,Bob,222,York,\n",
    )

    assert response.context["sample_updated"] == [
        SampledCustomer(
            "C1",
            (
                Change("First Name", "Ann", "Anne"),
                Change("city", "Leeds", EMPTY),
                Change("customer_password", "", CHANGED),
            ),
        ),
    ]
    text = page_text(response)
    assert '<table id="import-preview-updated">' in text
    assert "<td>Ann</td><td>Anne</td>" in text
    assert "hunter2-secret" not in text
    # A dry run: nothing of it is written.
    assert Customer.objects.get(code="C1").first_name == "Ann"


def test_a_secret_is_only_said_to_change_never_shown(boss, account):
    make_customer(account=account, code="C1", customer_pin="interim-hash-of-an-old-pin")

    response = preview(boss, account, "code,customer_PIN\nC1,4321\n")

    (customer,) = response.context["sample_updated"]
    assert customer.changes == (Change("customer_PIN", "", CHANGED),)
    text = page_text(response)
    assert "4321" not in text and "interim-hash-of-an-old-pin" not in text


def test_the_preview_lists_new_customers_with_the_values_they_are_given(boss, account):
    response = preview(
        boss,
        account,
        "code,first_name,Last Name,custom_date,customer_password\n"
        "N1,Zoë,Müller,1980-02-29,pw-never-shown\n"
        "N2,Ada,,,\n",
    )

    assert response.context["sample_new"] == [
        SampledCustomer(
            "N1",
            (
                Change("first_name", "", "Zoë"),
                Change("Last Name", "", "Müller"),
                Change("custom_date", "", "1980-02-29"),
                Change("customer_password", "", SET),
            ),
        ),
        SampledCustomer("N2", (Change("first_name", "", "Ada"),)),
    ]
    assert "pw-never-shown" not in page_text(response)
    assert not Customer.objects.exists()


def test_a_code_or_card_number_the_dry_run_draws_is_not_shown(boss, account):
    response = preview(boss, account, "first_name,code\nAnn,\nBob,B1\n", card_number_generate="8")

    assert response.context["sample_new"] == [
        SampledCustomer(
            f"({DRAWN_ON_CONFIRM})",
            (Change("card_number", "", DRAWN_ON_CONFIRM), Change("first_name", "", "Ann")),
        ),
        SampledCustomer(
            "B1", (Change("card_number", "", DRAWN_ON_CONFIRM), Change("first_name", "", "Bob"))
        ),
    ]


def test_the_preview_says_what_the_campaign_gives_each_customer_and_in_all(boss, account):
    make_customer(account=account, code="C1", first_name="Ann")

    response = preview(
        boss, account, "code,first_name,auto_add\nC1,Ann,50\nC2,Bob,25\nC3,Cy,\nC4,Di,1\n"
    )

    # C1 is unchanged and still credited.
    assert response.context["sample_credits"] == [
        SampledCredit("C1", "gets 50 points in Points club"),
        SampledCredit("C2", "gets 25 points in Points club"),
        SampledCredit("C4", "gets 1 point in Points club"),
    ]
    assert response.context["credit_total"] == "In all: 76 points in Points club, to 3 customers."
    assert "In all: 76 points in Points club, to 3 customers." in page_text(response)
    assert not Transaction.objects.exists()


@pytest.mark.parametrize(
    "campaign, values, given, total",
    [
        (GIFTCARD, ("12.5", "7"), "gets 12.50 in 34534554", "In all: 19.50 in 34534554"),
        (BUYX, ("Latte", "muffin"), "gets one Latte counted in 89898989989", "In all: 2 items"),
    ],
)
def test_credits_are_said_in_the_campaigns_unit(boss, account, campaign, values, given, total):
    content = f"code,auto_add\nC1,{values[0]}\nC2,{values[1]}\n"

    response = preview(boss, account, content, campaign=campaign)

    assert response.context["sample_credits"][0] == SampledCredit("C1", given)
    assert response.context["credit_total"].startswith(total)


def test_the_preview_lists_the_first_20_of_each_across_chunks_with_their_last_values(
    boss, account, settings
):
    settings.LOYALTY = {**settings.LOYALTY, "IMPORT_CHUNK_ROWS": 7}
    for n in range(30):
        make_customer(account=account, code=f"E{n:02}", first_name="old")
    lines = [f"E{n:02},new{n}" for n in range(30)] + [f"N{n:02},fresh" for n in range(25)]
    # A later chunk writes E00 (updated) and N00 (new) again: their last values are shown.
    lines += ["E00,newest", "N00,freshest"]

    response = preview(boss, account, "code,first_name\n" + "\n".join(lines) + "\n")

    updated = response.context["sample_updated"]
    assert [customer.code for customer in updated] == [f"E{n:02}" for n in range(20)]
    assert updated[0].changes == (Change("first_name", "old", "newest"),)
    assert updated[1].changes == (Change("first_name", "old", "new1"),)
    new = response.context["sample_new"]
    assert [customer.code for customer in new] == [f"N{n:02}" for n in range(20)]
    assert new[0].changes == (Change("first_name", "", "freshest"),)
    more = MORE_LISTED.format(shown=20)
    assert (response.context["sample_updated_more"], response.context["sample_new_more"]) == (
        more,
        more,
    )


def test_the_sample_costs_no_query_per_line(boss, account):
    def preview_queries(lines: int) -> int:
        rows = "".join(f"Q{n},name{n},5\n" for n in range(lines))
        with CaptureQueriesContext(connection) as queries:
            preview(boss, account, "code,first_name,auto_add\n" + rows)
        return len(queries)

    # Both sizes take the engine's writes the same way (customers/batch/write.py: past
    # COPY_FROM_ROWS, within ROWS_PER_STATEMENT), so its own statements are the same.
    assert preview_queries(450) == preview_queries(250)
