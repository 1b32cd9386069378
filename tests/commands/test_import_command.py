"""import_customers: a file through the API's engine and rules, in chunks, with a summary of
the same counts and line errors as the API, recorded as a command line undo state."""

import io
import sys
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, OutputWrapper

from campaigns.models import Enrollment, Transaction
from customers.batch import messages as m
from customers.batch import pipeline
from customers.batch.pipeline import ImportProgress
from customers.management.commands import import_customers as command
from customers.models import Customer, UndoChunk, UndoState
from customers.rollback import roll_back
from tests.conftest import EVENTS, POINTS

FILE = (
    "code,first_name,custom_date,auto_add\n"
    "C1,Ann,1970-07-14,5\n"
    "C2,Bob,04-03-2010,\n"
    'C3,"Cat, Jr",,\n'
)


def summary(new=0, updated=0, ignored=0, failed=0, account="greatwidgets") -> str:
    return command.IMPORTED.format(
        account=account, new=new, updated=updated, ignored=ignored, failed=failed
    )


def undo_line(state: UndoState) -> str:
    return command.UNDO.format(id=state.pk, url=f"/admin/customers/undostate/{state.pk}/change/")


def test_a_file_is_imported_with_the_api_rules_as_a_command_line_undo_state(import_file):
    ran = import_file(FILE, campaigns=f"{POINTS},{EVENTS}")

    state = UndoState.objects.get()
    assert ran.stdout.splitlines() == [
        summary(new=2, failed=1),
        undo_line(state),
        command.ERRORS.format(count=1),
        "  line 3, field custom_date: " + m.BAD_DATE_FORMAT.format(value="04-03-2010"),
    ]
    assert state.source == UndoState.Source.COMMAND
    assert state.user is None
    assert (state.new, state.updated, state.ignored, state.failed) == (2, 0, 0, 1)
    assert state.parameters["campaigns_to_include"] == [POINTS, EVENTS]
    assert state.parameters["overwrite_duplicates"] == "update"
    assert sorted(Customer.objects.values_list("code", "first_name")) == [
        ("C1", "Ann"),
        ("C3", "Cat, Jr"),
    ]
    assert Enrollment.objects.filter(undo_state=state).count() == 4
    credit = Transaction.objects.get()
    assert (credit.customer.code, credit.amount, credit.undo_state_id) == ("C1", 5, state.pk)


def test_failed_lines_end_the_command_with_exit_status_2_after_the_summary(campaigns, data_file):
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as failed:
        call_command(
            "import_customers",
            data_file(FILE),
            "--account=greatwidgets",
            f"--campaigns={POINTS}",
            "--delimiter=comma",
            "--overwrite=update",
            "--first-line-headers",
            stdout=out,
            stderr=err,
        )

    assert (str(failed.value), failed.value.returncode) == (
        command.LINES_FAILED.format(failed=1),
        2,
    )
    assert out.getvalue().splitlines()[0] == summary(new=2, failed=1)
    assert Customer.objects.count() == 2


def test_failed_lines_of_a_validation_end_it_with_exit_status_2_too(import_file):
    ran = import_file(FILE, "--validate-only")

    assert ran.returncode == 2
    assert not Customer.objects.exists()


def test_an_import_without_failed_lines_ends_with_exit_status_0(import_file):
    ran = import_file("code,first_name\nC1,Ann\n")

    assert ran.returncode == 0
    assert ran.stdout.splitlines()[0] == summary(new=1)


def test_an_update_is_recorded_for_rollback_like_any_import(import_file, user):
    import_file(FILE)
    import_file("code,first_name\nC1,Annie\nC9,New\n")
    second = UndoState.objects.order_by("-id").first()

    roll_back(undo_state=second, user=user)

    assert sorted(Customer.objects.values_list("code", "first_name")) == [
        ("C1", "Ann"),
        ("C3", "Cat, Jr"),
    ]


def test_headers_option_reads_every_line_as_data_and_numbers_lines_from_one(import_file):
    data = FILE.split("\n", 1)[1]

    ran = import_file(data, "--headers=code,first_name,custom_date,auto_add")

    assert ran.stdout.splitlines()[2:] == [
        command.ERRORS.format(count=1),
        "  line 2, field custom_date: " + m.BAD_DATE_FORMAT.format(value="04-03-2010"),
    ]
    assert sorted(Customer.objects.values_list("code", flat=True)) == ["C1", "C3"]
    assert UndoState.objects.get().parameters["headers"] == [
        "code",
        "first_name",
        "custom_date",
        "auto_add",
    ]


def test_first_line_headers_number_lines_as_in_the_file(import_file):
    ran = import_file('\ncode,first_name\n\nC1,Ann\nC2,"Bob\nJr"\nC3,Cat,extra\n')

    assert ran.stdout.splitlines()[2:] == [
        command.ERRORS.format(count=1),
        "  line 7: " + m.WRONG_VALUE_COUNT.format(got=3, expected=2),
    ]
    assert Customer.objects.get(code="C2").first_name == "Bob\nJr"


def test_an_empty_header_name_leaves_its_column_unread(import_file):
    import_file("C1,ignored,Ann\n", "--headers=code,,first_name")

    assert Customer.objects.get().first_name == "Ann"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ("--headers=code,custome_date",),
            m.UNKNOWN_FIELD_SUGGESTION.format(
                name="profiles_header_2", value="custome_date", suggestion="custom_date"
            ),
        ),
        (
            ("--headers=code,first_name,First_Name",),
            m.FIELD_TWICE.format(
                name="profiles_header_3", value="First_Name", other="profiles_header_2"
            ),
        ),
        (("--headers=code,,,first_name",), m.HEADER_GAP.format(first=2, second=3)),
        (
            ("--headers=code", "--card-number-generate=3"),
            m.BAD_CARD_NUMBER_DIGITS.format(value="3"),
        ),
    ],
)
def test_request_rules_of_the_api_refuse_the_import_before_anything_is_written(
    import_file, arguments, message
):
    with pytest.raises(CommandError) as refused:
        import_file("C1,Ann\n", *arguments)

    assert str(refused.value) == message
    assert not Customer.objects.exists()
    assert not UndoState.objects.exists()


def test_unknown_campaigns_are_named_and_nothing_is_written(import_file):
    with pytest.raises(CommandError) as refused:
        import_file(FILE, campaigns=f"{POINTS},404")

    assert str(refused.value) == m.UNKNOWN_CAMPAIGNS.format(ids="404")
    assert not Customer.objects.exists()
    assert not UndoState.objects.exists()


def test_an_unknown_account_is_refused(import_file, other_account):
    with pytest.raises(CommandError) as refused:
        import_file(FILE, account="nosuchshop")

    assert str(refused.value) == command.UNKNOWN_ACCOUNT.format(account="nosuchshop")


def test_campaigns_are_those_of_the_named_account_only(import_file, other_account):
    with pytest.raises(CommandError) as refused:
        import_file(FILE, account="otherwidgets")

    assert str(refused.value) == m.UNKNOWN_CAMPAIGNS.format(ids=POINTS)
    assert not Customer.objects.exists()


def test_the_account_may_be_named_by_its_owner_id(import_file, account):
    import_file(FILE, account=account.owner_id)

    assert Customer.objects.filter(account=account).count() == 2


def test_a_header_line_missing_from_an_empty_file_is_an_error(import_file):
    with pytest.raises(CommandError) as refused:
        import_file("\n\n")

    assert str(refused.value) == "The file has no header line."


def test_the_summary_lists_fifty_line_errors_and_counts_the_rest(import_file):
    lines = "".join(f"C{n},Ann,31-12-1999\n" for n in range(1, 61))

    ran = import_file("code,first_name,custom_date\n" + lines)

    out = ran.stdout.splitlines()
    assert out[0] == summary(failed=60)
    assert out[1] == undo_line(UndoState.objects.get())
    assert out[2] == command.ERRORS.format(count=60)
    assert out[3] == "  line 2, field custom_date: " + m.BAD_DATE_FORMAT.format(value="31-12-1999")
    assert out[52] == "  line 51, field custom_date: " + m.BAD_DATE_FORMAT.format(
        value="31-12-1999"
    )
    assert out[53:] == [command.MORE.format(count=10)]


def test_generated_codes_and_card_numbers_are_listed(import_file):
    ran = import_file("first_name,card_number\nAnn,\nBob,777\n", "--card-number-generate=8")

    ann = Customer.objects.get(first_name="Ann")
    bob = Customer.objects.get(first_name="Bob")
    assert ran.stdout.splitlines()[2:] == [
        command.GENERATED.format(count=2),
        f"  line 2: code {ann.code}, card number {ann.card_number}",
        f"  line 3: code {bob.code}, card number 777",
    ]
    assert len(ann.card_number) == 8 and bob.card_number == "777"


def test_validate_only_reports_what_would_happen_and_writes_nothing(import_file, settings):
    settings.LOYALTY = {**settings.LOYALTY, "IMPORT_CHUNK_ROWS": 2}

    ran = import_file(FILE, "--validate-only")

    assert ran.stdout.splitlines() == [
        command.VALIDATED.format(account="greatwidgets", new=2, updated=0, ignored=0, failed=1),
        command.ERRORS.format(count=1),
        "  line 3, field custom_date: " + m.BAD_DATE_FORMAT.format(value="04-03-2010"),
    ]
    assert not Customer.objects.exists()
    assert not Enrollment.objects.exists()
    assert not Transaction.objects.exists()
    assert not UndoState.objects.exists()


def test_no_undo_records_no_undo_state(import_file):
    ran = import_file(FILE, "--no-undo")

    assert ran.stdout.splitlines()[:2] == [summary(new=2, failed=1), command.NO_UNDO]
    assert Customer.objects.count() == 2
    assert not UndoState.objects.exists()
    assert Enrollment.objects.get(customer__code="C1").undo_state_id is None


def test_the_overwrite_modes_are_the_apis(import_file):
    import_file("code,first_name,last_name\nC1,Ann,Smith\n")

    ignored = import_file("code,first_name\nC1,Annie\n", overwrite="ignore")
    blanked = import_file("code,first_name\nC1,Annabel\n", overwrite="yes")

    assert ignored.stdout.splitlines()[0] == summary(ignored=1)
    assert blanked.stdout.splitlines()[0] == summary(updated=1)
    assert Customer.objects.values_list("first_name", "last_name").get() == ("Annabel", "")


def test_pipe_and_tab_delimited_files_and_crlf_line_ends_are_read(import_file):
    import_file("code|first_name\r\nC1|Ann\r\n", delimiter="pipe")
    import_file('\ufeffcode\tfirst_name\rC2\t"Bob\tJr"\r', delimiter="tab")

    assert sorted(Customer.objects.values_list("code", "first_name")) == [
        ("C1", "Ann"),
        ("C2", "Bob\tJr"),
    ]


def test_the_accounts_custom_fields_may_be_named(import_file, account):
    account.custom_field_count = 2
    account.save()

    import_file("code,custom_field_2\nC1,blue\n")

    assert Customer.objects.get().custom_fields == {"custom_field_2": "blue"}


def test_a_file_that_is_not_utf8_is_refused(import_file, data_file):
    with pytest.raises(CommandError) as refused:
        import_file("code,first_name\nC1,Zoë\n".encode("latin-1"))

    assert str(refused.value).startswith(command.NOT_UTF8.format(file=data_file.last, reason=""))
    assert not Customer.objects.exists()
    assert not UndoState.objects.exists()


def test_an_error_late_in_the_file_keeps_the_committed_chunks_and_their_undo_state(
    import_file, settings
):
    settings.LOYALTY = {**settings.LOYALTY, "IMPORT_CHUNK_ROWS": 100}
    # Far beyond the first block the file is decoded in.
    good = "".join(f"C{n:05d},Name {n}\n" for n in range(1, 3001)).encode()
    content = b"code,first_name\n" + good + "C0,Zoë\n".encode("latin-1")

    with pytest.raises(CommandError) as stopped:
        import_file(content)

    state = UndoState.objects.get()
    imported = Customer.objects.count()
    assert str(stopped.value).startswith(command.FAILED.format(error=""))
    assert 0 < imported < 3000 and imported % 100 == 0
    assert (state.new, state.chunks.count()) == (imported, imported // 100)


def test_the_file_is_imported_in_chunks_each_committed_with_its_undo_data(import_file, settings):
    settings.LOYALTY = {**settings.LOYALTY, "IMPORT_CHUNK_ROWS": 2}
    lines = "".join(f"C{n},Name {n},,{n}\n" for n in range(1, 6))

    ran = import_file("code,first_name,custom_date,auto_add\n" + lines)

    state = UndoState.objects.get()
    assert state.new == 5
    assert UndoChunk.objects.filter(undo_state=state).count() == 3
    progress = ran.stderr.splitlines()
    assert [line.split(" rows,")[0] for line in progress] == ["2", "4", "5"]
    assert progress[-1].endswith(", 100% of the file")
    assert sum(Transaction.objects.values_list("amount", flat=True)) == Decimal(15)


def test_verbosity_zero_shows_no_progress(import_file):
    ran = import_file(FILE, "--verbosity=0")

    assert ran.stderr == ""
    assert ran.stdout.splitlines()[0] == summary(new=2, failed=1)


def test_help_says_why_all_or_nothing_and_request_id_are_not_offered():
    help_text = command.Command().create_parser("manage.py", "import_customers").format_help()

    assert "all_or_nothing is not offered" in " ".join(help_text.split())
    assert "request_id is not offered" in " ".join(help_text.split())


def test_standard_input_is_read_with_a_dash(campaigns, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(b"code,first_name\nC1,Ann\n"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    out = io.StringIO()

    call_command(
        "import_customers",
        "-",
        "--account=greatwidgets",
        f"--campaigns={POINTS}",
        "--delimiter=comma",
        "--overwrite=update",
        "--first-line-headers",
        stdout=out,
        stderr=io.StringIO(),
    )

    assert out.getvalue().splitlines()[0] == summary(new=1)
    assert Customer.objects.get().first_name == "Ann"


def test_an_unreadable_file_is_refused(campaigns, tmp_path):
    missing = tmp_path / "missing.csv"

    with pytest.raises(CommandError) as refused:
        call_command(
            "import_customers",
            str(missing),
            "--account=greatwidgets",
            f"--campaigns={POINTS}",
            "--delimiter=comma",
            "--overwrite=update",
            "--first-line-headers",
        )

    assert str(refused.value) == command.CANNOT_OPEN.format(
        file=missing, reason="No such file or directory"
    )


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def progress(lines: int) -> ImportProgress:
    return ImportProgress(
        chunks=1,
        lines=lines,
        last_line=lines + 1,
        new=lines,
        updated=0,
        ignored=0,
        failed=0,
        generated=0,
        undo_state_id=None,
    )


def test_progress_on_a_terminal_is_one_line_rewritten_in_place_with_the_time_left():
    terminal = Terminal()
    clock = iter([0.0, 2.0, 4.0])
    position = iter([250, 1000])
    bar = command.ProgressLine(
        OutputWrapper(terminal),
        size=1000,
        position=lambda: next(position),
        enabled=True,
        clock=lambda: next(clock),
    )

    bar.update(progress(10_000))
    bar.update(progress(20_000))
    bar.finish()

    first = "10,000 rows, 5,000 rows/s, 25% of the file, about 6 s left"
    second = "20,000 rows, 5,000 rows/s, 100% of the file"
    assert terminal.getvalue() == f"\r{first}\r{second.ljust(len(first))}\n"


def test_progress_of_a_pipe_has_no_time_left():
    log = io.StringIO()
    clock = iter([0.0, 10.0])
    bar = command.ProgressLine(
        OutputWrapper(log), size=None, position=lambda: 0, enabled=True, clock=lambda: next(clock)
    )

    bar.update(progress(5_000))
    bar.finish()

    assert log.getvalue() == "5,000 rows, 500 rows/s\n"


@pytest.mark.parametrize(
    ("seconds", "shown"), [(12.4, "12 s"), (185, "3 min 05 s"), (3725, "1 h 02 min")]
)
def test_durations_are_shown_in_the_two_largest_units(seconds, shown):
    assert command.duration(seconds) == shown


def test_a_second_ctrl_c_rolls_back_the_chunk_in_progress_and_reports_the_rest(
    import_file, settings, monkeypatch
):
    settings.LOYALTY = {**settings.LOYALTY, "IMPORT_CHUNK_ROWS": 2}
    real_write_chunk = pipeline.write_chunk

    def write_chunk(*arguments):
        real_write_chunk(*arguments)
        if arguments[4] == 2:  # the third chunk, written but not committed
            raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "write_chunk", write_chunk)
    lines = "".join(f"C{n},Name {n}\n" for n in range(1, 8))

    with pytest.raises(CommandError) as abandoned:
        import_file("code,first_name\n" + lines)

    state = UndoState.objects.get()
    assert (str(abandoned.value), abandoned.value.returncode) == (command.ABANDONED, 130)
    assert import_file.last.stdout.splitlines() == [
        command.PARTIAL.format(line=5, new=4, updated=0, ignored=0, failed=0),
        undo_line(state),
    ]
    assert sorted(Customer.objects.values_list("code", flat=True)) == ["C1", "C2", "C3", "C4"]
    assert (state.new, state.chunks.count()) == (4, 2)
