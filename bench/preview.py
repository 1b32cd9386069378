"""The admin import preview benchmark (`make bench` runs it after bench/export.py, or
`.venv/bin/python bench/preview.py`): the preview of a 100,000-line CSV (half of its lines
update customers already here, with another phone number, half create customers; every
line credits 10 points), posted to the admin's import page through Django's test client
in a fresh process per preview, on a fresh SQLite database and, when it is up, on
PostgreSQL. Each preview runs twice: with the preview's sample of what changes
(customers/preview_sample.py, the import's on_plan hook) and with that hook doing nothing,
as before it existed; the sample's own time in the hook is reported too. Environment:

  BENCH_PREVIEW_LINES  lines of the file (default 100,000)
  BENCH_POSTGRES_URL   the PostgreSQL server's admin database (loyalty_bench_preview is
                       dropped and created there)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "preview.md"
IMPORT_URL = "/admin/customers/customer/import-file/"
DATABASE = "loyalty_bench_preview"
MB = 1_000_000
STATIC_FILES = "django.contrib.staticfiles.storage.StaticFilesStorage"
MODES = ("without the sample", "with the sample")


def main() -> int:
    sys.path[0] = str(ROOT)
    from bench.databases import PostgreSQL, SQLite
    from bench.report import publish
    from bench.server import run_json

    lines = int(os.environ.get("BENCH_PREVIEW_LINES") or 100_000)
    report = [
        f"Admin import preview of a {lines:,}-line CSV ({lines // 2:,} updates, "
        f"{lines - lines // 2:,} new, every line credited; Django's test client)",
        "",
        "| database | preview | seconds | in the sample s | page KB | peak RSS MB |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    with tempfile.TemporaryDirectory(prefix="bench-preview-") as folder:
        backends = [SQLite(Path(folder))]
        postgres, note = PostgreSQL.reachable()
        if postgres is not None:
            backends.append(PostgreSQL(postgres.admin_url, database=DATABASE))
        else:
            print(note)
        for backend in backends:
            try:
                env = backend.fresh()
                print(f"{backend.name}: {lines // 2:,} customers already here...", flush=True)
                run_json(["-m", "bench.preview", "fill", str(lines // 2)], env)
                for mode in MODES:
                    print(f"{backend.name}: preview {mode}...", flush=True)
                    step = "sampled" if mode == MODES[1] else "unsampled"
                    result = run_json(["-m", "bench.preview", step, str(lines)], env)
                    report.append(
                        f"| {backend.name} | {mode} | {result['seconds']:.1f} "
                        f"| {result['in_sample']:.2f} | {result['bytes'] / 1000:.0f} "
                        f"| {result['peak_rss'] / MB:.0f} |"
                    )
            finally:
                backend.close()
    publish(report, OUT)
    return 0


def fill(count: int) -> dict:
    """The first `count` of the benchmark's customers, imported as the API does, and a
    superuser to preview the file."""
    from django.contrib.auth import get_user_model

    from accounts.models import Account
    from bench import data
    from customers.batch.params import parse_batch_request
    from customers.batch.service import import_customers
    from customers.models import UndoState

    account = Account.objects.get(slug=data.ACCOUNT)
    params = {
        "delimiter": "pipe",
        "campaigns_to_include": data.CAMPAIGN,
        "profiles_data": data.profiles_data(0, count),
        "no_undo": "yes",
        **{f"profiles_header_{n}": name for n, name in enumerate(data.HEADERS, start=1)},
    }
    request = parse_batch_request(params, custom_field_count=0)
    import_customers(account=account, user=None, request=request, source=UndoState.Source.API)
    get_user_model().objects.create_superuser("bench-boss", password="bench-only")
    return {"customers": count}


def preview(lines: int, *, sampled: bool) -> dict:
    """One preview through the test client, timed from posting the form to its page."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client, override_settings

    from accounts.models import Account
    from bench import data
    from bench.server import PeakRss
    from campaigns.models import Campaign
    from customers import preview_sample

    spent = [0.0]
    take = preview_sample.PreviewSample.__call__

    def timed(self, plan, progress) -> None:
        started = time.perf_counter()
        if sampled:
            take(self, plan, progress)
        spent[0] += time.perf_counter() - started

    # The benchmark's own switch: the hook as it is, or doing nothing (before it existed).
    preview_sample.PreviewSample.__call__ = timed  # type: ignore[method-assign]
    account = Account.objects.get(slug=data.ACCOUNT)
    body = ",".join((*data.HEADERS, "auto_add")) + "\n"
    body += "".join(",".join((*values, "10")) + "\n" for values in data.rows(0, lines, revision=1))
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="bench-boss"))
    form = {
        "account": account.pk,
        "campaign": Campaign.objects.get(account=account, campaign_id=data.CAMPAIGN).pk,
        "overwrite_duplicates": "update",
        "import_file": SimpleUploadedFile("customers.csv", body.encode()),
    }
    # The page's static links without collectstatic's manifest (a server has one).
    plain = {**settings.STORAGES, "staticfiles": {"BACKEND": STATIC_FILES}}
    with override_settings(STORAGES=plain), PeakRss(os.getpid(), children=False) as peak:
        started = time.perf_counter()
        response = client.post(IMPORT_URL, form)
        seconds = time.perf_counter() - started
    if response.status_code != 200 or b'name="pending"' not in response.content:
        raise SystemExit(f"preview failed: {response.status_code} {response.content[:300]!r}")
    return {
        "seconds": seconds,
        "in_sample": spent[0],
        "bytes": len(response.content),
        "peak_rss": peak.peak,
    }


def _task(argv: list[str]) -> None:
    import django

    from bench.server import emit

    django.setup()
    step, argument = argv
    if step == "fill":
        emit(fill(int(argument)))
    else:
        emit(preview(int(argument), sampled=step == "sampled"))


if __name__ == "__main__":
    # `python -m bench.preview fill|sampled|unsampled N`: a step, in run_json's subprocess.
    if sys.argv[1:2] in (["fill"], ["sampled"], ["unsampled"]):
        _task(sys.argv[1:])
    else:
        sys.exit(main())
