"""A web worker's memory around one large form body (`make bench` runs it last, or
`.venv/bin/python bench/worker_memory.py`): gunicorn with gunicorn.conf.py and one sync
worker on a fresh SQLite database is sent a 60 MB customers_batch form whose credentials
are wrong (the worker reads and parses the whole body before it knows who sent it), then a
small request. It reports the worker's resident memory before, at its peak, and after
(the worker that answers next), with GUNICORN_MAX_WORKER_MEMORY_MB at 0 (off) and at its
default, and whether the worker was replaced. Environment:

  BENCH_BODY_MB   the form body's size in MB (default 60: the seventh red team's)
"""

from __future__ import annotations

import http.client
import os
import re
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "worker_memory.md"
MB = 1_000_000
LIMITS = ("0", "", "120")  # off, gunicorn.conf.py's default, one below the body's residue
PROBE = "1"
RETIRED_AT = re.compile(r"Worker retires: (\d+) MB resident")
REPLACED_WITHIN_SECONDS = 30


def main() -> int:
    sys.path[0] = str(ROOT)
    from bench.databases import SQLite
    from bench.report import publish

    body_mb = int(os.environ.get("BENCH_BODY_MB") or 60)
    body = large_form(body_mb * MB)
    default = _default_limit()
    lines = [
        f"A web worker's resident memory around one {len(body) / MB:.0f} MB form body "
        "(customers_batch, wrong credentials; gunicorn.conf.py, 1 sync worker, SQLite)",
        "",
        "| GUNICORN_MAX_WORKER_MEMORY_MB | before MB | peak MB | at the answer's end MB "
        "| after MB (the next request's worker) | worker replaced | small request next |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory(prefix="bench-worker-memory-") as folder:
        backend = SQLite(Path(folder))
        try:
            env = backend.fresh()
            # A limit of 1 MB retires the worker after every request, and its log says how
            # much it held at the end of each: what post_request compares with the limit.
            measure(env, Path(folder), body, PROBE)
            held = max(_retired_at(Path(folder) / f"gunicorn-{PROBE}.log"))
            for limit in LIMITS:
                shown = limit or f"{default} (default)"
                print(
                    f"worker memory: a {len(body) / MB:.0f} MB body, limit {shown}...", flush=True
                )
                result = measure(env, Path(folder), body, limit)
                lines.append(
                    f"| {shown} | {result['before'] / MB:.0f} | {result['peak'] / MB:.0f} "
                    f"| {held} | {result['after'] / MB:.0f} "
                    f"| {'yes' if result['replaced'] else 'no'} | {result['small']} |"
                )
        finally:
            backend.close()
    publish(lines, OUT)
    return 0


def large_form(size: int) -> bytes:
    """A customers_batch form of about `size` bytes as sent (form-encoded), nearly all of it
    Profiles_Data lines, for a user that does not exist."""
    from bench import data

    line = "|".join(data.row(0)) + "\n"
    params = {
        "user_id": "bench-nobody",
        "user_password": "wrong",
        "account_id": data.ACCOUNT,
        "type": "customers_batch",
        "delimiter": "pipe",
        "profiles_header_1": "code",
        "Profiles_Data": line * (size // len(urllib.parse.quote_plus(line))),
    }
    return urllib.parse.urlencode(params).encode()


def measure(env: dict, folder: Path, body: bytes, limit: str) -> dict:
    """One server: the worker's RSS before the body, the peak while it is read, and the RSS
    of the worker that is there once it has answered (a new one if it retired)."""
    import psutil

    from bench.server import Gunicorn, PeakRss

    server_env = {**env}
    if limit:
        server_env["GUNICORN_MAX_WORKER_MEMORY_MB"] = limit
    else:
        server_env.pop("GUNICORN_MAX_WORKER_MEMORY_MB", None)
    with Gunicorn(
        server_env, workers=1, log_path=folder / f"gunicorn-{limit or 'default'}.log"
    ) as server:
        first = server.worker_pids()[0]
        before = psutil.Process(first).memory_info().rss
        with PeakRss(server.pid, children=True) as peak:
            status = _post(server.port, body)
        if status != 401:
            raise SystemExit(f"the large body got {status}, not 401")
        deadline = time.monotonic() + (REPLACED_WITHIN_SECONDS if limit != "0" else 1)
        while time.monotonic() < deadline and server.worker_pids() in ([first], []):
            time.sleep(0.1)
        small = _get_health(server.port)
        workers = server.worker_pids()
        after = max(psutil.Process(pid).memory_info().rss for pid in workers)
        return {
            "before": before,
            "peak": peak.peak,
            "after": after,
            "replaced": workers != [first],
            "small": small,
        }


def _post(port: int, body: bytes) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        connection.request(
            "POST", "/api", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _get_health(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/healthz")
        return connection.getresponse().status
    finally:
        connection.close()


def _retired_at(log: Path) -> list[int]:
    return [int(found) for found in RETIRED_AT.findall(log.read_text(errors="replace"))]


def _default_limit() -> int:
    import runpy

    saved = os.environ.pop("GUNICORN_MAX_WORKER_MEMORY_MB", None)
    try:
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))["MAX_WORKER_MEMORY_MB"]
    finally:
        if saved is not None:
            os.environ["GUNICORN_MAX_WORKER_MEMORY_MB"] = saved


if __name__ == "__main__":
    sys.exit(main())
