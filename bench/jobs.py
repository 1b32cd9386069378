"""The background-import benchmark (`make bench` runs it after bench/run.py, or
`.venv/bin/python bench/jobs.py`): one large customers_batch with run_in_background=yes on
SQLite and on PostgreSQL, served by gunicorn (one worker) with one `manage.py jobs_worker`
beside it, both fresh processes on a fresh database. It reports the time to the queued
answer, the total time until the status call answers done, how often the progress moved
(the status call polled every POLL_SECONDS), and the peak memory (RSS) of the web worker
and of the job worker. Environment:

  BENCH_JOB_ROWS       rows of the import (default 1,000,000; BENCH_SKIP_MILLION=1: 100,000)
  BENCH_JOB_TOGETHER_ROWS  rows of each of the three accounts' jobs at once (default
                       100,000; a small size checks that the benchmark runs)
  BENCH_POSTGRES_URL   the PostgreSQL server's admin database (loyalty_bench_jobs is
                       dropped and created there)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "jobs.md"
POLL_SECONDS = 0.5
DATABASE = "loyalty_bench_jobs"


def main() -> int:
    sys.path[0] = str(ROOT)
    import psutil

    from bench import data
    from bench.client import batch_params, post
    from bench.databases import PostgreSQL, SQLite
    from bench.report import publish
    from bench.server import PYTHON, Gunicorn

    default_rows = 100_000 if os.environ.get("BENCH_SKIP_MILLION") == "1" else 1_000_000
    rows = int(os.environ.get("BENCH_JOB_ROWS") or default_rows)
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-jobs-") as folder:
        workdir = Path(folder)
        backends = [SQLite(workdir)]
        postgres, note = PostgreSQL.reachable()
        if postgres is not None:
            backends.append(PostgreSQL(postgres.admin_url, database=DATABASE))
        else:
            print(note)
        print(f"building {rows:,} rows...", flush=True)
        params, headers = batch_params(data.profiles_data(0, rows), overwrite="update")
        body = urllib.parse.urlencode({**params, "run_in_background": "yes"}).encode()
        for backend in backends:
            try:
                env = backend.fresh()
                env["LOYALTY_JOBS_DIR"] = str(workdir / f"jobs-{backend.name}")
                env.pop("REDIS_URL", None)
                results.append(
                    _measure(
                        backend.name,
                        env,
                        body,
                        headers,
                        rows,
                        workdir,
                        psutil,
                        PYTHON,
                        Gunicorn,
                        post,
                    )
                )
            finally:
                backend.close()
    publish(_table(rows, results), OUT)
    return 0 if all(result["ok"] and result["together_ok"] for result in results) else 1


def _measure(name, env, body, headers, rows, workdir, psutil, python, gunicorn_class, post) -> dict:
    print(f"{name}: {rows:,}-row background import...", flush=True)
    with gunicorn_class(env, workers=1, log_path=workdir / f"gunicorn-{name}.log") as web:
        worker = subprocess.Popen(
            [python, "manage.py", "jobs_worker"],
            cwd=ROOT,
            env=env,
            stdout=(workdir / f"worker-{name}.log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        peaks = {"web": 0, "worker": 0}
        stop = threading.Event()

        def sample() -> None:
            watched = {
                "web": psutil.Process(web.worker_pids()[0]),
                "worker": psutil.Process(worker.pid),
            }
            while not stop.wait(0.1):
                for key, process in watched.items():
                    try:
                        peaks[key] = max(peaks[key], process.memory_info().rss)
                    except psutil.Error:
                        pass

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            time.sleep(2)  # the worker's start-up (Django, the first poll of the queue)
            started = time.perf_counter()
            status, answer = post(web.port, body, headers)
            queued_seconds = time.perf_counter() - started
            job = json.loads(answer)["batch"]
            moves: list[tuple[float, int]] = []
            done = None
            while done is None:
                time.sleep(POLL_SECONDS)
                poll = {
                    "user_id": "john1970",
                    "user_password": "1959caadac9b13dcb3",
                    "account_id": "greatwidgets",
                    "type": "customers_batch_status",
                    "job_id": job["job_id"],
                    "output": "JSON",
                }
                _, text = post(web.port, urllib.parse.urlencode(poll).encode(), {})
                state = json.loads(text)
                if state["batch"]["status"] not in ("queued", "running"):
                    done = state
                elif not moves or moves[-1][1] != state["batch"]["lines_done"]:
                    moves.append((time.perf_counter() - started, state["batch"]["lines_done"]))
            total_seconds = time.perf_counter() - started
            together = _three_at_once(web, env, workdir, name, python, post)
        finally:
            stop.set()
            sampler.join()
            worker.terminate()
            worker.wait(60)
    customers = done.get("batch", {}).get("customers", {})
    running = [moment for moment, lines in moves if lines > 0]
    return {
        "name": name,
        "ok": status == 200 and customers.get("new") == rows,
        "queued_seconds": queued_seconds,
        "total_seconds": total_seconds,
        "progress_moves": len(running),
        "first_progress_seconds": running[0] if running else None,
        "peak_web_mb": peaks["web"] / 2**20,
        "peak_worker_mb": peaks["worker"] / 2**20,
        "answer": customers or done.get("error"),
        **together,
    }


SETUP_ACCOUNTS = """
import django
django.setup()
from django.contrib.auth import get_user_model
from accounts.models import Account, Membership
from campaigns.models import Campaign
user = get_user_model().objects.get(username="john1970")
for n in (2, 3):
    account = Account.objects.create(slug=f"bench{n}", owner_id=str(n) * 16, name=f"B{n}")
    Membership.objects.create(account=account, user=user, role=Membership.Role.IMPORTER)
    Campaign.objects.create(account=account, campaign_id="898989889", type="points", name="P")
"""
TOGETHER_ROWS = int(os.environ.get("BENCH_JOB_TOGETHER_ROWS") or 100_000)


def _three_at_once(web, env, workdir, name, python, post) -> dict:
    """Three accounts' 100,000-row jobs submitted at once, run by two workers (the one
    running and a second): the wall time until all are done, and whether every line of
    every job was imported."""
    from bench import data
    from bench.client import batch_params

    print(f"{name}: three accounts' {TOGETHER_ROWS:,}-row jobs on two workers...", flush=True)
    subprocess.run([python, "-c", SETUP_ACCOUNTS], cwd=ROOT, env=env, check=True)
    second = subprocess.Popen(
        [python, "manage.py", "jobs_worker"],
        cwd=ROOT,
        env=env,
        stdout=(workdir / f"worker2-{name}.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(2)
        profiles = data.profiles_data(2_000_000, TOGETHER_ROWS)
        accounts = ("greatwidgets", "bench2", "bench3")
        jobs: dict[str, str] = {}

        def submit(account: str) -> None:
            params, headers = batch_params(profiles, overwrite="update")
            params.update(account_id=account, run_in_background="yes")
            _, answer = post(web.port, urllib.parse.urlencode(params).encode(), headers)
            jobs[account] = json.loads(answer)["batch"]["job_id"]

        started = time.perf_counter()
        threads = [threading.Thread(target=submit, args=(account,)) for account in accounts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        answers: dict[str, dict] = {}
        while len(answers) < len(accounts):
            time.sleep(POLL_SECONDS)
            for account, job_id in jobs.items():
                if account in answers:
                    continue
                poll = {
                    "user_id": "john1970",
                    "user_password": "1959caadac9b13dcb3",
                    "account_id": account,
                    "type": "customers_batch_status",
                    "job_id": job_id,
                    "output": "JSON",
                }
                _, text = post(web.port, urllib.parse.urlencode(poll).encode(), {})
                state = json.loads(text)
                if state["batch"]["status"] not in ("queued", "running"):
                    answers[account] = state
        seconds = time.perf_counter() - started
    finally:
        second.terminate()
        second.wait(60)
    imported = [
        answer.get("batch", {}).get("customers", {}).get("new") for answer in answers.values()
    ]
    return {
        "together_seconds": seconds,
        "together_ok": imported == [TOGETHER_ROWS] * 3,
        "together_new": imported,
    }


def _table(rows: int, results: list[dict]) -> list[str]:
    names = [result["name"] for result in results]
    lines = [
        f"# Background import of {rows:,} rows"
        " (run_in_background=yes, one web worker, one jobs_worker)",
        "",
        "| figure | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    figures = [
        ("time to the queued answer (s)", "queued_seconds", "{:.2f}"),
        ("total, submit to done (s)", "total_seconds", "{:.1f}"),
        (f"progress moves seen (polled every {POLL_SECONDS} s)", "progress_moves", "{}"),
        ("first progress after submit (s)", "first_progress_seconds", "{:.1f}"),
        ("peak RSS, web worker (MB)", "peak_web_mb", "{:.0f}"),
        ("peak RSS, job worker (MB)", "peak_worker_mb", "{:.0f}"),
        ("answer", "answer", "{}"),
        (
            f"3 accounts x {TOGETHER_ROWS:,} rows at once, 2 workers: all done (s)",
            "together_seconds",
            "{:.1f}",
        ),
        ("... every line of every job imported", "together_ok", "{}"),
    ]
    for label, key, shape in figures:
        cells = [
            shape.format(result[key]) if result[key] is not None else "-" for result in results
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
