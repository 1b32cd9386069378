"""The customers_batch benchmark: `make bench`, or `.venv/bin/python bench/run.py`.

Measures on SQLite and on PostgreSQL (skipped, with a note, when it cannot be reached), then
prints a table of figures against their targets and writes it to bench/out/latest.md.
See bench/measure.py for what is measured. Environment:

  BENCH_SMALL_SECONDS  seconds of each small-request run (default 30)
  BENCH_SKIP_MILLION   1 skips the 1,000,000-row request
  BENCH_ROWS           rows of the main requests (default 100000; smaller for a quick look)
  BENCH_REPEATS        runs of the main requests and their rollbacks (default 3): medians
  BENCH_POSTGRES_URL   the PostgreSQL server's admin database, where loyalty_bench is dropped
                       and created (default postgres://postgres@127.0.0.1:5432/postgres)

`bench/run.py --profile new|update|changed|mix` instead runs import_customers under
cProfile (no HTTP) on each backend and prints where the time goes.
"""

import argparse
import datetime
import os
import platform
import signal
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "latest.md"
PACKAGES = ("Django", "gunicorn", "psycopg", "django-import-export")


def main(argv: list[str]) -> int:
    # Run as a script, sys.path starts with bench/ itself: put the project root there instead,
    # so `bench` is a package and its modules do not shadow top-level ones.
    sys.path[0] = str(ROOT)
    from bench.measure import Options

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=("new", "update", "changed", "mix"))
    args = parser.parse_args(argv)
    options = Options(
        rows=int(os.environ.get("BENCH_ROWS") or 100_000),
        small_seconds=float(os.environ.get("BENCH_SMALL_SECONDS") or 30),
        skip_million=os.environ.get("BENCH_SKIP_MILLION") == "1",
        repeats=int(os.environ.get("BENCH_REPEATS") or 3),
    )
    # A plain `kill` must clean up as Ctrl-C does: stop gunicorn, drop the database.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        with ExitStack() as stack:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
            backends, notes = _backends(workdir)
            for backend in backends:
                stack.callback(backend.close)
            if args.profile:
                return _profile(backends, options.rows, args.profile)
            return _benchmark(backends, workdir, options, notes)
    except KeyboardInterrupt:
        print("\nInterrupted; the server and the benchmark databases were removed.")
        return 130


def _benchmark(backends, workdir: Path, options, notes: list[str]) -> int:
    from bench import report
    from bench.measure import Measurements

    header = _header(backends)
    results = {
        backend.name: Measurements(backend, workdir, options, _say).run() for backend in backends
    }
    lines = report.build(results, options.rows, options.small_seconds)
    names = [backend.name for backend in backends]
    notes = [*notes, *_notes(options), *_errors(results)]
    print()
    print(report.render_text(header, lines, names, notes))
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(report.render_markdown(header, lines, names, notes))
    print(f"\nWritten to {OUT.relative_to(ROOT)}")
    return 1 if any(result["errors"] for result in results.values()) else 0


def _profile(backends, rows: int, scenario: str) -> int:
    from bench.server import PYTHON

    for backend in backends:
        print(f"== {backend.name}: import_customers, {rows:,} rows, {scenario} ==", flush=True)
        command = [PYTHON, "-m", "bench.tasks", "profile", str(rows), scenario]
        subprocess.run(command, cwd=ROOT, env=backend.fresh(), check=True)
    return 0


def _backends(workdir: Path) -> tuple[list, list[str]]:
    from bench.databases import PostgreSQL, SQLite

    postgres, why_not = PostgreSQL.reachable()
    if postgres is None:
        print(why_not, file=sys.stderr)
        return [SQLite(workdir)], [why_not]
    notes = []
    if postgres.setting("autovacuum") == "off":
        notes.append(
            "This PostgreSQL server runs with autovacuum off: the app's own ANALYZE after "
            "imports of 10,000 rows or more refreshes the statistics for the large imports, "
            "and during the small-request phase, which grows its table from empty, the "
            "benchmark stands in for autovacuum with an ANALYZE every 10 s."
        )
    return [SQLite(workdir), postgres], notes


def _header(backends) -> list[str]:
    import psutil

    now = datetime.datetime.now(datetime.UTC)
    versions = {backend.name: backend.version() for backend in backends}
    packages = ", ".join(f"{name} {metadata.version(name)}" for name in PACKAGES)
    return [
        f"customers_batch benchmark, {now:%Y-%m-%d %H:%M} UTC; CPU speed check at the start: "
        f"{_calibration_ns():.0f} ns per sum((1, 2, 3)) (about 65 on a calm machine of this kind)",
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs ({_cpu_model()}), "
        f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, "
        f"{platform.system()} {platform.release()}",
        f"Python {platform.python_version()}, SQLite {versions.get('SQLite')}, "
        f"PostgreSQL {versions.get('PostgreSQL', 'not measured')}; {packages}",
    ]


def _calibration_ns() -> float:
    """A fixed piece of Python, timed: this shared machine's speed varies from hour to
    hour, so the table says how fast it was when the run began."""
    import timeit

    return min(timeit.repeat("sum((1, 2, 3))", number=1_000_000, repeat=5)) * 1000


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _notes(options) -> list[str]:
    notes = [
        "HTTP times: measured by a separate client process from sending the request to "
        "reading the whole response (building the body is not timed). They include "
        "authentication, parsing, matching, and writing customers, enrollments and the "
        "undo state. Each large request runs on a fresh gunicorn with 1 sync worker, "
        "warmed by a 1-row request first (lazy imports, the database connection, the "
        "password's PBKDF2 check, about 1 s in all), as production workers are; the "
        "small-request runs start after 5 s of the same requests, unrecorded, for the "
        "same reason.",
        "Peak worker RSS: the largest gunicorn worker's resident memory, sampled every 20 ms "
        "by the benchmark process; idle = before the request; MB = 10^6 bytes.",
        "Rollback: timed inside the subprocess around roll_back(); its peak RSS in brackets. "
        "Rolling back a later import raises the version of the customers it restores, so "
        "the earlier import's rollback finds them changed: conflicts are confirmed.",
        "django-import-export: ModelResource for Customer (the 7 fields, import_id_fields "
        "code, queryset scoped to the account, account and stamps set in "
        "before_save_instance), run in-process without HTTP. Default options are measured "
        f"on {options.import_export_sample:,} rows and extrapolated linearly when all rows "
        f"would take over {options.import_export_full_limit:.0f} s.",
        "Driver alone: the rows, prepared in memory with all 22 columns the import writes, "
        "inserted in one transaction into customers_customer; only the write and commit are "
        "timed. Ours ÷ floor compares with the all-new HTTP time.",
    ]
    if (ROOT / "gunicorn.conf.py").exists():
        notes.append(
            "gunicorn reads the project's gunicorn.conf.py, as in production; the benchmark "
            "overrides the address, workers, worker class, timeout and log level."
        )
    if options.skip_million:
        notes.append("The 1,000,000-row request was skipped (BENCH_SKIP_MILLION=1).")
    return notes


def _errors(results: dict[str, dict]) -> list[str]:
    """Notes on what failed: measurements, requests of the small-request runs, and the
    api_access_key header when gunicorn dropped it."""
    from bench.measure import SMALL_RUNS

    notes = []
    for backend, result in results.items():
        for key, message in result["errors"].items():
            first = message.strip().splitlines()[0] if message.strip() else ""
            notes.append(f"FAILED {backend} {key}: {first}")
        for run in SMALL_RUNS:
            small = result.get(run.key) or {}
            if small.get("errors"):
                notes.append(f"{backend} {run.name}: first error: {small['first_error']}")
        if result.get("api_key_header_dropped"):
            notes.append(
                f"{backend}: gunicorn (22+, header_map=drop by default) dropped the "
                "api_access_key header: a 1.5 request authenticated by it alone got 401. "
                "The small requests ran with --header-map=dangerous to measure that path."
            )
    return notes


def _say(message: str) -> None:
    stamp = datetime.datetime.now().strftime("%H:%M:%S")
    print(f"[{stamp}] {message}", file=sys.stderr, flush=True)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
