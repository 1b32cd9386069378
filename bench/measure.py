"""Every measurement of one backend, in order, each on a fresh database:

1. customers_batch over HTTP: ROWS all new, the same rows again (update: nothing changes),
   the same customers with a new phone each (update: every row written), a 50/50 mix;
   a fresh gunicorn (1 sync worker) per request, so each peak RSS is that request's own,
   warmed by a 1-row request first, as a production worker is by the requests before.
2. Rolling those four imports back, newest first. 1 and 2 run BENCH_REPEATS times (3),
   each on a fresh database, and each figure is the median run.
3. Scaling: ROWS / 10 and ROWS * 10 all new (the latter unless BENCH_SKIP_MILLION=1); and
   ROWS all new with each customer's password and PIN (hashed on the way in); and ROWS * 10
   failing lines with a request_id (unless BENCH_SKIP_MILLION=1): the peak worker RSS, the
   answer's size and what the request left stored (its reply, its failed lines).
4. Small requests: 3-row batches from 8 client processes, 4 sync workers (warmed by 5 s of
   the same requests, unrecorded): API 1.5 as a point-of-sale system sends it by default
   (no undo), API 1.5 with allow_undo, API 1.0.
5. django-import-export, default options (a sample, extrapolated when the whole would take
   too long) and use_bulk.
6. The driver floor: COPY and executemany (PostgreSQL), executemany (SQLite).

A failed measurement is recorded under "errors" and the others still run.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .databases import Backend
from .server import BenchError, Gunicorn, PeakRss, run_json

BIG_REQUEST_WORKERS = 1
SMALL_REQUEST_WORKERS = 4


@dataclass(frozen=True)
class SmallRun:
    key: str  # of the results
    name: str  # in the table
    api: str
    record_undo: bool
    base: int  # first row number, far from the big batches' rows and the other runs'


SMALL_RUNS = (
    SmallRun(
        "small_1.5", "API 1.5, api_access_key, no undo (1.5's default)", "1.5", False, 100_000_000
    ),
    SmallRun("small_1.5_undo", "API 1.5, api_access_key, allow_undo", "1.5", True, 150_000_000),
    SmallRun("small_1.0", "API 1.0, password, undo (1.0's default)", "1.0", True, 200_000_000),
)
# The small-request runs start after this many seconds of the same clients, unrecorded:
# each worker's first requests (lazy imports, its database connection) are behind it, as
# a production worker's are.
SMALL_WARM_UP = SmallRun("small_warm_up", "warm-up", "1.5", False, 250_000_000)
SMALL_WARM_UP_SECONDS = 5
PROBE_ROW = 300_000_000
# Row numbers of the 1-row requests that warm a fresh server before a timed big request.
WARM_UP_BASE = 400_000_000


@dataclass(frozen=True)
class Options:
    rows: int = 100_000
    small_seconds: float = 30.0
    # Runs of the series of 100,000-row imports and rollbacks; figures are their medians.
    repeats: int = 3
    skip_million: bool = False
    # django-import-export's default options are measured on this many rows first...
    import_export_sample: int = 10_000
    # ...and on all of them only if the sample says that takes at most this long.
    import_export_full_limit: float = 60.0


class Measurements:
    def __init__(self, backend: Backend, workdir: Path, options: Options, say: Callable):
        self.backend = backend
        self.options = options
        self.log_path = workdir / "gunicorn.log"
        self.say = say
        self.results: dict = {"errors": {}}
        self.warm_ups = 0

    def run(self) -> dict:
        self._imports_and_rollbacks()
        self._scaling()
        self._small_requests()
        self._import_export()
        self._floor()
        return self.results

    def _imports_and_rollbacks(self) -> None:
        """The series (all new, update, changed, mix, then their rollbacks, newest first)
        `repeats` times, each on a fresh database; each figure is the median run. The
        machine is shared: one run can be 50 % off."""
        rows = self.options.rows
        half = rows // 2
        # (key, first row, overwrite mode, expected counts, options): the same rows again
        # change nothing (not written again); a second revision changes every row's phone;
        # the mix then puts the first revision back on its existing half.
        series = (
            ("new", 0, None, {"new": rows, "updated": 0}, ()),
            ("update", 0, "update", {"new": 0, "updated": rows}, ()),
            ("changed", 0, "update", {"new": 0, "updated": rows}, ("--revision=1",)),
            ("mix", half, "update", {"new": rows - half, "updated": half}, ()),
        )
        runs: dict[str, list[dict]] = {}
        for _ in range(self.options.repeats):
            env = self.backend.fresh()
            for key, start, overwrite, expected, more in series:
                self._attempt(key, self._batch, env, start, rows, overwrite, expected, *more)
                runs.setdefault(key, []).append(self.results.pop(key, None))
            for key in ("mix", "changed", "update", "new"):
                undo_state = (runs[key][-1] or {}).get("undo_state")
                if undo_state is not None:
                    self._attempt(f"rollback_{key}", self._rollback, env, undo_state)
                    runs.setdefault(f"rollback_{key}", []).append(
                        self.results.pop(f"rollback_{key}", None)
                    )
        for key, measured in runs.items():
            done = sorted((run for run in measured if run), key=lambda run: run["seconds"])
            if done:
                median = done[(len(done) - 1) // 2]
                self.results[key] = {**median, "runs": [run["seconds"] for run in done]}

    def _scaling(self) -> None:
        sizes = [("scale_small", self.options.rows // 10)]
        if not self.options.skip_million:
            sizes.append(("scale_large", self.options.rows * 10))
        for key, rows in sizes:
            expected = {"new": rows, "updated": 0}
            self._attempt(key, self._fresh_batch, rows, expected)
        rows = self.options.rows
        expected = {"new": rows, "updated": 0}
        self._attempt("secrets", self._fresh_batch, rows, expected, "--secrets")
        if not self.options.skip_million:
            self._attempt("failing", self._failing, rows * 10)

    def _failing(self, rows: int) -> dict:
        """`rows` failing lines with a request_id, on a fresh database and server: what one
        such request makes the server hold (peak RSS) and answer and store."""
        env = self.backend.fresh()
        expected = {"new": 0, "failed": rows}
        result = self._batch(env, 0, rows, None, expected, "--failing", "--request-id=failing")
        return {**result, **run_json(["-m", "bench.tasks", "stored", "failing"], env)}

    def _small_requests(self) -> None:
        env = self.backend.fresh()
        try:
            options = self._header_map(env)
            server = Gunicorn(
                env, workers=SMALL_REQUEST_WORKERS, log_path=self.log_path, options=options
            )
            with server, self.backend.autovacuum_standin():
                _small_run(server, env, SMALL_WARM_UP, SMALL_WARM_UP_SECONDS)
                for run in SMALL_RUNS:
                    seconds = self.options.small_seconds
                    self._attempt(run.key, _small_run, server, env, run, seconds)
        except BenchError as exc:
            self._failed("small", exc)

    def _header_map(self, env: dict) -> tuple[str, ...]:
        """Gunicorn's options for API 1.5: since gunicorn 22 it drops header names with an
        underscore, so `api_access_key` never reaches Django unless told otherwise."""
        with Gunicorn(env, workers=1, log_path=self.log_path) as server:
            status = run_json(_batch_command(server.port, PROBE_ROW, 1, "--api=1.5"), env)["status"]
        self.results["api_key_header_dropped"] = status == 401
        return ("--header-map=dangerous",) if status == 401 else ()

    def _import_export(self) -> None:
        rows = self.options.rows
        sample = min(self.options.import_export_sample, rows)
        self._attempt("import_export", self._import_export_default, rows, sample)
        command = ["-m", "bench.baselines", "import-export", str(rows), "--bulk"]
        self._attempt("import_export_bulk", self._checked, command, rows)

    def _import_export_default(self, rows: int, sample: int) -> dict:
        command = ["-m", "bench.baselines", "import-export", str(sample)]
        result = self._checked(command, sample)
        projected = result["seconds"] * rows / sample
        if sample == rows or projected > self.options.import_export_full_limit:
            return {**result, "rows": rows, "measured_rows": sample, "seconds": projected}
        command = ["-m", "bench.baselines", "import-export", str(rows)]
        return {**self._checked(command, rows), "measured_rows": rows}

    def _floor(self) -> None:
        methods = ("copy", "executemany") if self.backend.name == "PostgreSQL" else ("executemany",)
        for method in methods:
            command = ["-m", "bench.baselines", "floor", str(self.options.rows), method]
            self._attempt(f"floor_{method}", self._checked, command, self.options.rows)

    def _batch(
        self, env: dict, start: int, rows: int, overwrite: str | None, expected, *more: str
    ) -> dict:
        options = [*([f"--overwrite={overwrite}"] if overwrite else []), *more]
        with Gunicorn(env, workers=BIG_REQUEST_WORKERS, log_path=self.log_path) as server:
            self._warm_up(server, env)
            command = _batch_command(server.port, start, rows, *options)
            idle = server.worker_rss()
            with PeakRss(server.pid, children=True) as peak:
                result = run_json(command, env)
            if result.get("status") != 200 or any(
                result.get(name) != count for name, count in expected.items()
            ):
                answer = result.get("error") or {name: result.get(name) for name in expected}
                raise BenchError(
                    f"HTTP {result.get('status')}, expected {expected}: {answer}\n"
                    f"{server.log_tail()}"
                )
        return {**result, "peak_rss": peak.peak, "idle_rss": idle}

    def _warm_up(self, server: Gunicorn, env: dict) -> None:
        """One 1-row import (a new customer of its own) through the fresh worker: its first
        request pays for lazy imports, the database connection and the password's
        full-strength check, which a worker in production has long paid for."""
        self.warm_ups += 1
        command = _batch_command(server.port, WARM_UP_BASE + self.warm_ups, 1)
        result = run_json(command, env)
        if result.get("status") != 200 or result.get("new") != 1:
            raise BenchError(f"warm-up request: {result}\n{server.log_tail()}")

    def _fresh_batch(self, rows: int, expected: dict, *options: str) -> dict:
        return self._batch(self.backend.fresh(), 0, rows, None, expected, *options)

    def _rollback(self, env: dict, undo_state: int) -> dict:
        command = ["-m", "bench.tasks", "rollback", str(undo_state)]
        return run_json(command, env, measure_memory=True)

    def _checked(self, command: list[str], rows: int) -> dict:
        """A baseline on a fresh database; it must have stored every row, without errors."""
        result = run_json(command, self.backend.fresh())
        if result.get("errors") or result.get("stored") != rows:
            raise BenchError(f"{' '.join(command[1:4])}: {result}")
        return result

    def _attempt(self, key: str, measure: Callable[..., dict], *args) -> None:
        self.say(f"{self.backend.name}: {key} ...")
        try:
            self.results[key] = measure(*args)
        except BenchError as exc:
            self._failed(key, exc)
            return
        self.say(f"{self.backend.name}: {key}: {_brief(self.results[key])}")

    def _failed(self, key: str, exc: Exception) -> None:
        self.results["errors"][key] = str(exc)
        self.say(f"{self.backend.name}: {key} FAILED: {exc}")


def _small_run(server: Gunicorn, env: dict, run: SmallRun, seconds: float) -> dict:
    args = [str(server.port), str(seconds), run.api, str(run.base)]
    if not run.record_undo:
        args.append("--no-undo")
    return run_json(["-m", "bench.client", "small", *args], env)


def _batch_command(port: int, start: int, rows: int, *options: str) -> list[str]:
    return ["-m", "bench.client", "batch", str(port), str(start), str(rows), *options]


def _brief(result: dict) -> str:
    shown = ("seconds", "rps", "p99_ms", "errors", "peak_rss", "conflicts")
    parts = []
    for name in shown:
        value = result.get(name)
        if isinstance(value, float):
            parts.append(f"{name}={value:.2f}")
        elif isinstance(value, int):
            parts.append(f"{name}={value}")
    return ", ".join(parts)
