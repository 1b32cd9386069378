"""What a new shop owner met in the admin with only the README: an import's Replace mode
warns before it empties fields, a long failure list says it is cut off and keeps the
confirm button in reach, exports open in Excel, and undo states say which file was which."""

import io
from html import unescape

from campaigns.models import Campaign
from customers.admin_import import CHOSEN_TWICE
from customers.models import Customer, UndoState
from tests.admin import IMPORT_URL, confirm, post_file
from tests.conftest import POINTS, USER_ID


def post_mode(client, account, content: str, mode="update", name="customers.csv"):
    return post_file(client, account, content, name=name, overwrite_duplicates=mode)


def test_the_import_form_names_its_modes_in_shop_words(boss):
    page = boss.get(IMPORT_URL).content.decode()

    assert ">Replace: also empty every field the file does not have" in page
    assert ">Update the columns in the file</option>" in page
    assert ">Skip customers already here</option>" in page


def test_a_replace_preview_names_the_fields_it_would_empty_before_the_confirm_button(
    boss, account, run_import
):
    run_import(("code", "first_name", "last_name", "phone"), "W002|Wes|Hall|555")

    page = post_mode(boss, account, "code,email\nW002,w@example.com\n", mode="yes")
    html = page.content.decode()

    warning = html.index('id="import-replace-warning"')
    assert warning < html.index('id="confirm-import"')
    said = html[warning : html.index("</li>", warning)]
    assert "1 customer updated" in said
    for field in ("First name", "Last name", "Phone", "City"):
        assert field in said
    for field in ("Code", "Email", "Card number"):
        assert f" {field}," not in said and not said.endswith(f" {field}.")
    assert Customer.objects.get(code="W002").first_name == "Wes"


def test_an_update_preview_does_not_warn_of_emptied_fields(boss, account, run_import):
    run_import(("code", "first_name"), "W002|Wes")

    page = post_mode(boss, account, "code,email\nW002,w@example.com\n", mode="update")

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
    preview = post_file(boss, account, exported, name="export.csv")
    assert preview.context["preview"].failed == 0
    confirm(boss, preview)
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

    # The list's row links "Import N" and its file; the campaigns are under who made it.
    assert f'/change/">Import {state.pk}<br>spring-promo.csv</a>' in listed
    assert "(Admin)<br>Spring points</td>" in listed
    assert "spring-promo.csv · Spring points" in page
    for html in (listed, page):
        # By its name alone (its id only where two campaigns share the name).
        assert POINTS not in html


def test_an_api_import_is_listed_as_the_apis(boss, run_import):
    run_import(("code", "first_name"), "A1|Al")

    listed = unescape(boss.get("/admin/customers/undostate/").content.decode())

    assert f"by {USER_ID} (API)<br>{POINTS}</td>" in listed


def test_the_command_line_import_records_its_files_path(import_file, data_file, user):
    import_file("code,first_name\nN1,Ned\n")

    assert UndoState.objects.get().parameters["file_name"] == data_file.last


def test_an_admin_imports_parameters_read_in_shop_words(boss, account):
    preview = post_file(boss, account, "code,first_name\nF1,Fay\n")
    boss.post(IMPORT_URL, {"pending": preview.context["pending"]})
    state = UndoState.objects.get()

    page = unescape(boss.get(f"/admin/customers/undostate/{state.pk}/change/").content.decode())

    assert "Mode: update the columns in the file" in page
    # The file's SHA-256 is kept for the "same file" warning, not shown (thirteenth run).
    for api_words in ("API version", "Request id", "validate_only", "Only checked", "sha256"):
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

    assert "1 customer of this import was changed after it." in html
    assert html.count("was changed after it") == 1
    assert "1 changed after the import" not in html
    assert f"Customer W002 was changed later by import {later_state.pk} (by boss, x.csv" in html
    assert "roll that back first to undo in order." in html


# The shop owner's second round (issue 14, medium findings).


post_form = post_file


def messages_of(response) -> list[str]:
    return list(response.context["form"].non_field_errors())


REPEATED = "code,first_name\nR0,A\nR2,B\nR1,Ann\nR3,C\nR4,D\nR5,E\nR6,F\nR1,Anne\n"


def test_a_code_on_two_lines_is_warned_of_by_the_files_line_numbers(boss, account):
    response = post_form(boss, account, REPEATED)

    assert response.context["repeated_codes"] == [
        "Lines 4 and 9 both have code R1: the later line updates the customer the earlier "
        "one creates."
    ]
    html = unescape(response.content.decode())
    assert "Lines 4 and 9 both have code R1" in html
    assert html.index('id="import-repeated-codes"') < html.index('id="confirm-import"')


def test_a_code_on_two_credited_lines_says_the_customer_gets_both_credits_and_the_total(
    boss, account
):
    content = "code,first_name,auto_add\n1002,Ann,20\nD999,Bo,50\n1002,Ann,20\nD999,Bo,1\n"

    response = post_form(boss, account, content)

    assert response.context["repeated_codes"] == [
        "Lines 2 and 4 both have code 1002: the later line updates the customer the earlier "
        "one creates. Each line's credit is added, so customer 1002 gets both: "
        "20 + 20 = 40 points.",
        "Lines 3 and 5 both have code D999: the later line updates the customer the earlier "
        "one creates. Each line's credit is added, so customer D999 gets both: "
        "50 + 1 = 51 points.",
    ]


def test_a_code_on_two_lines_in_skip_mode_says_nothing_of_credits(boss, account):
    content = "code,first_name,auto_add\n1002,Ann,20\n1002,Ann,20\n"

    response = post_form(boss, account, content, overwrite_duplicates="ignore")

    assert "credit" not in response.context["repeated_codes"][0]


def test_a_repeated_code_of_a_customer_already_here_says_what_each_mode_does(
    boss, account, run_import
):
    run_import(("code", "first_name"), "R1|Old")

    update = post_form(boss, account, REPEATED).context["repeated_codes"]
    ignore = post_form(boss, account, REPEATED, overwrite_duplicates="ignore")

    assert update == [
        "Lines 4 and 9 both have code R1: the customer is already here and each line updates "
        "it in turn, so the last line's values are kept."
    ]
    assert ignore.context["repeated_codes"] == [
        "Lines 4 and 9 both have code R1: the customer is already here, so every one of them "
        "is skipped."
    ]


def test_a_failing_line_does_not_count_as_a_repeated_code(boss, account):
    content = "code,email\nR1,a@example.com\nR1,not-an-email\n"

    assert post_form(boss, account, content).context["repeated_codes"] == []


def test_repeated_codes_of_a_large_file_are_listed_up_to_a_cap(boss, account):
    lines = "".join(f"C{n},A\nC{n},B\n" for n in range(25)) + "X,A\n" * 9

    warnings = post_form(boss, account, "code,first_name\n" + lines).context["repeated_codes"]

    assert len(warnings) == 21
    assert warnings[0].startswith("Lines 2 and 3 both have code C0:")
    assert warnings[-1] == "… and 6 more codes on more than one line."


def test_a_line_error_names_the_column_by_its_number_and_header_text(boss, account):
    response = post_form(boss, account, "Code,Email\nC1,nope\n")

    (error,) = response.context["errors_shown"]
    assert (error.line, error.field) == (2, "column 2, Email")
    assert error.message == 'Column 2, Email: "nope" does not look like an email address.'
    assert "email does not look like" not in response.content.decode()


DMY_FILE = "code,Custom Date\nD1,31/12/2024\nD2,1.2.2024\nD3,2024-03-04\n"


def test_day_month_year_dates_import_when_that_order_is_chosen(boss, account):
    response = post_form(boss, account, DMY_FILE, date_order="dmy")

    assert response.context["preview"].failed == 0
    assert "Day/month/year (31/12/2024)" in unescape(response.content.decode())
    boss.post(IMPORT_URL, {"pending": response.context["pending"]})
    dates = dict(Customer.objects.values_list("code", "custom_date"))
    assert {code: str(date) for code, date in dates.items()} == {
        "D1": "2024-12-31",
        "D2": "2024-02-01",
        "D3": "2024-03-04",
    }


def test_a_date_of_another_order_says_which_choice_to_pick(boss, account):
    response = post_form(boss, account, DMY_FILE)

    errors = response.context["errors_shown"]
    assert [(e.line, e.field) for e in errors] == [
        (2, "column 2, Custom Date"),
        (3, "column 2, Custom Date"),
    ]
    assert errors[0].message == (
        'Column 2, Custom Date: "31/12/2024" is not a date written year-month-day, the order '
        'chosen for this import; it reads as day/month/year: choose "Day/month/year '
        '(31/12/2024)" under "Dates in the file" and upload the file again.'
    )
    assert "month/day/year or" not in errors[1].message and "day/month/year or" in errors[1].message
    assert response.context["date_hint"] == (
        "Dates fail because the file writes them day/month/year, not year-month-day: choose "
        '"Day/month/year (31/12/2024)" under "Dates in the file" and upload the file again.'
    )


def test_a_month_day_year_file_with_day_month_year_chosen_is_told_to_choose_month_first(
    boss, account
):
    response = post_form(boss, account, "code,custom_date\nM1,12/31/2024\n", date_order="dmy")

    (error,) = response.context["errors_shown"]
    assert 'choose "Month/day/year (12/31/2024)"' in error.message


def test_xlsx_date_cells_are_dates_whatever_order_is_chosen(boss, account):
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["code", "custom_date"])
    book.active.append(["X1", datetime.date(2024, 3, 4)])
    book.active.append(["X2", "4/3/2024"])
    content = io.BytesIO()
    book.save(content)

    response = post_form(boss, account, content.getvalue(), date_order="mdy")
    boss.post(IMPORT_URL, {"pending": response.context["pending"]})

    dates = dict(Customer.objects.values_list("code", "custom_date"))
    assert {code: str(date) for code, date in dates.items()} == {
        "X1": "2024-03-04",
        "X2": "2024-04-03",
    }


def test_every_unknown_column_is_reported_at_once(boss, account):
    response = post_form(boss, account, "code,frist_name,nickname,Last Name,emial\nC1,,,,\n")

    assert messages_of(response) == [
        "3 columns of the header row are not known fields: column 2, frist_name (did you mean "
        "first_name?); column 3, nickname; column 5, emial (did you mean email?). Name each as "
        "a field (code, card_number, first_name, ... or as the export names them: Code, Card "
        "number, First name, ...), or leave its header empty to skip the column."
    ]


def test_the_export_dialogs_labels_are_read_as_headers_in_any_case_and_spacing(boss, account):
    content = "CODE, first  name ,Last_Name,Customer Pin,AUTO ADD\nL1,Lee,Low,1234,5\n"

    response = post_form(boss, account, content)
    boss.post(IMPORT_URL, {"pending": response.context["pending"]})

    customer = Customer.objects.get()
    assert (customer.code, customer.first_name, customer.last_name) == ("L1", "Lee", "Low")
    assert customer.customer_pin


def test_every_export_dialog_label_names_its_column():
    from customers.admin_export import CustomerExportForm
    from customers.file_headers import HEADER_NAMES, column_label, header_key
    from customers.resources import CustomerExportResource

    form = CustomerExportForm(formats=[base_csv()], resources=[CustomerExportResource])
    labels = [field.label for name, field in form.fields.items() if name.startswith("customer")]

    assert labels == [column_label(name) for name in CustomerExportResource().get_export_order()]
    assert all(header_key(label) in HEADER_NAMES for label in labels)


def base_csv():
    from import_export.formats.base_formats import CSV

    return CSV


def test_the_preview_repeats_the_campaigns_and_the_mode_it_runs_with(boss, account):
    Campaign.objects.filter(account=account, campaign_id=POINTS).update(name="Spring points")

    response = post_form(boss, account, "code\nP1\n", overwrite_duplicates="ignore")

    html = unescape(response.content.decode())
    assert "<tr><th>Campaigns</th><td>Spring points · Points</td></tr>" in html
    assert "<tr><th>Customers already here</th><td>Skip customers already here</td></tr>" in html


def test_a_re_import_that_changes_nothing_previews_as_unchanged(boss, account):
    content = "code,first_name\nU1,Una\nU2,Ugo\nU3,Ulf\n"
    boss.post(IMPORT_URL, {"pending": post_form(boss, account, content).context["pending"]})

    html = unescape(post_form(boss, account, content.replace("Ulf", "Ulla")).content.decode())

    assert "<tr><th>Updated</th><td>1</td></tr>" in html
    assert "<tr><th>Unchanged</th><td>2</td></tr>" in html


def test_confirming_and_the_undo_state_say_the_previews_counts_in_its_words(boss, account):
    first = post_form(boss, account, "code,first_name\nU1,Una\nU2,Uli\nU3,Ulf\n")
    boss.post(IMPORT_URL, {"pending": first.context["pending"]})
    preview = post_form(boss, account, "code,first_name\nU1,Una\nU2,Ugo\nU3,Ulla\nN1,Nell\n")
    previewed = unescape(preview.content.decode())

    confirmed = boss.post(IMPORT_URL, {"pending": preview.context["pending"]}, follow=True)
    message = unescape(confirmed.content.decode())
    state = UndoState.objects.latest("pk")
    listed = boss.get("/admin/customers/undostate/").content.decode()

    for label, count in (("New", 1), ("Updated", 2), ("Unchanged", 1)):
        assert f"<tr><th>{label}</th><td>{count}</td></tr>" in previewed
    assert "Imported: 1 new, 2 updated, 1 unchanged, 0 ignored, 0 failed." in message
    # The undo state's page: the same Updated and Unchanged, beside the customers changed.
    assert '<div class="readonly">2</div>' in _field(message, "updated_said")
    assert '<div class="readonly">1</div>' in _field(message, "unchanged_said")
    assert "Customers it changed: 2" in message
    assert 'id="unchanged-lines"' not in message
    assert '<td class="field-updated_listed">2<br>1 unchanged</td>' in listed
    # The row keeps the contract's count, as the API answered it.
    assert (state.updated, state.unchanged) == (3, 1)


def _field(html: str, name: str) -> str:
    start = html.index(f"field-{name}")
    return html[start : html.index("</div>\n", html.index('class="readonly"', start)) + 6]


def test_an_import_recorded_before_unchanged_was_counted_says_so(boss, account, run_import):
    run_import(("code", "first_name"), "U1|Una\nU2|Ugo")
    result = run_import(("code", "first_name"), "U1|Una\nU2|Ugolino", overwrite_duplicates="update")
    UndoState.objects.filter(pk=result.undo_state_id).update(unchanged=None)

    page = unescape(
        boss.get(f"/admin/customers/undostate/{result.undo_state_id}/change/").content.decode()
    )

    assert '<div class="readonly">2</div>' in _field(page, "updated_said")
    assert '<div class="readonly">not counted</div>' in _field(page, "unchanged_said")
    assert "1 of the 2 lines updated changed nothing" in page


def test_a_line_repeating_a_customer_is_why_fewer_customers_than_lines_changed(boss, account):
    boss.post(IMPORT_URL, {"pending": post_form(boss, account, "code\nU1\n").context["pending"]})
    preview = post_form(boss, account, "code,first_name\nU1,Una\nU1,Uma\n")
    page = unescape(
        boss.post(IMPORT_URL, {"pending": preview.context["pending"]}, follow=True).content.decode()
    )

    assert "Imported: 0 new, 2 updated, 0 unchanged, 0 ignored, 0 failed." in page
    assert "Customers it changed: 1" in page
    assert (
        "1 of the 2 lines updated changed a customer that another line of the file had also "
        "changed or added, so fewer customers than lines were changed." in page
    )


def test_the_import_page_lists_every_column_it_reads_with_what_it_holds(boss):
    from customers.column_help import DESCRIPTIONS
    from customers.file_headers import HEADER_NAMES, column_label

    page = unescape(boss.get(IMPORT_URL).content.decode())
    listed = page[page.index('id="import-columns"') :]

    assert "Columns this import reads" in listed
    for name in HEADER_NAMES.values():
        assert f"<td><code>{name}</code></td><td><code>{column_label(name)}</code></td>" in listed
    assert "such as a birthday" in listed
    assert "Points, money or visits credited to each customer in the chosen campaign" in listed
    assert set(DESCRIPTIONS) == set(HEADER_NAMES.values())


def test_a_preview_says_what_will_fail_before_the_confirm_button(boss, account):
    lines = "".join(f"C{n},not-a-date\n" for n in range(5))

    html = unescape(post_file(boss, account, "code,custom_date\nOK1,\n" + lines).content.decode())

    summary = html.index('id="import-failing-summary"')
    assert summary < html.index('id="confirm-import"')
    said = html[summary : html.index("</div>", summary)]
    assert (
        "5 lines will fail and are not imported; confirming imports the others. The first 3 "
        'are here; all of them are under "Lines that will fail" below the button.' in said
    )
    assert said.count("<li>Line ") == 3
    assert '<li>Line 3: Column 2, custom_date: "not-a-date" is not a date' in said


def test_the_summary_before_the_button_lists_every_error_of_its_first_lines(boss, account):
    # Shop owner, ninth run: a line of three errors filled the three places, and the
    # second failing line was said nowhere before the button.
    long_name = "A" * 101
    content = (
        "code,first_name,email,custom_date\n"
        f"C1,{long_name},nope,not-a-date\nC2,Bob,ok@example.com,\nC3,Cy,nope,\n"
    )

    html = unescape(post_file(boss, account, content).content.decode())

    summary = html.index('id="import-failing-summary"')
    said = html[summary : html.index("</div>", summary)]
    assert [item.split(":")[0] for item in said.split("<li>")[1:]] == [
        "Line 2",
        "Line 2",
        "Line 2",
        "Line 4",
    ]


def test_the_summary_of_more_failing_lines_than_listed_says_where_the_rest_are(boss, account):
    lines = "".join(f"C{n},not-a-date\n" for n in range(1, 1202))

    html = unescape(post_file(boss, account, "code,custom_date\nOK1,\n" + lines).content.decode())

    assert (
        "1,201 lines will fail and are not imported; confirming imports the others. The first "
        '3 are here and the first 200 under "Lines that will fail" below the button; after you '
        "confirm, all of them can be downloaded from the import's page." in html
    )
    assert "The first 200 of 1,201 failed lines are listed" in html


def test_a_preview_of_one_failing_line_says_it_is_one(boss, account):
    html = unescape(post_file(boss, account, "code,email\nC1,nope\nC2,\n").content.decode())

    assert "1 line will fail and is not imported; confirming imports the others.<" in html


def test_a_preview_without_failing_lines_has_no_failure_summary(boss, account):
    html = post_file(boss, account, "code\nC1\n").content.decode()

    assert "import-failing-summary" not in html


def test_the_campaign_chosen_first_cannot_be_ticked_again_under_also_enroll_in(boss, account):
    Campaign.objects.filter(account=account, campaign_id=POINTS).update(name="Points club")
    points = Campaign.objects.get(account=account, campaign_id=POINTS).pk

    response = post_file(boss, account, "code\nC1\n", other_campaigns=[points])

    assert "pending" not in response.context
    assert response.context["form"].errors == {
        "other_campaigns": [CHOSEN_TWICE.format(campaign="Points club")]
    }
    assert not Customer.objects.exists()
