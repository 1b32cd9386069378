"""A failed-lines file imported again, as the admin's preview names its lines.

That file's `line` column is each line's number in the file first imported
(customers/failed_lines_file.py keeps it through any number of re-imports). The import
never reads it as a customer's value (customers/spreadsheet.py, columns_read); the preview
reads it as each line is read (the import's values_read hook, no second pass) and names a
failing line by both numbers: "Line 2 (line 54,323 of the original file)".
"""

from __future__ import annotations

from dataclasses import dataclass

from .batch.types import LineError, ValuesRead

# A row of a failed-lines file imported again, named with the line it was of the file first
# imported, from the file's line column (customers/failed_lines_file.py keeps it).
ORIGINAL_LINE = "{line} (line {original} of the original file)"


@dataclass(frozen=True)
class ShownLineError(LineError):
    """A line error as the preview lists it: `said` is its line as named there ("3", or
    "3 (line 54,323 of the original file)")."""

    said: str = ""


class OriginalLines:
    """A values_read hook that keeps, after `read`, each line's value of the failed-lines
    file's line column (`index`, from 0): the line it was of the file first imported."""

    def __init__(self, read: ValuesRead, index: int | None):
        self.read = read
        self.index = index
        self.lines: dict[int, str] = {}

    def __call__(self, line: int, as_read: list[str]) -> list[str] | None:
        index = self.index
        if index is not None and index < len(as_read) and as_read[index].strip().isdigit():
            self.lines[line] = as_read[index].strip()
        return self.read(line, as_read)


def line_said(line: int, original: str | None) -> str:
    """A failing line as the preview names it: its number, and the original's if known."""
    if original is None:
        return str(line)
    return ORIGINAL_LINE.format(line=line, original=f"{int(original):,}")
