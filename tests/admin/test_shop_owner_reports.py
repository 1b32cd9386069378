"""What a new shop owner met in the admin with only the README: an import's Replace mode
warns before it empties fields, a long failure list says it is cut off and keeps the
confirm button in reach, exports open in Excel, and undo states say which file was which."""

import io
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.models import Campaign
from customers.models import Customer, UndoState
from tests.conftest import POINTS

IMPORT_URL = "/admin/customers/customer/import-file/"


@pytest.fixture
def boss(client, django_user_model, account, campaigns):
    client.force_login(django_user_model.objects.create_superuser("boss", password="pw"))
    return client


def post_file(client, account, content: str, mode="update", name="customers.csv"):
    return client.post(
        IMPORT_URL,
        {
            "account": account.pk,
            "campaign": Campaign.objects.get(account=account, campaign_id=POINTS).pk,
            "overwrite_duplicates": mode,
            "import_file": SimpleUploadedFile(name, content.encode()),
        },
    )


def test_the_import_form_names_its_modes_in_shop_words(boss):
    page = boss.get(IMPORT_URL).content.decode()

    assert ">Replace: also empty every field the file does not have" in page
    assert ">Update the columns in the file</option>" in page
    assert ">Skip customers already here</option>" in page


def test_a_replace_preview_names_the_fields_it_would_empty_before_the_confirm_button(
    boss, account, run_import
):
    run_import(("code", "first_name", "last_name", "phone"), "W002|Wes|Hall|555")

    page = post_file(boss, account, "code,email\nW002,w@example.com\n", mode="yes")
    html = page.content.decode()

    warning = html.index('id="import-replace-warning"')
    assert warning < html.index('id="confirm-import"')
    said = html[warning : html.index("</li>", warning)]
    assert "1 customer(s)" in said
    for field in ("first_name", "last_name", "phone", "city"):
        assert field in said
    for field in ("code", "email", "card_number"):
        assert f" {field}," not in said and not said.endswith(f" {field}.")
    assert Customer.objects.get(code="W002").first_name == "Wes"


def test_an_update_preview_does_not_warn_of_emptied_fields(boss, account, run_import):
    run_import(("code", "first_name"), "W002|Wes")

    page = post_file(boss, account, "code,email\nW002,w@example.com\n", mode="update")

    assert b"import-replace-warning" not in page.content


def test_a_preview_with_many_failures_says_it_lists_only_the_first_and_offers_confirm_first(
    boss, account
):
    lines = "".join(f"C{n},not-a-date\n" for n in range(500))

    html = unescape(post_file(boss, account, "code,custom_date\n" + lines).content.decode())

    assert (
        "The first 200 of 500 failed lines are listed; after you confirm, all of them can be "
        "downloaded from the import's page." in html
    )
    assert html.count("<tr><td>") == 200
    assert html.index('id="confirm-import"') < html.index('id="import-preview-errors"')


def test_the_admin_home_shows_shop_sections_only_and_names_api_keys_so(boss):
    page = boss.get("/admin/").content.decode()

    assert "API keys" in page and "Api keys" not in page
    for technical in ("Access attempts", "Access failures", "Access logs", "Django_Rq", "Tasks"):
        assert technical not in page
    assert boss.get("/admin/axes/accessattempt/").status_code == 404


BOM = b"\xef\xbb\xbf"
EXPORT_URL = "/admin/customers/customer/export/"
EXPORTED = ("account", "code", "first_name", "last_name", "email", "city")


def test_the_csv_export_starts_with_a_bom_for_excel_and_imports_back_unchanged(
    boss, account, run_import
):
    run_import(("code", "first_name", "city"), "Z1|Zoë|Besançon")
    before = list(Customer.objects.values())

    form = {"format": "0", "resource": "0"}
    form.update({f"customerexportresource_{name}": "on" for name in EXPORTED})
    exported = boss.post(EXPORT_URL, form).getvalue()

    assert exported.startswith(BOM)
    assert "Zoë" in exported[len(BOM) :].decode("utf-8")
    preview = boss.post(
        IMPORT_URL,
        {
            "account": account.pk,
            "campaign": Campaign.objects.get(account=account, campaign_id=POINTS).pk,
            "overwrite_duplicates": "update",
            "import_file": SimpleUploadedFile("export.csv", exported),
        },
    )
    assert preview.context["preview"].failed == 0
    boss.post(IMPORT_URL, {"pending": preview.context["pending"]})
    after = list(Customer.objects.values())
    for row in before + after:
        row.pop("updated_at"), row.pop("version")
    assert after == before


def test_the_failed_lines_download_starts_with_a_bom_for_excel(boss, account):
    preview = post_file(boss, account, "code,first_name,custom_date\nZ1,Zoë,not-a-date\nZ2,A,\n")
    boss.post(IMPORT_URL, {"pending": preview.context["pending"]})
    state = UndoState.objects.get()

    response = boss.get(f"/admin/customers/undostate/{state.pk}/failed-lines/")
    content = b"".join(response.streaming_content)

    assert content.startswith(BOM)
    assert "Zoë" in content.decode("utf-8-sig")


def test_the_undo_state_list_and_page_name_the_imports_file_and_campaigns(boss, account):
    Campaign.objects.filter(account=account, campaign_id=POINTS).update(name="Spring points")
    preview = post_file(boss, account, "code,first_name\nF1,Fay\n", name="spring-promo.csv")
    boss.post(IMPORT_URL, {"pending": preview.context["pending"]})
    state = UndoState.objects.get()

    listed = unescape(boss.get("/admin/customers/undostate/").content.decode())
    page = unescape(boss.get(f"/admin/customers/undostate/{state.pk}/change/").content.decode())

    for html in (listed, page):
        assert "spring-promo.csv" in html
        assert f"Spring points ({POINTS})" in html


def test_an_api_import_is_listed_as_the_apis(boss, run_import):
    run_import(("code", "first_name"), "A1|Al")

    listed = unescape(boss.get("/admin/customers/undostate/").content.decode())

    assert "by " in listed and "<br>API ·" in listed


def test_the_command_line_import_records_its_files_path(account, campaigns, user, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "nightly.csv"
    path.write_text("code,first_name\nN1,Ned\n")
    call_command(
        "import_customers",
        str(path),
        f"--account={account.slug}",
        f"--campaigns={POINTS}",
        "--delimiter=comma",
        "--overwrite=update",
        "--first-line-headers",
        stdout=io.StringIO(),
    )

    assert UndoState.objects.get().parameters["file_name"] == str(path)


def test_an_admin_imports_parameters_read_in_shop_words(boss, account):
    preview = post_file(boss, account, "code,first_name\nF1,Fay\n")
    boss.post(IMPORT_URL, {"pending": preview.context["pending"]})
    state = UndoState.objects.get()

    page = unescape(boss.get(f"/admin/customers/undostate/{state.pk}/change/").content.decode())

    assert "Mode: update the columns in the file" in page
    for api_words in ("API version", "Request id", "validate_only", "Only checked"):
        assert api_words not in page


def test_a_rollback_conflict_names_the_later_import_to_roll_back_first_and_says_it_once(
    boss, account
):
    first = post_file(boss, account, "code,first_name\nW002,Wes\n", name="first.csv")
    boss.post(IMPORT_URL, {"pending": first.context["pending"]})
    later = post_file(boss, account, "code,first_name\nW002,Wendy\n", name="x.csv")
    boss.post(IMPORT_URL, {"pending": later.context["pending"]})
    earlier_state, later_state = UndoState.objects.order_by("pk")

    page = boss.get(f"/admin/customers/undostate/{earlier_state.pk}/rollback/")
    html = unescape(page.content.decode())

    assert "1 customer(s) of this import were changed after it." in html
    assert html.count("were changed after it") == 1
    assert "1 changed after the import" not in html
    assert f"Customer(s) W002 changed later by import {later_state.pk} (by boss, x.csv" in html
    assert "roll that back first to undo in order." in html
