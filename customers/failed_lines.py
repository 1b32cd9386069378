"""The failed lines of an import, kept with its undo state and offered as a file.

The import's pipeline (customers/batch/pipeline.py) records each chunk's failed lines in
the chunk's own transaction, one compressed FailedLineChunk row per chunk, whatever the
import came from (the API, the admin, the command line): however many lines fail, the
server holds one chunk of them at a time. The file they make for a person, which the
admin's undo state page and the API's customers_batch_failed_lines both offer, is
customers/failed_lines_file.py's; here are the lines as kept (the password and PIN
columns left blank: no secret is kept in plain text), ordered by line, and the API's
data_only=yes file of their values alone, as sent, for a machine. A line with
more or fewer values than headers was split or merged somewhere (an unquoted
delimiter inside a password, a value left out, a stray quote), so its secrets may sit in
any column near theirs: of such a line only the values that no shift of that size could
have brought from a secret column are kept (kept_values). A line with a value holding a
line break took in the text lines after it (a quote opened and not closed on its line), and
their secrets with them, into any of its values: of such a line no value is kept.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from django.conf import settings
from django.db import connection

from accounts.models import Account
from core import rawsql

from .batch.types import LineError
from .models import FailedLineChunk, UndoState
from .values import has_undecoded_bytes

# Columns whose values are never kept: a failed line's password or PIN would be stored in
# plain text (a stored customer only ever has their hash).
SECRET_FIELDS = frozenset({"customer_password", "customer_pin"})


def secret_positions(headers: Iterable[str | None]) -> frozenset[int]:
    """The positions of a line's values that are never kept."""
    return frozenset(index for index, field in enumerate(headers) if field in SECRET_FIELDS)


def kept_values(values: list[str], *, secrets: frozenset[int], width: int) -> list[str]:
    """The values of a failed line that may be kept, the others blank. A line of `width`
    values (the headers' count) has each value in its column: only the secret columns are
    blanked. A line with `shift` values more or fewer has each value at most `shift`
    columns from the one it was meant for (values split by a delimiter move right, values
    left out or merged move left), so a value is kept only when no secret column is that
    near on the side it could have come from. A value holding a line break means a quote
    opened on one text line and closed on a later one: the lines between, secrets and all,
    sit inside that value, whatever the line's width, so no value is kept."""
    if secrets and any("\n" in v or "\r" in v for v in values):
        return [""] * len(values)
    shift = len(values) - width
    if shift == 0 or not secrets:
        return ["" if index in secrets else _storable(v) for index, v in enumerate(values)]
    # More values: the value at `index` was meant for a column in index-shift..index;
    # fewer: in index..index-shift.
    low, high = (-shift, 0) if shift > 0 else (0, -shift)
    return [
        "" if any(index + offset in secrets for offset in range(low, high + 1)) else _storable(v)
        for index, v in enumerate(values)
    ]


def record_failed_lines(
    *,
    undo_state: UndoState,
    seq: int,
    errors: list[LineError],
    values: dict[int, list[str]],
    secrets: frozenset[int],
    width: int,
) -> None:
    """One chunk's failed lines: each line's first error with the values the line was sent
    with (none for a line that could not be read), secrets blanked (kept_values), then the
    line's other errors, if any, as [field, message] pairs; `width` is the headers' count.
    `errors` holds a line's errors next to each other (ChunkMatcher.plan)."""
    if not errors:
        return
    lines: list[list] = []
    for error in errors:
        if lines and lines[-1][0] == error.line:
            if len(lines[-1]) == 4:
                lines[-1].append([])
            lines[-1][4].append([error.field, _storable(error.message)])
            continue
        lines.append(
            [
                error.line,
                error.field,
                _storable(error.message),
                kept_values(list(values.get(error.line, ())), secrets=secrets, width=width),
            ]
        )
    rawsql.insert(
        FailedLineChunk(
            undo_state=undo_state, seq=seq, payload=FailedLineChunk.pack({"lines": lines})
        )
    )


def _storable(value: str) -> str:
    """`value` as UTF-8 can hold it: bytes that were not text (kept as lone surrogates,
    customers/values.py) become U+FFFD, as the import's answer shows them."""
    if not has_undecoded_bytes(value):
        return value
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def has_failed_lines(undo_state: UndoState) -> bool:
    return FailedLineChunk.objects.filter(undo_state=undo_state).exists()


def failed_lines_dropped(undo_state: UndoState) -> bool:
    """Whether lines of the import failed but are kept no more (prune_failed_lines: only
    the newest UNDO_STATES_KEPT imports of an account keep theirs), so that an empty file
    would say, wrongly, that none failed."""
    return undo_state.failed > 0 and not has_failed_lines(undo_state)


class FailedLine(NamedTuple):
    line: int
    field: str | None
    message: str
    values: list[str]  # as kept (kept_values)
    # The line's other errors, (field, message), in column order.
    more: tuple[tuple[str | None, str], ...] = ()

    def errors(self) -> list[LineError]:
        """Every error of the line, its first one first."""
        first = LineError(self.line, self.field, self.message)
        return [first, *(LineError(self.line, field, message) for field, message in self.more)]


def failed_lines(undo_state: UndoState) -> Iterator[FailedLine]:
    """The import's failed lines in line order, one chunk of them read at a time."""
    chunks = FailedLineChunk.objects.filter(undo_state=undo_state).order_by("seq")
    for pk in chunks.values_list("pk", flat=True).iterator():
        chunk = FailedLineChunk.objects.get(pk=pk)
        # A line kept before a line could list several errors has four items.
        for line, field, message, values, *more in chunk.unpack()["lines"]:
            others = tuple((f, said) for f, said in more[0]) if more else ()
            yield FailedLine(line, field, message, values, others)


class _Echo:
    """A file-like object whose write returns what was written (for streaming CSV)."""

    def write(self, text: str) -> str:
        return text


def failed_lines_data(undo_state: UndoState) -> Iterator[str]:
    """The failed lines for a machine (the API's data_only=yes): each line's values as they
    were sent and kept, secrets blank, in the import's delimiter, with no header row, no
    error and no neutralising, ready to send again as a request's Profiles_Data with the
    import's profiles_header_N and delimiter. A line that could not be read kept no
    values and is left out. Never to be opened in a spreadsheet: nothing in it is
    neutralised (the file for a person is customers/failed_lines_file.py's)."""
    delimiter = undo_state.parameters.get("delimiter") or ","
    writer = csv.writer(_Echo(), delimiter=delimiter, lineterminator="\n")
    for failed in failed_lines(undo_state):
        if failed.values:
            yield writer.writerow(failed.values)


def failed_lines_filename(undo_state: UndoState, *, data_only: bool = False) -> str:
    if data_only:
        return f"import-{undo_state.pk}-failed-lines-data.txt"
    return f"import-{undo_state.pk}-failed-lines.csv"


# States just beyond the kept ones whose failed lines an import drops: each import pushes
# one state out, so a few per import keep up, and its cost does not grow with the history.
PRUNED_PER_IMPORT = 10
# Undo states per DELETE statement (SQLite limits a statement's variables).
DELETE_BATCH = 500


def prune_failed_lines(*, account: Account, everything: bool = False) -> int:
    """Drop the failed lines of the account's imports beyond the newest UNDO_STATES_KEPT
    (whatever their status); the states keep their counts. After an import only the
    PRUNED_PER_IMPORT states just beyond them are looked at; `everything` looks at all
    (the prune_undo_states command). Returns the rows deleted."""
    kept = settings.LOYALTY["UNDO_STATES_KEPT"]
    table = connection.ops.quote_name(UndoState._meta.db_table)
    limit = "" if everything else f" LIMIT {PRUNED_PER_IMPORT}"
    if everything and connection.vendor == "sqlite":
        limit = " LIMIT -1"  # SQLite's OFFSET needs a LIMIT
    elif everything:
        limit = " LIMIT ALL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {table} WHERE account_id = %s "
            f"ORDER BY created_at DESC, id DESC{limit} OFFSET %s",
            [account.pk, kept],
        )
        stale = [row[0] for row in cursor.fetchall()]
    deleted = 0
    for start in range(0, len(stale), DELETE_BATCH):
        batch = stale[start : start + DELETE_BATCH]
        deleted += FailedLineChunk.objects.filter(undo_state_id__in=batch).delete()[0]
    return deleted
