"""The admin export benchmark (`make bench` runs it after bench/jobs.py, or
`.venv/bin/python bench/export.py`): the customer list's Export (every column ticked, as
the form starts) of one account's customers, as CSV and as XLSX, on a fresh SQLite
database, through Django's test client in a fresh process per export. It reports the time
from posting the form to reading the last byte, the file's size, and the process's resident
memory before the request and at its peak (sampled every 20 ms). Environment:

  BENCH_EXPORT_ROWS    customers of the account (default 270,000: the red team's account)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "export.md"
EXPORT_URL = "/admin/customers/customer/export/"
FORMATS = ("csv", "xlsx")
BATCH = 10_000
MB = 1_000_000


def main() -> int:
    sys.path[0] = str(ROOT)
    from bench.databases import SQLite
    from bench.report import publish
    from bench.server import run_json

    rows = int(os.environ.get("BENCH_EXPORT_ROWS") or 270_000)
    lines = [
        f"Admin export of {rows:,} customers of one account (SQLite, Django's test client, "
        "every column ticked)",
        "",
        "| format | seconds | file MB | RSS before MB | peak RSS MB |",
        "| --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory(prefix="bench-export-") as folder:
        backend = SQLite(Path(folder))
        try:
            env = backend.fresh()
            print(f"creating {rows:,} customers...", flush=True)
            run_json(["-m", "bench.export", "fill", str(rows)], env)
            for file_format in FORMATS:
                print(f"exporting {file_format}...", flush=True)
                result = run_json(["-m", "bench.export", "export", file_format], env)
                lines.append(
                    f"| {file_format} | {result['seconds']:.1f} | {result['bytes'] / MB:.1f} "
                    f"| {result['rss_before'] / MB:.0f} | {result['peak_rss'] / MB:.0f} |"
                )
        finally:
            backend.close()
    publish(lines, OUT)
    return 0


def fill(count: int) -> dict:
    """`count` customers of the benchmark's account, every text column filled but street2
    and the username (as a shop's customers are), and a superuser to export them."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from accounts.models import Account
    from bench import data
    from customers.models import Customer

    account = Account.objects.get(slug=data.ACCOUNT)
    now = timezone.now()
    for start in range(0, count, BATCH):
        Customer.objects.bulk_create(
            Customer(
                account=account,
                code=code,
                card_number=card,
                first_name=first,
                last_name=last,
                email=email,
                phone=phone,
                custom_date=datetime.date.fromisoformat(born),
                street1=f"{start % 997} High Street",
                city="Springfield",
                state="Oregon",
                postal_code=f"{start % 99999:05d}",
                country="US",
                custom_field="gold",
                created_at=now,
                updated_at=now,
            )
            for code, card, first, last, email, phone, born in data.rows(
                start, min(BATCH, count - start)
            )
        )
    get_user_model().objects.create_superuser("bench-boss", password="bench-only")
    return {"customers": count}


def export(file_format: str) -> dict:
    """One admin export through the test client, timed to its last byte."""
    import psutil
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench.server import PeakRss
    from customers.resources import ADMIN_EXPORT_FIELDS

    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="bench-boss"))
    form = {
        "format": str(FORMATS.index(file_format)),
        "resource": "0",
        **{f"customerexportresource_{name}": "on" for name in ADMIN_EXPORT_FIELDS},
    }
    rss_before = psutil.Process().memory_info().rss
    with PeakRss(os.getpid(), children=False) as peak:
        started = time.perf_counter()
        response = client.post(EXPORT_URL, form)
        size = sum(len(piece) for piece in _body(response))
        seconds = time.perf_counter() - started
    if response.status_code != 200 or "attachment" not in response.get("Content-Disposition", ""):
        raise SystemExit(f"export failed: {response.status_code}")
    return {"seconds": seconds, "bytes": size, "rss_before": rss_before, "peak_rss": peak.peak}


def _body(response):
    return response.streaming_content if response.streaming else [response.content]


def _task(argv: list[str]) -> None:
    import django

    from bench.server import emit

    django.setup()
    step, argument = argv
    emit(fill(int(argument)) if step == "fill" else export(argument))


if __name__ == "__main__":
    # `python -m bench.export fill|export ...`: a step, in the subprocess run_json starts.
    if sys.argv[1:2] in (["fill"], ["export"]):
        _task(sys.argv[1:])
    else:
        sys.exit(main())
