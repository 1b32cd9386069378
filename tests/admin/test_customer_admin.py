"""The customer admin: search, filters, balances, editing every profile field, secrets that
are only ever set or shown as set, and the version every save raises."""

import datetime

import pytest
from django.contrib.auth.hashers import check_password
from django.urls import reverse
from django.utils import timezone

from customers.admin import SEARCH_HELP
from customers.forms import CONTROL_CHARACTER
from customers.hashers import interim_hash
from customers.models import CUSTOM_FIELD_MAX_LENGTH, Customer
from customers.rules import FUTURE_DATE
from tests.admin import customer_form, result_ids
from tests.conftest import EARNED, EVENTS, POINTS
from tests.factories import make_customer, make_transaction

CHANGE_PERMISSIONS = ("view_customer", "change_customer", "add_customer", "view_account")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user(*CHANGE_PERMISSIONS))
    return client


@pytest.fixture
def ann(account):
    return make_customer(
        account=account,
        code="C1",
        card_number="5001",
        first_name="Ann",
        last_name="Lee",
        email="ann@example.com",
        phone="555-1",
        customer_username="ann",
        customer_password=interim_hash("old-secret"),
        customer_pin=interim_hash("1234"),
        created_at=timezone.now() - datetime.timedelta(days=1),
    )


def change_url(customer: Customer) -> str:
    return reverse("admin:customers_customer_change", args=[customer.pk])


@pytest.fixture
def two_custom_fields(account):
    account.custom_field_count = 2
    account.save()


def test_the_accounts_custom_fields_are_edited_as_fields_of_their_own(
    staff_client, ann, two_custom_fields
):
    html = staff_client.get(change_url(ann)).content.decode()

    assert 'name="custom_field_1"' in html
    assert 'name="custom_field_2"' in html
    assert 'name="custom_field_3"' not in html
    assert 'name="custom_fields"' not in html


def test_a_blanked_custom_field_is_removed_as_an_import_removes_it(
    staff_client, ann, two_custom_fields
):
    Customer.objects.filter(pk=ann.pk).update(
        custom_fields={"custom_field_1": "gold", "custom_field_2": "blue"}
    )
    ann.refresh_from_db()

    response = staff_client.post(change_url(ann), customer_form(ann, custom_field_1=" "))

    assert response.status_code == 302
    assert Customer.objects.get(pk=ann.pk).custom_fields == {"custom_field_2": "blue"}


def test_custom_fields_the_account_no_longer_defines_are_kept(staff_client, ann):
    Customer.objects.filter(pk=ann.pk).update(custom_fields={"custom_field_3": "old"})
    ann.refresh_from_db()

    response = staff_client.post(change_url(ann), customer_form(ann, city="Springfield"))

    assert response.status_code == 302
    assert Customer.objects.get(pk=ann.pk).custom_fields == {"custom_field_3": "old"}


def test_the_add_page_shows_the_custom_fields_of_the_users_one_account(
    staff_client, two_custom_fields
):
    html = staff_client.get(reverse("admin:customers_customer_add")).content.decode()

    assert 'name="custom_field_2"' in html


def test_saving_raises_the_version_by_one_and_sets_updated_at(staff_client, ann):
    before = timezone.now()

    response = staff_client.post(change_url(ann), customer_form(ann, city="Springfield"))

    assert response.status_code == 302
    saved = Customer.objects.get(pk=ann.pk)
    assert (saved.city, saved.version) == ("Springfield", 2)
    assert saved.updated_at >= before
    assert saved.created_at == ann.created_at


def test_every_profile_field_is_editable(staff_client, ann, two_custom_fields):
    changes = {
        "code": "C9",
        "card_number": "9009",
        "first_name": "Anna",
        "last_name": "Li",
        "email": "anna@example.com",
        "phone": "555-9",
        "custom_date": "1970-04-03",
        "street1": "1 Main St",
        "street2": "Apt 2",
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62701",
        "country": "US",
        "custom_field": "vip",
    }

    response = staff_client.post(
        change_url(ann), customer_form(ann, **changes, custom_field_2="gold")
    )

    assert response.status_code == 302
    saved = Customer.objects.filter(pk=ann.pk).values(*changes, "custom_fields").get()
    assert saved == {
        **changes,
        "custom_date": datetime.date(1970, 4, 3),
        "custom_fields": {"custom_field_2": "gold"},
    }


def test_set_new_password_stores_a_hash_that_verifies(staff_client, ann):
    staff_client.post(change_url(ann), customer_form(ann, new_password="new secret "))

    stored = Customer.objects.get(pk=ann.pk).customer_password
    assert stored != "new secret "
    assert check_password("new secret ", stored)
    assert not check_password("old-secret", stored)


def test_blank_new_password_leaves_the_password_unchanged(staff_client, ann):
    staff_client.post(change_url(ann), customer_form(ann, first_name="Anne", new_password=""))

    saved = Customer.objects.get(pk=ann.pk)
    assert saved.first_name == "Anne"
    assert saved.customer_password == ann.customer_password


def test_username_and_pin_cannot_be_changed_by_post(staff_client, ann):
    data = customer_form(
        ann, customer_username="mallory", customer_pin="0000", customer_password="plain"
    )

    staff_client.post(change_url(ann), data)

    saved = Customer.objects.get(pk=ann.pk)
    assert saved.customer_username == "ann"
    assert saved.customer_pin == ann.customer_pin
    assert saved.customer_password == ann.customer_password
    assert saved.version == 2


def test_change_page_shows_secrets_only_as_set_or_not_set(staff_client, ann):
    html = staff_client.get(change_url(ann)).content.decode()

    assert ann.customer_pin not in html
    assert ann.customer_pin.split("$")[2] not in html
    assert ann.customer_password.split("$")[2] not in html
    assert 'name="customer_pin"' not in html
    assert 'name="customer_username"' not in html
    assert html.count('<div class="readonly">set</div>') == 2


def test_blank_card_number_is_stored_as_null(staff_client, ann):
    response = staff_client.post(change_url(ann), customer_form(ann, card_number=""))

    assert response.status_code == 302
    assert Customer.objects.get(pk=ann.pk).card_number is None


def test_adding_a_customer_stamps_its_times_and_stores_missing_identities_as_null(
    staff_client, account
):
    before = timezone.now()
    data = customer_form(Customer(account=account, code="NEW-1"), new_password="pw")

    response = staff_client.post(reverse("admin:customers_customer_add"), data)

    assert response.status_code == 302
    new = Customer.objects.get(code="NEW-1")
    assert (new.card_number, new.customer_username, new.version) == (None, None, 1)
    assert new.created_at == new.updated_at >= before
    assert check_password("pw", new.customer_password)


def test_a_card_number_held_by_another_customer_is_a_form_error(staff_client, account, ann):
    bob = make_customer(account=account, code="C2")

    response = staff_client.post(change_url(bob), customer_form(bob, card_number="5001"))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["__all__"] == [
        "Another customer of this account already has card number 5001."
    ]
    assert Customer.objects.get(pk=bob.pk).card_number is None


def test_a_code_held_by_another_customer_is_refused_in_a_persons_words(staff_client, account, ann):
    # Shop owner, ninth run: "Customer with this Account and Code already exists."
    form = customer_form(ann, code="C1", card_number="")
    response = staff_client.post("/admin/customers/customer/add/", form)

    assert response.context["adminform"].form.errors["__all__"] == [
        "Another customer of this account already has code C1."
    ]


# C0 but TAB, LF and CR; DEL; C1 (U+0080 to U+009F, NEL U+0085 among them). NUL has
# Django's own message as well, and is covered by the import's tests.
CONTROL_CHARACTERS = ["\x01", "\x0b", "\x1b", "\x1f", "\x7f", "\x80", "\x85", "\x9f"]


@pytest.mark.parametrize("character", CONTROL_CHARACTERS)
@pytest.mark.parametrize("field", ["code", "card_number", "first_name", "city", "custom_field"])
def test_a_control_character_in_a_field_is_a_form_error(staff_client, ann, field, character):
    response = staff_client.post(change_url(ann), customer_form(ann, **{field: f"A{character}B"}))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [CONTROL_CHARACTER]}
    assert Customer.objects.get(pk=ann.pk).version == 1


# Unicode noncharacters (sixth red team) and invisible controls: a right-to-left override,
# a zero-width space, a directional isolate (seventh red team).
@pytest.mark.parametrize(
    "character",
    ["\ufdd0", "\ufdef", "\ufffe", "\uffff", "\U0010ffff", "\u202e", "\u200b", "\u2066"],
)
@pytest.mark.parametrize("field", ["code", "first_name", "city", "custom_field"])
def test_a_noncharacter_or_invisible_control_in_a_field_is_a_form_error_as_a_control_character(
    staff_client, ann, field, character
):
    response = staff_client.post(change_url(ann), customer_form(ann, **{field: f"A{character}B"}))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [CONTROL_CHARACTER]}
    assert Customer.objects.get(pk=ann.pk).version == 1


@pytest.mark.parametrize("character", ["\x0b", "\x1c", "\x85", "\x9f"])
def test_a_control_character_at_the_end_of_a_field_is_a_form_error_not_trimmed(
    staff_client, ann, character
):
    response = staff_client.post(
        change_url(ann), customer_form(ann, city=f"Springfield{character}")
    )

    assert response.context["adminform"].form.errors == {"city": [CONTROL_CHARACTER]}
    assert Customer.objects.get(pk=ann.pk).version == 1


@pytest.mark.parametrize("character", ["\x85", "\x1f"])
def test_a_control_character_in_a_custom_field_or_the_new_password_is_a_form_error(
    staff_client, ann, two_custom_fields, character
):
    data = customer_form(ann, custom_field_1=f"gold{character}", new_password=f"secret{character}")

    response = staff_client.post(change_url(ann), data)

    errors = response.context["adminform"].form.errors
    assert errors == {"custom_field_1": [CONTROL_CHARACTER], "new_password": [CONTROL_CHARACTER]}
    assert Customer.objects.get(pk=ann.pk).version == 1


@pytest.mark.parametrize("character", ["\t", "~", "\xa0", "\xa1"])
def test_characters_beside_the_control_ranges_are_saved(staff_client, ann, character):
    response = staff_client.post(
        change_url(ann), customer_form(ann, city=f"Spring{character}field")
    )

    assert response.status_code == 302
    assert Customer.objects.get(pk=ann.pk).city == f"Spring{character}field"


def test_white_space_around_a_field_is_trimmed(staff_client, ann):
    staff_client.post(change_url(ann), customer_form(ann, city="\t\xa0Springfield \u3000"))

    assert Customer.objects.get(pk=ann.pk).city == "Springfield"


def test_the_account_of_a_customer_cannot_be_changed(admin_client, ann, other_account):
    admin_client.post(change_url(ann), customer_form(ann, account=other_account.pk))

    assert Customer.objects.get(pk=ann.pk).account_id == ann.account_id


def test_change_page_shows_the_balance_of_every_enrolled_campaign(
    staff_client, run_import, campaigns
):
    run_import(
        ("code", "auto_add"),
        "C1|14.5",
        campaigns_to_include=f"{EARNED}|,|{POINTS}|,|{EVENTS}",
    )
    customer = Customer.objects.get(code="C1")
    make_transaction(campaign=campaigns[POINTS], customer=customer, amount=7)

    html = staff_client.get(change_url(customer)).content.decode()

    # One line each, beside the label (a list stood 160 px right of it); the campaigns as
    # plain text for staff who may not open a campaign's page.
    assert (
        '<div class="readonly">13234545 (Events (visits)): 0<br>555 (Earned (money)): 14.50'
        "<br>898989889 (Points): 7</div>"
    ) in html


@pytest.mark.parametrize(
    "term", ["C1", "5001", "Ann", "Lee", "ann@example.com", "555-1"], ids=lambda term: term
)
def test_search_finds_a_customer_by_each_searched_field(staff_client, account, ann, term):
    make_customer(account=account, code="Z9")

    response = staff_client.get(reverse("admin:customers_customer_changelist"), {"q": term})

    assert result_ids(response) == {ann.pk}


def test_customers_can_be_filtered_by_campaign(staff_client, run_import, campaigns):
    run_import(data="P1|Pat", campaigns_to_include=POINTS)
    run_import(data="E1|Eve", campaigns_to_include=EVENTS)

    response = staff_client.get(
        reverse("admin:customers_customer_changelist"),
        {"enrollments__campaign__id__exact": campaigns[EVENTS].pk},
    )

    assert result_ids(response) == {Customer.objects.get(code="E1").pk}


def test_the_campaign_filter_shows_with_one_campaign_and_finds_customers_in_none(
    staff_client, run_import, account
):
    # The shop owner's missing filter panel: everyone imported into one campaign (Django
    # shows a related filter only from two choices), one customer added by hand.
    run_import(data="P1|Pat\nP2|Pia", campaigns_to_include=POINTS)
    make_customer(account=account, code="N1")
    changelist = reverse("admin:customers_customer_changelist")

    html = staff_client.get(changelist).content.decode()

    assert 'id="changelist-filter"' in html
    assert "By campaign" in html
    assert "In no campaign" in html
    response = staff_client.get(changelist, {"enrollments__campaign__isnull": "True"})
    assert result_ids(response) == {Customer.objects.get(code="N1").pk}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        # Shop owner, ninth run: the API's "email does not look like ..." began the sentence.
        ("email", "not-an-email", '"not-an-email" does not look like an email address.'),
        ("email", "ann@example", '"ann@example" does not look like an email address.'),
    ],
)
def test_a_value_the_import_refuses_is_a_form_error_in_the_forms_words(
    staff_client, ann, field, value, message
):
    response = staff_client.post(change_url(ann), customer_form(ann, **{field: value}))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [message]}
    assert Customer.objects.get(pk=ann.pk).version == 1


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "04-03-2010",
            'Write the date year-month-day, like 2024-12-31: "04-03-2010" reads as '
            "day/month/year or month/day/year, so write it 2010-03-04 or 2010-04-03, for the "
            "one you mean.",
        ),
        (
            "2010-02-30",
            '"2010-02-30" is not a real date. Write the date year-month-day, like 2024-12-31.',
        ),
        ("next May", '"next May" is not a date. Write the date year-month-day, like 2024-12-31.'),
    ],
)
def test_the_form_refuses_a_date_in_shop_words_naming_the_order_to_write_it_in(
    staff_client, ann, value, message
):
    # The import's rule (customers/rules.py), said as a shop reads it: not the API's
    # "custom_date must be YYYY-MM-DD".
    response = staff_client.post(change_url(ann), customer_form(ann, custom_date=value))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"custom_date": [message]}
    assert Customer.objects.get(pk=ann.pk).version == 1


@pytest.mark.parametrize(
    "value", ["14/07/1970", "07/14/1970", "14.07.1970", "1970-07-14", "1970/7/14", " 14-7-1970 "]
)
def test_the_form_takes_a_date_in_each_order_an_import_reads_when_it_reads_one_way(
    staff_client, ann, value
):
    # A shop owner typed 14/07/1970, as their import file had it, and was refused.
    response = staff_client.post(change_url(ann), customer_form(ann, custom_date=value))

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Customer.objects.get(pk=ann.pk).custom_date == datetime.date(1970, 7, 14)


def test_the_form_takes_a_date_that_reads_the_same_either_way(staff_client, ann):
    response = staff_client.post(change_url(ann), customer_form(ann, custom_date="05/05/1970"))

    assert response.status_code == 302
    assert Customer.objects.get(pk=ann.pk).custom_date == datetime.date(1970, 5, 5)


def test_the_form_refuses_a_birthday_in_the_future(staff_client, ann):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = staff_client.post(
        change_url(ann), customer_form(ann, custom_date=tomorrow.isoformat())
    )

    assert response.status_code == 200
    today = timezone.localdate()
    assert response.context["adminform"].form.errors == {
        "custom_date": [
            FUTURE_DATE.format(value=tomorrow.isoformat(), today=f"{today.day} {today:%B %Y}")
        ]
    }
    assert Customer.objects.get(pk=ann.pk).version == 1


def test_the_future_birthday_refusal_is_a_whole_sentence_quoting_the_date_as_typed(
    staff_client, ann
):
    # Shop owner, eleventh run: "15/07/2031" was quoted back as "2031-07-15".
    response = staff_client.post(change_url(ann), customer_form(ann, custom_date="15/07/2090"))

    today = timezone.localdate()
    assert response.context["adminform"].form.errors["custom_date"] == [
        f'"15/07/2090" is after today ({today.day} {today:%B %Y}); a birthday cannot be in '
        "the future."
    ]


def test_a_future_date_an_import_stored_does_not_stop_editing_the_customer(staff_client, ann):
    # The API takes any real date (the contract): staff can still change the customer's
    # other fields.
    Customer.objects.filter(pk=ann.pk).update(custom_date=datetime.date(2999, 1, 1))
    ann.refresh_from_db()

    response = staff_client.post(change_url(ann), customer_form(ann, first_name="Anna"))

    assert response.status_code == 302
    assert Customer.objects.get(pk=ann.pk).first_name == "Anna"


def test_the_date_field_says_what_it_holds_and_how_it_is_written(staff_client, ann):
    html = staff_client.get(change_url(ann)).content.decode()

    assert "Birthday / custom date" in html
    assert "Like 2024-12-31, or 31/12/2024 or 12/31/2024 when the date can be read" in html


def test_a_custom_field_longer_than_an_import_takes_is_a_form_error(
    staff_client, ann, two_custom_fields
):
    response = staff_client.post(
        change_url(ann), customer_form(ann, custom_field_1="x" * (CUSTOM_FIELD_MAX_LENGTH + 1))
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["custom_field_1"]


def test_the_campaign_filter_shows_campaign_names(staff_client, run_import, campaigns):
    campaigns[EVENTS].name = "Coffee visits"
    campaigns[EVENTS].save()
    run_import(data="P1|Pat", campaigns_to_include=f"{POINTS}|,|{EVENTS}")

    response = staff_client.get(reverse("admin:customers_customer_changelist"))

    campaign_filter = next(
        spec for spec in response.context["cl"].filter_specs if spec.title == "campaign"
    )
    # A campaign without a name is shown by its id.
    assert campaign_filter.lookup_choices == [
        (campaigns[POINTS].pk, POINTS),
        (campaigns[EVENTS].pk, "Coffee visits"),
    ]


def test_the_account_of_a_saved_customer_offers_no_links_to_add_change_or_delete(admin_client, ann):
    html = admin_client.get(change_url(ann)).content.decode()

    assert 'id="add_id_account"' not in html
    assert 'id="change_id_account"' not in html
    assert 'id="delete_id_account"' not in html


def test_the_admin_has_no_view_site_link(admin_client):
    html = admin_client.get(reverse("admin:index")).content.decode()

    assert "View site" not in html
    assert 'href="/api/docs/"' in html


def test_the_delete_confirmation_lists_enrollments_and_credits_in_shop_words(
    admin_client, run_import, campaigns
):
    campaigns[POINTS].name = "Coffee points"
    campaigns[POINTS].save()
    run_import(("code", "auto_add"), "C7|5", campaigns_to_include=POINTS)
    customer = Customer.objects.get(code="C7")

    html = admin_client.get(
        reverse("admin:customers_customer_delete", args=[customer.pk])
    ).content.decode()

    assert "Enrollment: Enrolled in Coffee points" in html
    # A points campaign's amount is whole points.
    assert "Credit: Credit on import of 5 in Coffee points" in html
    assert "auto_add" not in html


def test_an_empty_customer_list_says_how_to_import_or_add_customers(staff_client):
    html = staff_client.get(reverse("admin:customers_customer_changelist")).content.decode()

    assert 'id="no-customers-hint"' in html
    assert "No customers yet." in html
    assert f'<a href="{reverse("admin:customers_customer_import_file")}">Import them' in html
    assert f'<a href="{reverse("admin:customers_customer_add")}">add one by hand</a>' in html


def test_a_list_emptied_by_a_search_gives_no_hint(staff_client, ann):
    url = reverse("admin:customers_customer_changelist")

    html = staff_client.get(url, {"q": "nobody-has-this"}).content.decode()

    assert 'id="no-customers-hint"' not in html


def test_the_search_finds_an_accented_name_typed_with_or_without_accents_and_says_so(
    staff_client, account
):
    make_customer(account=account, code="R1", first_name="Renée")
    url = reverse("admin:customers_customer_changelist")

    found = staff_client.get(url, {"q": "renée"})

    assert result_ids(found) == {Customer.objects.get(code="R1").pk}
    assert result_ids(staff_client.get(url, {"q": "Renee"})) == result_ids(found)
    assert SEARCH_HELP in found.content.decode()


@pytest.mark.parametrize("term", ["0612", "06.12", "06-12", "(06) 12", "0612345678"])
def test_the_search_finds_a_phone_number_whatever_separators_either_side_has(
    staff_client, account, term
):
    spaced = make_customer(account=account, code="P1", phone="06 12 34 56 78")
    dotted = make_customer(account=account, code="P2", phone="(06) 12.34-56.78")
    make_customer(account=account, code="P3", phone="07 06 11 22 33")
    url = reverse("admin:customers_customer_changelist")

    found = staff_client.get(url, {"q": term})

    assert result_ids(found) == {spaced.pk, dotted.pk}


def test_the_phone_search_follows_an_edit_of_the_phone(staff_client, ann):
    url = reverse("admin:customers_customer_changelist")
    staff_client.post(change_url(ann), customer_form(ann, phone="06-99-88-77-66"))

    found = staff_client.get(url, {"q": "0699"})

    assert result_ids(found) == {ann.pk}


def test_the_phone_search_finds_customers_the_imports_bulk_write_created_and_updated(
    staff_client, post_batch
):
    url = reverse("admin:customers_customer_changelist")
    headers = ("code", "phone")
    post_batch(headers=headers, data="I1|06 12 34 56 78\nI2|01 02 03 04 05")
    post_batch(headers=headers, data="I2|07.77.88.99.00", overwrite_duplicates="update")

    assert result_ids(staff_client.get(url, {"q": "0612"})) == {Customer.objects.get(code="I1").pk}
    assert result_ids(staff_client.get(url, {"q": "0777"})) == {Customer.objects.get(code="I2").pk}
    assert result_ids(staff_client.get(url, {"q": "0102"})) == set()


def test_the_add_page_of_a_user_with_one_account_has_it_chosen(staff_client, account):
    # Shop owner, ninth run: Add customer asked a one-shop owner to choose the shop, and
    # saving without choosing said "This field is required".
    form = staff_client.get("/admin/customers/customer/add/").context["adminform"].form

    assert form["account"].value() == account.pk


def test_the_add_page_of_a_user_with_several_accounts_chooses_none(
    client, django_user_model, account, other_account
):
    client.force_login(django_user_model.objects.create_superuser("boss2", password="pw"))

    form = client.get("/admin/customers/customer/add/").context["adminform"].form

    assert form["account"].value() is None
