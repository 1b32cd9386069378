"""Failed lines are kept with their undo state, whatever the import came from (API, admin,
command line), and offered as a CSV file (the import's columns plus `error`) on the admin's
undo state page and by the API's customers_batch_failed_lines, each within its account. An
import in which every line failed wrote nothing and is not offered for rollback."""

import csv
import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Membership
from api.calls import FAILED_LINES_DROPPED, NO_SUCH_UNDO_STATE
from campaigns.models import Campaign
from customers.admin_import import NOTHING_IMPORTED
from customers.batch import messages as m
from customers.failed_lines_file import staff_rows
from customers.file_headers import ONE_UNKNOWN
from customers.models import Customer, FailedLineChunk, UndoState
from customers.spreadsheet import ERROR_COLUMN, LINE_COLUMN
from tests.conftest import API_KEY, PASSWORD, POINTS, USER_ID
from tests.factories import make_campaign

HEADERS = ("code", "first_name", "email", "customer_password")
DATA = (
    "C1|Ann|ann@example.com|pw1\n"
    "C2|Bob|not-an-email|pw2\n"
    "C3|Cy|cy@example.com\n"
    "C4|Di|di@example.com|pw4\n"
    "C5|Ed|04-03|pw5\n"
)
# The API's file is the admin's (customers/failed_lines_file.py): each line's number in
# Profiles_Data first; an API import's errors as its answer said them, in the API's names
# (integrator: the admin's words named "the order chosen for this import").
EXPECTED_ROWS = [
    [LINE_COLUMN, "code", "first_name", "email", "customer_password", ERROR_COLUMN],
    # The password is never kept in plain text: its column is blank.
    [
        "2",
        "C2",
        "Bob",
        "not-an-email",
        "",
        m.BAD_EMAIL.format(value="not-an-email"),
    ],
    # A value short: any value could be the password moved left, so the one next to its
    # column is not kept either.
    [
        "3",
        "C3",
        "Cy",
        "",
        "",
        m.WRONG_VALUE_COUNT.format(got=3, expected=4),
    ],
    ["5", "C5", "Ed", "04-03", "", m.BAD_EMAIL.format(value="04-03")],
]
IMPORT_URL = "/admin/customers/customer/import-file/"


def rows_of(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def failed_lines_call(client, undo_state, **extra):
    params = {
        "user_id": USER_ID,
        "user_password": PASSWORD,
        "account_id": "greatwidgets",
        "type": "customers_batch_failed_lines",
        "undo_state": None if undo_state is None else str(undo_state),
        **extra,
    }
    return client.post("/api", {k: v for k, v in params.items() if v is not None})


def streamed(response) -> bytes:
    return b"".join(response.streaming_content)


def the_one_failed_line_everywhere(client, superuser_client, state: UndoState):
    """An import's one failed line as stored, and the API's and the admin's files of it."""
    api_rows = rows_of(streamed(failed_lines_call(client, state.pk)))
    admin_rows = rows_of(
        streamed(superuser_client.get(f"/admin/customers/undostate/{state.pk}/failed-lines/"))
    )
    (stored,) = [
        values
        for chunk in FailedLineChunk.objects.filter(undo_state=state)
        for _line, _field, _message, values in chunk.unpack()["lines"]
    ]
    # The file has each line's number first.
    assert api_rows == admin_rows
    assert admin_rows[0][0] == LINE_COLUMN
    return stored, [row[1:] for row in api_rows], [row[1:] for row in admin_rows]


@pytest.fixture
def api_import(post_batch):
    response = post_batch(HEADERS, DATA, output="JSON")
    assert response.status_code == 200
    return json.loads(response.content)["batch"]


# --- the API ----------------------------------------------------------------------------


def test_an_api_import_keeps_each_failed_line_and_the_api_gives_them_as_csv(client, api_import):
    assert api_import["customers"]["failed"] == 3

    response = failed_lines_call(client, api_import["undo_state"])

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert rows_of(streamed(response)) == EXPECTED_ROWS


def test_an_api_imports_failed_lines_say_its_errors_in_the_apis_words(client, post_batch):
    """Integrator: a date the API refused came back as "not a date written
    year/month/day, the order chosen for this import ... choose ... under "Dates in the
    file"", words of the admin's import form, which an API client never saw."""
    response = post_batch(("code", "custom_date"), "D1|31/12/2024\n", output="JSON")
    answer = json.loads(response.content)["batch"]

    rows = rows_of(streamed(failed_lines_call(client, answer["undo_state"])))

    message = m.BAD_DATE_FORMAT.format(value="31/12/2024")
    assert answer["errors"][0]["message"] == message
    assert rows == [
        [LINE_COLUMN, "code", "custom_date", ERROR_COLUMN],
        ["1", "D1", "31/12/2024", message],
    ]


def test_the_failed_lines_call_works_with_an_api_1_5_key(client, api_import):
    response = failed_lines_call(
        client, api_import["undo_state"], API="1.5", user_password=None, user_api_key=API_KEY
    )

    assert rows_of(streamed(response)) == EXPECTED_ROWS


def test_the_failed_lines_of_another_accounts_import_are_not_found(
    client, user, campaigns, other_account, run_import
):
    make_campaign(account=other_account, campaign_id=POINTS)
    theirs = run_import(HEADERS, DATA, into=other_account)

    response = failed_lines_call(client, theirs.undo_state_id, output="JSON")

    assert response.status_code == 400
    body = json.loads(response.content)
    assert body == {
        "status": "error",
        "error": NO_SUCH_UNDO_STATE.format(value=theirs.undo_state_id),
    }


def test_a_zero_padded_undo_state_not_found_is_echoed_as_its_number(
    client, user, campaigns, other_account, run_import
):
    make_campaign(account=other_account, campaign_id=POINTS)
    theirs = run_import(HEADERS, DATA, into=other_account)
    padded = "0" * 5000 + str(theirs.undo_state_id)

    response = failed_lines_call(client, padded, output="JSON")

    assert response.status_code == 400
    assert json.loads(response.content)["error"] == NO_SUCH_UNDO_STATE.format(
        value=theirs.undo_state_id
    )


@pytest.mark.parametrize("value", [None, "", "abc", "-1", "1" * 40])
def test_a_missing_or_malformed_undo_state_is_a_400_envelope(client, user, campaigns, value):
    response = failed_lines_call(client, value, output="JSON")

    assert response.status_code == 400
    assert json.loads(response.content)["status"] == "error"
    assert "undo_state" in json.loads(response.content)["error"]


def test_the_failed_lines_call_needs_valid_credentials(client, api_import):
    response = failed_lines_call(client, api_import["undo_state"], user_password="wrong")

    assert response.status_code == 401


# --- the admin ------------------------------------------------------------------------


@pytest.fixture
def superuser_client(client, django_user_model, account, campaigns):
    client.force_login(django_user_model.objects.create_superuser("boss", password="pw"))
    return client


def admin_import(client, account, content: str) -> UndoState:
    form = {
        "account": account.pk,
        "campaign": Campaign.objects.get(account=account, campaign_id=POINTS).pk,
        "overwrite_duplicates": "update",
        "import_file": SimpleUploadedFile("customers.csv", content.encode()),
    }
    pending = client.post(IMPORT_URL, form).context["pending"]
    client.post(IMPORT_URL, {"pending": pending})
    return UndoState.objects.latest("id")


def as_csv_file(headers, data: str) -> str:
    return ",".join(headers) + "\n" + data.replace("|", ",")


# The admin reads a CSV as the API does: C3, a value short, fails there too. Its file
# numbers each line as the imported file does (its header is line 1) and says the errors
# as the preview does.
ADMIN_EXPECTED_ROWS = [
    [LINE_COLUMN, "code", "first_name", "email", "customer_password", ERROR_COLUMN],
    [
        "3",
        "C2",
        "Bob",
        "not-an-email",
        "",
        'Email: "not-an-email" does not look like an email address.',
    ],
    [
        "4",
        "C3",
        "Cy",
        "",
        "",
        "The line has 3 values, but the header row has 4 columns: a value holding the "
        "separator needs quotes around it.",
    ],
    ["6", "C5", "Ed", "04-03", "", 'Email: "04-03" does not look like an email address.'],
]


def test_an_admin_import_keeps_its_failed_lines_offered_on_its_undo_state_page(
    superuser_client, account
):
    state = admin_import(superuser_client, account, as_csv_file(HEADERS, DATA))
    page = superuser_client.get(f"/admin/customers/undostate/{state.pk}/change/")
    url = f"/admin/customers/undostate/{state.pk}/failed-lines/"

    assert b"Download failed lines (3)" in page.content
    assert url.encode() in page.content
    response = superuser_client.get(url)
    assert response.status_code == 200
    assert rows_of(streamed(response)) == ADMIN_EXPECTED_ROWS


def test_the_failed_lines_file_imports_back_once_its_lines_are_fixed(superuser_client, account):
    state = admin_import(superuser_client, account, as_csv_file(HEADERS, DATA))
    rows = rows_of(
        streamed(superuser_client.get(f"/admin/customers/undostate/{state.pk}/failed-lines/"))
    )
    # Staff fix the values and import the file as it is: its line and error columns are
    # not read.
    rows[1][3], rows[3][3] = "bob@example.com", "ed@example.com"
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    text = out.getvalue()

    again = admin_import(superuser_client, account, text)

    assert (again.new, again.failed) == (3, 0)
    assert Customer.objects.count() == 5


def test_staff_of_another_account_cannot_download_its_failed_lines(
    client, api_import, other_account, django_user_model
):
    stranger = django_user_model.objects.create_user("stranger", password="pw", is_staff=True)
    Membership.objects.create(account=other_account, user=stranger, role=Membership.Role.STAFF)
    stranger.user_permissions.set(Permission.objects.filter(codename="view_undostate"))
    client.force_login(stranger)

    response = client.get(f"/admin/customers/undostate/{api_import['undo_state']}/failed-lines/")

    assert response.status_code in (302, 404)
    assert b"not-an-email" not in response.content


def test_an_import_without_failed_lines_offers_no_download(superuser_client, run_import):
    result = run_import(data="C1|Ann")

    page = superuser_client.get(f"/admin/customers/undostate/{result.undo_state_id}/change/")

    assert b"Download failed lines" not in page.content


# --- every line failed --------------------------------------------------------------------


def test_an_import_in_which_every_line_failed_keeps_them_and_offers_no_rollback(
    superuser_client, run_import
):
    result = run_import(("code", "email"), "C1|bad\nC2|worse")
    state = UndoState.objects.get(pk=result.undo_state_id)
    page = superuser_client.get(f"/admin/customers/undostate/{state.pk}/change/")

    assert (state.new, state.updated, state.ignored, state.failed) == (0, 0, 0, 2)
    assert state.status == UndoState.Status.NOTHING_WRITTEN
    assert b"Nothing to roll back" in page.content
    assert b"rollback-link" not in page.content
    assert b"Download failed lines (2)" in page.content


def test_an_import_that_wrote_something_stays_undoable(run_import):
    result = run_import(("code", "email"), "C1|bad\nC2|c2@example.com")

    assert UndoState.objects.get(pk=result.undo_state_id).status == UndoState.Status.UNDOABLE


# --- the command line, chunk by chunk -------------------------------------------------------


def test_a_streamed_import_keeps_the_failed_lines_of_every_chunk(
    account, campaigns, settings, tmp_path, capsys
):
    settings.LOYALTY = {**settings.LOYALTY, "IMPORT_CHUNK_ROWS": 2, "LINE_ERRORS_LISTED": 1}
    path = tmp_path / "customers.csv"
    # The first chunk fails whole; a later one writes: the state is undoable after all.
    lines = ["code,email", "C1,bad1", "C2,bad2", "C3,c3@example.com", "C4,bad4", "C5,bad5"]
    path.write_text("\n".join(lines) + "\n")

    # Lines failed: the command ends with exit status 2 (docs/api.md, "Command line").
    with pytest.raises(CommandError) as failed:
        call_command(
            "import_customers",
            str(path),
            "--account=greatwidgets",
            f"--campaigns={POINTS}",
            "--delimiter=comma",
            "--overwrite=update",
            "--first-line-headers",
            verbosity=0,
        )

    assert failed.value.returncode == 2
    state = UndoState.objects.get()
    assert (state.new, state.failed, state.status) == (1, 4, UndoState.Status.UNDOABLE)
    assert FailedLineChunk.objects.filter(undo_state=state).count() == 3
    rows = list(staff_rows(state))
    assert [row[1:3] for row in rows[1:]] == [
        ["C1", "bad1"],
        ["C2", "bad2"],
        ["C4", "bad4"],
        ["C5", "bad5"],
    ]


# --- storage is bounded -----------------------------------------------------------------


def test_failed_lines_of_imports_beyond_the_kept_ones_are_dropped(run_import, settings):
    settings.LOYALTY = {**settings.LOYALTY, "UNDO_STATES_KEPT": 2}
    states = [run_import(("code", "email"), f"C{n}|bad").undo_state_id for n in range(4)]

    kept = set(FailedLineChunk.objects.values_list("undo_state_id", flat=True))

    assert kept == set(states[-2:])
    assert UndoState.objects.filter(pk__in=states[:2], failed=1).count() == 2


def test_the_api_says_when_an_imports_failed_lines_are_kept_no_more(client, post_batch, settings):
    # Integrator's report: the call answered 200 with the header row alone, which a sync
    # script reads as "nothing failed", for an import whose 3,488 failed lines were dropped.
    settings.LOYALTY = {**settings.LOYALTY, "UNDO_STATES_KEPT": 1}
    first = json.loads(post_batch(HEADERS, DATA, output="JSON").content)["batch"]
    post_batch(HEADERS, DATA, output="JSON")

    response = failed_lines_call(client, first["undo_state"], output="JSON")

    assert response.status_code == 400
    assert json.loads(response.content)["error"] == FAILED_LINES_DROPPED.format(
        value=first["undo_state"], failed=3, kept=1
    )


def test_prune_undo_states_drops_the_failed_lines_of_every_import_beyond_the_kept_ones(
    run_import, settings
):
    states = [run_import(("code", "email"), f"C{n}|bad").undo_state_id for n in range(5)]
    settings.LOYALTY = {**settings.LOYALTY, "UNDO_STATES_KEPT": 1}

    call_command("prune_undo_states", verbosity=0)

    kept = set(FailedLineChunk.objects.values_list("undo_state_id", flat=True))
    assert kept == {states[-1]}


# The sixth red team's values: a DDE call and a sum, which a spreadsheet runs.
DDE = "=cmd|' /C calc'!A0"
SUM = "-2+3"
FORMULA_HEADERS = ("code", "first_name", "last_name", "email")
FORMULA_LINE = f"F1,{DDE},{SUM},not-an-email\n"


def formula_import(post_batch) -> UndoState:
    response = post_batch(FORMULA_HEADERS, FORMULA_LINE, delimiter="comma", output="JSON")
    return UndoState.objects.get(pk=json.loads(response.content)["batch"]["undo_state"])


def test_the_apis_failed_lines_file_is_the_admins_with_formulas_neutralised(
    client, superuser_client, post_batch
):
    state = formula_import(post_batch)

    api_file = streamed(failed_lines_call(client, state.pk))
    admin_file = streamed(
        superuser_client.get(f"/admin/customers/undostate/{state.pk}/failed-lines/")
    )

    assert api_file == admin_file
    assert api_file.startswith("\ufeff".encode())
    assert rows_of(api_file)[1][:5] == ["1", "F1", "'" + DDE, "'" + SUM, "not-an-email"]


def test_data_only_gives_the_failed_lines_as_sent_ready_to_send_again(client, post_batch):
    state = formula_import(post_batch)

    response = failed_lines_call(client, state.pk, data_only="yes")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    data = streamed(response).decode()
    assert data == FORMULA_LINE
    # Fixed and sent again as Profiles_Data with the import's headers and delimiter.
    fixed = data.replace("not-an-email", "f1@example.com")
    again = post_batch(FORMULA_HEADERS, fixed, delimiter="comma", output="JSON")
    assert json.loads(again.content)["batch"]["customers"]["new"] == 1
    assert Customer.objects.get(code="F1").first_name == DDE
    assert Customer.objects.get(code="F1").last_name == SUM


def test_data_only_is_yes_or_no(client, post_batch):
    state = formula_import(post_batch)

    response = failed_lines_call(client, state.pk, data_only="maybe", output="JSON")

    assert response.status_code == 400
    assert json.loads(response.content) == {
        "status": "error",
        "error": "data_only must be yes or no (or left out; either in any case), got maybe.",
    }


def test_an_admin_import_in_which_every_line_failed_says_nothing_was_imported(
    superuser_client, account
):
    form = {
        "account": account.pk,
        "campaign": Campaign.objects.get(account=account, campaign_id=POINTS).pk,
        "overwrite_duplicates": "update",
        "import_file": SimpleUploadedFile("c.csv", b"code,email\nC1,bad\nC2,worse\n"),
    }
    pending = superuser_client.post(IMPORT_URL, form).context["pending"]
    page = superuser_client.post(IMPORT_URL, {"pending": pending}, follow=True)

    shown = [str(message) for message in page.context["messages"]]
    assert shown == [NOTHING_IMPORTED.format(failed=2)]
    assert b"rollback-link" not in page.content


# --- secrets of lines with more or fewer values than headers ----------------------------

SECRET_HEADERS = ("code", "first_name", "customer_password", "customer_pin", "email")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # An unquoted comma inside the password: the PIN and the password's parts move right.
        (
            "5001,alice,my,secret,pass,8642,a@example.com",
            # The email, two columns from the PIN's, can only have moved from there or right.
            ["5001", "alice", "", "", "", "", "a@example.com"],
        ),
        ("5001,alice,my,pass,8642,a@example.com", ["5001", "alice", "", "", "", "a@example.com"]),
        # The first name left out: the password moves into its column, the PIN into the
        # password's, the email into the PIN's.
        ("5001,mysecretpass,8642,a@example.com", ["5001", "", "", ""]),
        ("5001,mysecretpass", ["", ""]),
        # Quoted, the comma stays in the password: the line has its five values, and only
        # the secret columns are blank.
        ('5001,alice,"my,secret",8642,not-an-email', ["5001", "alice", "", "", "not-an-email"]),
        # Quoted and with one value more still.
        (
            '5001,alice,"my,secret",pass,8642,a@example.com',
            ["5001", "alice", "", "", "", "a@example.com"],
        ),
    ],
)
def test_no_secret_of_a_line_with_more_or_fewer_values_is_kept_or_served(
    client, superuser_client, post_batch, line, expected
):
    response = post_batch(SECRET_HEADERS, line + "\n", delimiter="comma", output="JSON")
    batch = json.loads(response.content)["batch"]
    assert batch["customers"]["failed"] == 1
    state = UndoState.objects.get(pk=batch["undo_state"])

    stored, api_rows, admin_rows = the_one_failed_line_everywhere(client, superuser_client, state)

    width = len(SECRET_HEADERS)
    extra = max(len(expected) - width, 0)
    # The file's row (after its line number): the values under their headers and the extra
    # value columns, padded to the header's width, then the error.
    in_file = [*expected, *[""] * (width + extra - len(expected))]
    assert stored == expected
    assert api_rows[1][:-1] == admin_rows[1][:-1] == in_file
    assert len(api_rows[1]) == len(api_rows[0])
    for secret in ("my", "secret", "pass", "mysecretpass", "8642"):
        assert secret not in stored
        assert secret not in api_rows[1] and secret not in admin_rows[1]


def test_the_error_of_a_line_with_more_values_than_headers_stays_under_the_error_header(
    client, post_batch
):
    """Integrator: a line of 3 values under 2 headers put its error in a fourth, unnamed
    column and its extra value under `error`."""
    response = post_batch(("code", "first_name"), "X1|Ann|extra\n", output="JSON")
    state = json.loads(response.content)["batch"]["undo_state"]

    rows = rows_of(streamed(failed_lines_call(client, state)))

    message = m.WRONG_VALUE_COUNT.format(got=3, expected=2)
    assert rows == [
        [LINE_COLUMN, "code", "first_name", "extra value 1", ERROR_COLUMN],
        ["1", "X1", "Ann", "extra", message],
    ]


def test_every_failed_line_lines_up_with_the_header_and_keeps_every_value_it_sent(
    client, superuser_client, post_batch
):
    """Sixth red team: a line with more values than headers put its last value after the
    `error` column. Each row is now as long as the header: the values beyond the import's
    columns under `extra value N` (as many as the widest line needs), then the error."""
    data = "A1|Ann|bad\nA2|Bob|a2@example.com|one|two\nA3\nA4|Di|worse|three\n"
    response = post_batch(("code", "first_name", "email"), data, output="JSON")
    state = json.loads(response.content)["batch"]["undo_state"]

    api_rows = rows_of(streamed(failed_lines_call(client, state)))
    admin_rows = rows_of(
        streamed(superuser_client.get(f"/admin/customers/undostate/{state}/failed-lines/"))
    )

    assert api_rows == admin_rows
    header, *lines = api_rows
    assert header == [
        LINE_COLUMN,
        "code",
        "first_name",
        "email",
        "extra value 1",
        "extra value 2",
        ERROR_COLUMN,
    ]
    assert [line[:-1] for line in lines] == [
        ["1", "A1", "Ann", "bad", "", ""],
        ["2", "A2", "Bob", "a2@example.com", "one", "two"],
        ["3", "A3", "", "", "", ""],
        ["4", "A4", "Di", "worse", "three", ""],
    ]
    count = m.WRONG_VALUE_COUNT
    assert [line[-1] for line in lines] == [
        m.BAD_EMAIL.format(value="bad"),
        count.format(got=5, expected=3),
        m.ONE_VALUE.format(expected=3, delimiter="|"),
        count.format(got=4, expected=3),
    ]


def test_a_failed_lines_file_with_extra_values_is_refused_by_the_admin_import_naming_the_column(
    superuser_client, post_batch, account
):
    # Nothing the user sent is dropped on the way back either: the column must be dealt with.
    response = post_batch(("code", "first_name"), "X1|Ann|extra\n", output="JSON")
    state = json.loads(response.content)["batch"]["undo_state"]
    content = streamed(superuser_client.get(f"/admin/customers/undostate/{state}/failed-lines/"))

    form = {
        "account": account.pk,
        "campaign": Campaign.objects.get(account=account, campaign_id=POINTS).pk,
        "overwrite_duplicates": "update",
        "import_file": SimpleUploadedFile("failed.csv", content),
    }
    page = superuser_client.post(IMPORT_URL, form)

    assert list(page.context["form"].non_field_errors()) == [
        ONE_UNKNOWN.format(number=4, value="extra value 1")
    ]
    assert not Customer.objects.filter(code="X1").exists()


def test_no_secret_of_lines_a_stray_quote_merged_into_one_value_is_kept_or_served(
    client, superuser_client, post_batch
):
    # The quote opened before Bob closes only on the next text line, before a delimiter:
    # the value takes in Q3's password and all of Q4's line, and the merged line still
    # has its four values.
    data = 'Q3|"Bob|SECRETQ3|1970-01-01\nQ4|Al|SECRETQ4|1970-01-01"|pwq1|bad\n'
    headers = ("code", "first_name", "customer_password", "custom_date")
    response = post_batch(headers, data, output="JSON")
    batch = json.loads(response.content)["batch"]
    assert batch["customers"]["failed"] == 1
    state = UndoState.objects.get(pk=batch["undo_state"])

    stored, api_rows, admin_rows = the_one_failed_line_everywhere(client, superuser_client, state)

    assert stored == ["", "", "", ""]
    assert api_rows[1][:4] == admin_rows[1][:4] == ["", "", "", ""]
    for rows in (api_rows, admin_rows):
        assert "SECRET" not in "".join(rows[1]) and "pwq1" not in "".join(rows[1])
    # Its error still says what was wrong.
    assert api_rows[1][4]
