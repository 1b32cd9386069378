"""Import customers from a delimited file of any size, through the API's engine, in chunks."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TextIO

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.urls import reverse

from accounts.selectors import account_by_identifier
from core.errors import DomainError
from customers.batch.params import DELIMITERS
from customers.batch.pipeline import ImportProgress
from customers.batch.stream import import_customers_in_chunks, read_header_line, stream_request
from customers.batch.types import (
    BatchStatus,
    GeneratedIdentity,
    ImportResult,
    LineError,
    OverwriteMode,
    errors_of_first_lines,
    lines_of,
)
from customers.models import UndoState
from customers.spreadsheet import restored_line

UNKNOWN_ACCOUNT = "No account with the slug or owner id {account}."
CANNOT_OPEN = "Cannot open {file}: {reason}"
NOT_UTF8 = "{file} is not UTF-8 text: {reason}"
IMPORTED = (
    "Imported into {account}: {new} new, {updated} updated, {ignored} ignored, {failed} failed."
)
VALIDATED = (
    "Validated for {account}, nothing written: {new} new, {updated} updated, {ignored} ignored, "
    "{failed} failed."
)
UNDO = "Undo state {id}: roll it back in the admin at {url}"
NO_UNDO = "No undo state was recorded (--no-undo)."
NOTHING_IMPORTED = "Nothing was written."
GENERATED = "Generated codes or card numbers ({count}):"
GENERATED_LINE = "  line {line}: code {code}"
GENERATED_CARD = ", card number {card_number}"
ERRORS = "Line errors ({count}):"
ERROR_LINE = "  line {line}, field {field}: {message}"
ERROR_LINE_NO_FIELD = "  line {line}: {message}"
MORE = "  and {count} more"
STOPPED = (
    "Stopped by Ctrl-C after line {line}: the lines up to it were imported; the lines after "
    "it, if any, were not read."
)
INTERRUPTED = "Import interrupted by Ctrl-C."
ABANDONED = "Import abandoned by a second Ctrl-C; the chunk in progress was rolled back."
FAILED = "The import stopped with an error; the chunk in progress was rolled back: {error}"
PARTIAL = (
    "Committed before it stopped, up to line {line}: {new} new, {updated} updated, "
    "{ignored} ignored, {failed} failed."
)
LINES_FAILED = (
    "{failed} line(s) failed (listed above); the other lines were imported. Exit status 2."
)
LINES_WOULD_FAIL = "{failed} line(s) would fail (listed above). Exit status 2."
# Line errors and generated identities listed in the summary; the counts are complete.
SHOWN = 50
# Exit statuses (docs/api.md, "Command line"): 0 every line imported (or validated), 1 the
# import was refused or stopped by an error, 2 some lines failed, 130 stopped by Ctrl-C.
LINES_FAILED_RETURN_CODE = 2
INTERRUPTED_RETURN_CODE = 130


class Command(BaseCommand):
    help = (
        "Import customers from a delimited file (UTF-8; - for standard input) into an "
        "account, with the API's customers_batch rules. The file is read in chunks of "
        "LOYALTY['IMPORT_CHUNK_ROWS'] lines, each its own transaction, so a multi-gigabyte "
        "file imports in bounded memory; all chunks share one undo state (source: command "
        "line), kept right after every chunk. Ctrl-C stops cleanly after the current chunk. "
        "all_or_nothing is not offered: it would need the whole file in one transaction. "
        "request_id is not offered either: it guards one request, not a file."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", metavar="FILE", help="The file to import; - reads stdin.")
        parser.add_argument(
            "--account", required=True, metavar="SLUG", help="The account's slug or owner id."
        )
        parser.add_argument(
            "--campaigns",
            required=True,
            metavar="ID[,ID...]",
            help="Campaign ids separated by commas; auto_add credits go to the first.",
        )
        parser.add_argument("--delimiter", required=True, choices=["comma", "pipe", "tab"])
        parser.add_argument(
            "--overwrite",
            required=True,
            choices=[mode.value for mode in OverwriteMode],
            help="Existing customers: ignore them; update the file's columns; yes: also "
            "blank every field the file does not have.",
        )
        headers = parser.add_mutually_exclusive_group(required=True)
        headers.add_argument(
            "--headers",
            metavar="NAME,NAME,...",
            help="The field of each column (code,card_number,first_name,...); an empty name "
            "leaves a column unread.",
        )
        headers.add_argument(
            "--first-line-headers",
            action="store_true",
            help="The file's first line names the fields (as export_customers writes it).",
        )
        parser.add_argument(
            "--card-number-generate",
            metavar="N",
            help="Give customers without a card number a random N-digit one (4 to 32).",
        )
        parser.add_argument(
            "--validate-only",
            action="store_true",
            help="Check everything and write nothing. Each chunk is checked against the "
            "database as it is, without the file's earlier chunks.",
        )
        parser.add_argument("--no-undo", action="store_true", help="Record no undo state.")
        parser.add_argument(
            "--raw",
            action="store_true",
            help="Import every value as it is in the file. Without it, the apostrophe that "
            "export_customers puts in front of a value starting with =, +, -, @, a tab or a "
            "carriage return (so that a spreadsheet shows it as text) is taken off again.",
        )

    def handle(self, *args, file: str, account: str, raw: bool, verbosity: int, **options) -> None:
        target = account_by_identifier(account)
        if target is None:
            raise CommandError(UNKNOWN_ACCOUNT.format(account=account))
        with _opened(file) as source:
            request, first_line = _request(source.text, file, target, options)
            progress = ProgressLine(
                self.stderr, size=source.size, position=source.position, enabled=verbosity > 0
            )
            with CtrlC() as ctrl_c:
                result = self._import(
                    target, request, source.text, first_line, progress, ctrl_c, raw=raw
                )
            progress.finish()
        self._report(target.slug, result, progress.last)
        if ctrl_c.pressed() and progress.last is not None:
            self.stdout.write(STOPPED.format(line=progress.last.last_line))
            raise CommandError(INTERRUPTED, returncode=INTERRUPTED_RETURN_CODE)
        if result.failed:
            # A script must notice: the summary alone would end with status 0.
            validated = result.status == BatchStatus.VALIDATED
            template = LINES_WOULD_FAIL if validated else LINES_FAILED
            raise CommandError(
                template.format(failed=result.failed), returncode=LINES_FAILED_RETURN_CODE
            )

    def _import(
        self, account, request, lines, first_line, progress, ctrl_c, *, raw: bool
    ) -> ImportResult:
        """The service's result; on an error, what was committed before it, then CommandError."""
        try:
            return import_customers_in_chunks(
                account=account,
                user=None,
                request=request,
                lines=lines,
                source=UndoState.Source.COMMAND,
                on_chunk=progress.update,
                should_stop=ctrl_c.pressed,
                first_line=first_line,
                values_read=None if raw else restored_line,
            )
        except DomainError as error:  # refused before anything was written
            raise CommandError(error.message) from None
        except KeyboardInterrupt:
            progress.finish()
            self._report_partial(progress.last, validated=request.validate_only)
            raise CommandError(ABANDONED, returncode=INTERRUPTED_RETURN_CODE) from None
        except Exception as error:
            progress.finish()
            self._report_partial(progress.last, validated=request.validate_only)
            raise CommandError(FAILED.format(error=error)) from error

    def _report(self, slug: str, result: ImportResult, last: ImportProgress | None) -> None:
        validated = result.status == BatchStatus.VALIDATED
        template = VALIDATED if validated else IMPORTED
        self.stdout.write(
            template.format(
                account=slug,
                new=result.new,
                updated=result.updated,
                ignored=result.ignored,
                failed=result.failed,
            )
        )
        self._report_undo(result.undo_state_id, validated=validated)
        if result.generated:
            generated = last.generated if last is not None else len(result.generated)
            self.stdout.write(GENERATED.format(count=generated))
            for item in result.generated[:SHOWN]:
                self.stdout.write(generated_line(item))
            if generated > SHOWN:
                self.stdout.write(MORE.format(count=generated - SHOWN))
        if result.errors:
            self.stdout.write(ERRORS.format(count=result.failed))
            # Every error of the first SHOWN failed lines; the rest are counted as lines.
            listed = errors_of_first_lines(result.errors, SHOWN)
            for error in listed:
                self.stdout.write(error_line(error))
            if result.failed > lines_of(listed):
                self.stdout.write(MORE.format(count=result.failed - lines_of(listed)))

    def _report_partial(self, last: ImportProgress | None, *, validated: bool) -> None:
        if last is None or validated:
            self.stdout.write(NOTHING_IMPORTED)
            return
        self.stdout.write(
            PARTIAL.format(
                line=last.last_line,
                new=last.new,
                updated=last.updated,
                ignored=last.ignored,
                failed=last.failed,
            )
        )
        self._report_undo(last.undo_state_id, validated=False)

    def _report_undo(self, undo_state_id: int | None, *, validated: bool) -> None:
        if undo_state_id is not None:
            url = reverse("admin:customers_undostate_change", args=[undo_state_id])
            self.stdout.write(UNDO.format(id=undo_state_id, url=url))
        elif not validated:
            self.stdout.write(NO_UNDO)


def generated_line(item: GeneratedIdentity) -> str:
    """A generated identity as the summary shows it: line N: code C, card number K."""
    text = GENERATED_LINE.format(line=item.line, code=item.code)
    if item.card_number:
        text += GENERATED_CARD.format(card_number=item.card_number)
    return text


def error_line(error: LineError) -> str:
    """A line error as the summary shows it: line N, field F: message."""
    if error.field is None:
        return ERROR_LINE_NO_FIELD.format(line=error.line, message=error.message)
    return ERROR_LINE.format(line=error.line, field=error.field, message=error.message)


def _request(text: TextIO, path: str, account, options: dict):
    """The BatchRequest the options describe (the API's checks), and the file's first data
    line: 2 after a header line."""
    params = {
        # 1.5: campaigns separated by commas, and the account's custom_field_N headers.
        "api": "1.5",
        "delimiter": options["delimiter"],
        "overwrite_duplicates": options["overwrite"],
        "campaigns_to_include": options["campaigns"],
        "allow_undo": "no" if options["no_undo"] else "yes",
        "validate_only": "yes" if options["validate_only"] else "no",
    }
    if options["card_number_generate"] is not None:
        params["card_number_generate"] = options["card_number_generate"]
    first_line = 1
    try:
        if options["first_line_headers"]:
            names, taken = read_header_line(text, DELIMITERS[options["delimiter"]])
            first_line = taken + 1
        else:
            names = options["headers"].split(",")
        for number, name in enumerate(names, start=1):
            params[f"profiles_header_{number}"] = name.strip()
        request = stream_request(params, account=account)
        file_name = None if path == "-" else path
        return dataclasses.replace(request, file_name=file_name), first_line
    except DomainError as error:
        raise CommandError(error.message) from None
    except UnicodeDecodeError as error:
        raise CommandError(NOT_UTF8.format(file=path, reason=error)) from None


@dataclass
class _Source:
    text: TextIO
    # Bytes in the file, None for a pipe; position() is how far it was read.
    size: int | None
    position: Callable[[], int]


@contextlib.contextmanager
def _opened(path: str) -> Iterator[_Source]:
    """The file as UTF-8 text with its line ends kept (the parser reads LF, CRLF and CR)."""
    if path == "-":
        binary = sys.stdin.buffer
    else:
        try:
            binary = open(path, "rb")  # closed below, with the text wrapper
        except OSError as error:
            raise CommandError(CANNOT_OPEN.format(file=path, reason=error.strerror)) from None
    size = _file_size(binary)
    text = io.TextIOWrapper(binary, encoding="utf-8", newline="")
    try:
        yield _Source(text, size, binary.tell if size is not None else lambda: 0)
    finally:
        if path == "-":
            text.detach()
        else:
            text.close()


def _file_size(binary) -> int | None:
    """The size of a regular file, None for a pipe or anything else without one."""
    try:
        info = os.fstat(binary.fileno())
    except (OSError, io.UnsupportedOperation):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


class ProgressLine:
    """Progress on stderr: rows done, rows per second and, for a file, the time left
    estimated from how far into the file the import has read. On a terminal one line is
    rewritten in place; otherwise (a log) a line per chunk."""

    def __init__(
        self,
        out: OutputWrapper,
        *,
        size: int | None,
        position: Callable[[], int],
        enabled: bool,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.out = out
        self.size = size
        self.position = position
        self.enabled = enabled
        self.clock = clock
        self.started = clock()
        self.in_place = out.isatty()
        self.width = 0
        self.last: ImportProgress | None = None

    def update(self, progress: ImportProgress) -> None:
        self.last = progress
        if not self.enabled:
            return
        text = self.text(progress)
        if self.in_place:
            self.out.write("\r" + text.ljust(self.width), ending="", style_func=_plain)
            self.width = len(text)
        else:
            self.out.write(text, style_func=_plain)
        self.out.flush()

    def text(self, progress: ImportProgress) -> str:
        elapsed = max(self.clock() - self.started, 1e-6)
        text = f"{progress.lines:,} rows, {progress.lines / elapsed:,.0f} rows/s"
        if self.size:
            done = min(self.position() / self.size, 1.0)
            text += f", {done:.0%} of the file"
            if 0 < done < 1:
                text += f", about {duration(elapsed * (1 - done) / done)} left"
        return text

    def finish(self) -> None:
        """End the line rewritten in place, so what follows starts on its own line."""
        if self.enabled and self.in_place and self.width:
            self.out.write("", style_func=_plain)
            self.width = 0


def duration(seconds: float) -> str:
    """1 h 02 min, 3 min 05 s, 12 s."""
    seconds = round(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"


def _plain(text: str) -> str:
    return text


class CtrlC:
    """While entered, the first Ctrl-C (SIGINT) only asks the import to stop after the
    current chunk; a second one interrupts at once (the chunk in progress rolls back)."""

    def __init__(self):
        self._pressed = False
        self._previous = None

    def pressed(self) -> bool:
        return self._pressed

    def __enter__(self) -> CtrlC:
        # Signal handlers can only be set from the main thread (not so in some test runners).
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)

    def _handle(self, signum, frame) -> None:
        # No output here: the handler may run in the middle of a write to the same stream.
        if self._pressed:
            raise KeyboardInterrupt
        self._pressed = True
