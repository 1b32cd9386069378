"""The admin speaks to shop staff, not developers (issue 14): each page a shop owner read
says its things in shop words, checked in the page's text as the browser gets it."""

import re
from html import unescape

from django.contrib.messages import get_messages
from django.urls import reverse

from campaigns.models import Campaign
from customers.models import Customer, UndoState
from tests.admin import IMPORT_URL, confirm, post_file
from tests.conftest import POINTS
from tests.factories import make_customer


def preview_text(client, account, content: str, **fields) -> str:
    response = post_file(client, account, content, **fields)
    assert response.status_code == 200, response.content[:500]
    assert "pending" in response.context, response.context["form"].errors
    return response.content.decode()


def test_the_preview_says_a_new_code_is_made_for_a_customer_without_one(boss, account):
    text = preview_text(boss, account, "first_name,code\nAnn,\n", card_number_generate="8")

    assert "(a new code is made when you confirm)" in text
    assert "drawn" not in text


def test_the_preview_names_the_credit_column_in_shop_words(boss, account):
    text = preview_text(boss, account, "code,first_name,Points\nC1,Ann,5\n")

    assert "Column 3, Points, is read as the points or credit to add." in text
    assert "The first campaign gets the points or credit to add;" in text
    assert "auto_add" not in text


def test_the_replace_warning_names_the_emptied_fields_by_their_admin_labels(boss, account):
    make_customer(account=account, code="C1", first_name="Ann")

    response = post_file(boss, account, "code,First name\nC1,Anna\n", overwrite_duplicates="yes")

    assert response.context["replace_warning"] == (
        "Replace is chosen: confirming empties these fields of the 1 customer updated, "
        "because the file has no column for them: Last name, Email, Phone, "
        "Birthday / custom date, Street1, Street2, City, State, Postal code, Country, "
        "Custom field, Customer username, Customer password, Customer PIN."
    )


def test_the_rollback_page_says_credits_without_the_field_name(admin_client, run_import):
    result = run_import(("code", "auto_add"), "C1|5\nC2|3")
    url = reverse("admin:customers_undostate_rollback", args=[result.undo_state_id])

    text = admin_client.get(url).content.decode()

    assert "2 credits this import gave are removed." in text
    assert "auto_add" not in text


def test_the_customer_page_does_not_show_its_version(admin_client, account):
    customer = make_customer(account=account, code="C1", first_name="Ann")
    url = reverse("admin:customers_customer_change", args=[customer.pk])

    text = admin_client.get(url).content.decode()

    assert "Created at" in text
    assert "Version" not in text


def test_a_campaigns_id_is_shown_only_when_another_shares_its_name(boss, account):
    Campaign.objects.filter(account=account).update(name="Club")
    Campaign.objects.filter(account=account, campaign_id=POINTS).update(name="Points club")

    text = boss.get(IMPORT_URL).content.decode()

    assert "Points club · Points<" in text
    assert f"id {POINTS}" not in text
    assert text.count("Club · ") == text.count(" · id ") > 1


def test_the_import_list_and_page_say_counts_with_thousands_separators(admin_client, run_import):
    result = run_import(("code",), "C1")
    UndoState.objects.update(new=98986, ignored=1000, failed=12345, unchanged=2000)
    changelist = admin_client.get(reverse("admin:customers_undostate_changelist"))
    page = admin_client.get(
        reverse("admin:customers_undostate_change", args=[result.undo_state_id])
    )

    for text in (changelist.content.decode(), page.content.decode()):
        assert "98,986" in text
        assert "1,000" in text
        assert "12,345" in text
        assert "2,000" in text
        assert "98986" not in text


def test_the_import_page_lists_the_columns_by_the_files_own_headers(boss, account):
    confirm(boss, post_file(boss, account, "Customer Code,Given Name\nC1,Ann\n", name="c.csv"))
    url = reverse("admin:customers_undostate_change", args=[UndoState.objects.get().pk])

    text = boss.get(url).content.decode()

    assert "Customer Code, Given Name" in text
    assert "code, first_name" not in text


EXPORT_URL = "/admin/customers/customer/export/"


def test_the_export_page_speaks_of_the_files_columns_not_of_an_exporter(boss):
    # django-import-export's "This exporter will export the following fields" and "Submit".
    text = unescape(boss.get(EXPORT_URL).content.decode())

    assert "exporter" not in text.lower()
    assert "The file has a column for each field ticked below" in text
    assert 'value="Export"' in text
    assert 'value="Submit"' not in text
    assert '<option value="0" selected>CSV</option>' in text
    assert '<option value="1">Excel workbook (XLSX)</option>' in text


def test_the_sidebar_and_the_pages_call_undo_states_the_import_history(admin_client, run_import):
    result = run_import(("code",), "C1")

    home = admin_client.get("/admin/").content.decode()
    page = admin_client.get(
        reverse("admin:customers_undostate_change", args=[result.undo_state_id])
    ).content.decode()

    assert "Import history" in home
    assert "Undo state" not in home and "Undo state" not in page
    assert f"Import {result.undo_state_id} into GW" in page
    assert "&rsaquo; <a" in page and ">Import history</a>" in page


def test_the_import_page_and_the_preview_name_the_account_by_its_name(boss, account, run_import):
    result = run_import(("code",), "C1")

    page = boss.get(reverse("admin:customers_undostate_change", args=[result.undo_state_id]))
    preview = post_file(boss, account, "code\nC2\n")

    shown = re.search(
        r'<label>Account:</label>\s*<div class="readonly">(.*?)</div>', page.content.decode()
    )
    # Its name: the slug is the API's account_id.
    assert shown is not None
    assert "GW" in shown[1] and "greatwidgets" not in shown[1]
    assert "<tr><th>Account</th><td>GW</td></tr>" in preview.content.decode()


def test_the_conflict_count_says_customers_of_each_kind_in_good_english(
    admin_client, run_import, campaigns
):
    from tests.factories import make_transaction

    first = run_import(("code", "first_name"), "C1|Ann\nC2|Bob")
    run_import(("code", "first_name"), "C2|Bobby", overwrite_duplicates="update")
    c1 = Customer.objects.get(code="C1")
    make_transaction(campaign=campaigns[POINTS], customer=c1, amount=5)
    url = reverse("admin:customers_undostate_rollback", args=[first.undo_state_id])

    text = admin_client.get(url).content.decode()

    assert (
        "2 customers of this import were changed after it. Of these: 1 changed after the "
        "import; 1 with credits booked after the import." in text
    )
    assert "1 credits" not in text


def test_after_confirming_the_message_says_the_page_rolls_the_import_back(boss, account):
    response = confirm(boss, post_file(boss, account, "code\nC1\n"))

    message = str(list(get_messages(response.wsgi_request))[0])
    assert message == (
        "Imported: 1 new, 0 updated, 0 unchanged, 0 ignored, 0 failed. This page shows what "
        "the import did; if it changed anything, Roll back undoes it."
    )
    assert "undo state" not in message
