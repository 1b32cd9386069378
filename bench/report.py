"""The results as a table: one row per figure, one column per backend, the target and
PASS/MISS beside each figure that has one. Rendered as text (printed) and Markdown."""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .measure import SMALL_RUNS

SQLITE, POSTGRES = "SQLite", "PostgreSQL"
MB = 1_000_000


@dataclass(frozen=True)
class Cell:
    text: str
    verdict: bool | None = None  # None: no target for this figure on this backend

    def render(self) -> str:
        if self.verdict is None:
            return self.text
        return f"{self.text}  {'PASS' if self.verdict else 'MISS'}"


@dataclass
class Line:
    label: str
    cells: dict[str, Cell] = field(default_factory=dict)
    target: str = ""
    section: bool = False


def build(results: dict[str, dict], rows: int, small_seconds: float) -> list[Line]:
    """The table's lines for `results` (backend name -> that backend's measurements)."""
    table = Table(results)
    big = f"{rows:,}"
    table.section(
        f"customers_batch over HTTP, {big} rows (gunicorn, warmed sync worker, API 1.0 password, "
        "undo recorded, 1 campaign)"
    )
    table.line("all new: time", lambda r: _seconds_vs(r, "new", None, _new_limit), _NEW_TARGET)
    table.line("all new: rows/s", lambda r: _rate(r.get("new")))
    table.line("all new: peak worker RSS", lambda r: _memory(r.get("new")), "≤ 250 MB")
    table.line(
        "update, same rows again (nothing changes, nothing written): time",
        lambda r: _seconds_vs(r, "update", None),
    )
    table.line("update: rows/s", lambda r: _rate(r.get("update")))
    table.line("update: peak worker RSS", lambda r: _memory(r.get("update")), "≤ 250 MB")
    table.line(
        "update, every row changed (a new phone): time",
        lambda r: _seconds_vs(r, "changed", 1.5),
        "≤ 1.5× new",
    )
    table.line("changed: rows/s", lambda r: _rate(r.get("changed")))
    table.line("changed: peak worker RSS", lambda r: _memory(r.get("changed")), "≤ 250 MB")
    table.line("50/50 existing/new: time", lambda r: _seconds_vs(r, "mix", None))
    table.line("50/50: rows/s", lambda r: _rate(r.get("mix")))
    table.line("50/50: peak worker RSS", lambda r: _memory(r.get("mix")), "≤ 250 MB")

    table.section("Rollback (roll_back in a subprocess, newest first, conflicts confirmed)")
    for key, name in (
        ("mix", "50/50"),
        ("changed", "every row changed"),
        ("update", "same rows again"),
        ("new", "all new"),
    ):
        table.line(f"roll back {name}: time", lambda r, k=key: _rollback(r, k), "≤ 4 s")
        table.line(f"roll back {name}: deleted/restored/conflicts", lambda r, k=key: _undone(r, k))

    table.section(
        f"Small requests: 3-row batches, 8 client processes, gunicorn 4 sync workers, "
        f"{small_seconds:g} s each"
    )
    for run in SMALL_RUNS:
        key, name = run.key, run.name
        table.line(f"{name}: requests/s", lambda r, k=key: _throughput(r, k), "≥ 300/s (PG)")
        table.line(f"{name}: p50 / p99", lambda r, k=key: _latency(r, k), "p99 < 50 ms (PG)")
        table.line(f"{name}: errors", lambda r, k=key: _errors(r, k))

    table.section("Scaling: all new, fresh database and server each")
    table.line(f"{rows // 10:,} rows", lambda r: _scale(r.get("scale_small")))
    table.line(f"{big} rows", lambda r: _scale(r.get("new")))
    table.line(f"{rows * 10:,} rows", lambda r: _scale(r.get("scale_large")))
    table.line(f"peak RSS {rows * 10:,} ÷ {big}", _memory_growth, "< 10×")
    table.line(
        f"{big} rows with customer_password and customer_PIN",
        lambda r: _seconds_vs(r, "secrets", 3),
        "≤ 3× all new",
    )
    failing = f"{rows * 10:,} failing lines, request_id"
    table.line(f"{failing}: peak worker RSS", lambda r: _memory(r.get("failing")), "≤ 250 MB")
    table.line(f"{failing}: answer, stored reply, failed lines", _failing_sizes)

    table.section(f"Baselines: the same {big} rows, fresh database each")
    table.line("django-import-export, default options", lambda r: _baseline(r, "import_export"))
    table.line("  ours (all new) faster by", lambda r: _speedup(r, "import_export"))
    table.line("django-import-export, use_bulk", lambda r: _baseline(r, "import_export_bulk"))
    table.line("  ours faster by", lambda r: _speedup(r, "import_export_bulk", 20), "≥ 20×")
    table.line("driver alone: COPY (psycopg)", lambda r: _baseline(r, "floor_copy"))
    table.line("driver alone: executemany", lambda r: _baseline(r, "floor_executemany"))
    table.line("  ours ÷ fastest driver floor", _floor_ratio, "≤ 3×")
    return table.lines


def render_text(header: list[str], lines: list[Line], backends: list[str], notes) -> str:
    columns = ["", *backends, "target"]
    body = [[line.label, *(_cell(line, b) for b in backends), line.target] for line in lines]
    sized = [columns, *(row for line, row in zip(lines, body, strict=True) if not line.section)]
    widths = [max(len(row[i]) for row in sized) for i in range(len(columns))]
    rule = "  ".join("-" * width for width in widths)
    out = [*header, "", _row(columns, widths), rule]
    for line, row in zip(lines, body, strict=True):
        out.append(f"\n{line.label}" if line.section else _row(row, widths))
    out.extend(["", *notes])
    return "\n".join(out)


def render_markdown(header: list[str], lines: list[Line], backends: list[str], notes) -> str:
    out = [f"# {header[0]}", "", *(f"- {item}" for item in header[1:]), ""]
    out.append("| | " + " | ".join(backends) + " | target |")
    out.append("|---" * (len(backends) + 2) + "|")
    for line in lines:
        if line.section:
            out.append(f"| **{line.label}** |" + " |" * (len(backends) + 1))
        else:
            cells = [_cell(line, backend) for backend in backends]
            out.append(f"| {line.label} | " + " | ".join([*cells, line.target]) + " |")
    out.extend(["", *(f"- {note}" for note in notes), ""])
    return "\n".join(out)


class Table:
    def __init__(self, results: dict[str, dict]):
        self.results = results
        self.lines: list[Line] = []

    def section(self, title: str) -> None:
        self.lines.append(Line(title, section=True))

    def line(self, label: str, figure: Callable[..., Cell], target: str = "") -> None:
        cells = {}
        for backend, results in self.results.items():
            cells[backend] = figure(_Results(backend, results))
        self.lines.append(Line(label, cells, target))


class _Results(dict):
    """A backend's measurements, knowing which backend they are for."""

    def __init__(self, backend: str, results: dict):
        super().__init__(results)
        self.backend = backend

    def failed(self, key: str) -> Cell:
        return Cell("failed" if key in self.get("errors", {}) else "-")


_NEW_TARGET = "≤ 4 s (SQLite), ≤ 6 s (PG)"


def _new_limit(r: _Results) -> float:
    return 4.0 if r.backend == SQLITE else 6.0


def _seconds_vs(r: _Results, key: str, ratio_limit, limit: Callable | None = None) -> Cell:
    """Seconds, against an absolute limit, or as a multiple of the all-new time."""
    result = r.get(key)
    if result is None:
        return r.failed(key)
    seconds = result["seconds"]
    if limit is not None:
        return Cell(f"{seconds:.2f} s{_spread(result)}", seconds <= limit(r))
    new = r.get("new")
    if key == "new" or new is None:
        return Cell(f"{seconds:.2f} s")
    ratio = seconds / new["seconds"]
    verdict = None if ratio_limit is None else ratio <= ratio_limit
    return Cell(f"{seconds:.2f} s = {ratio:.2f}× new{_spread(result)}", verdict)


def _spread(result: dict) -> str:
    """For a median of several runs: the range of the runs."""
    runs = result.get("runs") or []
    if len(runs) < 2:
        return ""
    return f" (of {min(runs):.2f}–{max(runs):.2f})"


def _rate(result: dict | None) -> Cell:
    if result is None:
        return Cell("-")
    return Cell(f"{result['rows'] / result['seconds']:,.0f}")


def _memory(result: dict | None, limit: float = 250) -> Cell:
    if result is None:
        return Cell("-")
    peak = result["peak_rss"] / MB
    return Cell(f"{peak:.0f} MB (idle {result['idle_rss'] / MB:.0f})", peak <= limit)


def _rollback(r: _Results, key: str) -> Cell:
    result = r.get(f"rollback_{key}")
    if result is None:
        return r.failed(f"rollback_{key}")
    text = f"{result['seconds']:.2f} s{_spread(result)} ({result['peak_rss'] / MB:.0f} MB)"
    return Cell(text, result["seconds"] <= 4)


def _undone(r: _Results, key: str) -> Cell:
    result = r.get(f"rollback_{key}")
    if result is None:
        return Cell("-")
    return Cell(f"{result['deleted']:,} / {result['restored']:,} / {result['conflicts']:,}")


def _throughput(r: _Results, key: str) -> Cell:
    result = r.get(key)
    if result is None:
        return r.failed(key)
    rps = result["rps"]
    return Cell(f"{rps:,.0f}", rps >= 300 if r.backend == POSTGRES else None)


def _latency(r: _Results, key: str) -> Cell:
    result = r.get(key)
    if result is None:
        return Cell("-")
    p50, p99 = result["p50_ms"], result["p99_ms"]
    verdict = (not math.isnan(p99) and p99 < 50) if r.backend == POSTGRES else None
    return Cell(f"{p50:.1f} / {p99:.1f} ms", verdict)


def _errors(r: _Results, key: str) -> Cell:
    result = r.get(key)
    if result is None:
        return Cell("-")
    return Cell(f"{result['errors']:,} of {result['requests']:,}")


def _scale(result: dict | None) -> Cell:
    if result is None:
        return Cell("-")
    rate = result["rows"] / result["seconds"]
    return Cell(f"{result['seconds']:.2f} s, {rate:,.0f}/s, {result['peak_rss'] / MB:.0f} MB")


def _failing_sizes(r: _Results) -> Cell:
    result = r.get("failing")
    if result is None:
        return r.failed("failing")
    return Cell(
        f"{result['answer_bytes'] / MB:.2f} MB ({result['errors_listed']:,} errors listed), "
        f"{result['reply_bytes'] / MB:.2f} MB, {result['failed_line_bytes'] / MB:.1f} MB"
    )


def _memory_growth(r: _Results) -> Cell:
    small, large = r.get("new"), r.get("scale_large")
    if small is None or large is None:
        return Cell("-")
    growth = large["peak_rss"] / small["peak_rss"]
    return Cell(f"{growth:.1f}×", growth < 10)


def _baseline(r: _Results, key: str) -> Cell:
    result = r.get(key)
    if result is None:
        return (
            r.failed(key) if not key.startswith("floor") or r.backend == POSTGRES else Cell("n/a")
        )
    rate = result["rows"] / result["seconds"]
    text = f"{result['seconds']:.2f} s, {rate:,.0f}/s"
    measured = result.get("measured_rows", result["rows"])
    if measured != result["rows"]:
        text += f" (extrapolated from {measured:,} rows)"
    return Cell(text)


def _speedup(r: _Results, key: str, minimum: float | None = None) -> Cell:
    ours, theirs = r.get("new"), r.get(key)
    if ours is None or theirs is None:
        return Cell("-")
    speedup = theirs["seconds"] / ours["seconds"]
    return Cell(f"{speedup:.1f}×", None if minimum is None else speedup >= minimum)


def _floor_ratio(r: _Results) -> Cell:
    ours = r.get("new")
    floors = [r[key] for key in ("floor_copy", "floor_executemany") if key in r]
    if ours is None or not floors:
        return Cell("-")
    fastest = min(floor["seconds"] for floor in floors)
    ratio = ours["seconds"] / fastest
    return Cell(f"{ratio:.1f}×", ratio <= 3)


def _cell(line: Line, backend: str) -> str:
    cell = line.cells.get(backend)
    return cell.render() if cell is not None else ""


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def publish(lines: list[str], out: Path) -> None:
    """A benchmark's Markdown report: printed, and written to `out` (bench/out/, kept out
    of git) for the README's figures."""
    text = "\n".join(lines) + "\n"
    print(text)
    out.parent.mkdir(exist_ok=True)
    out.write_text(text)
    print(f"Written to {out.relative_to(out.parents[2])}")
