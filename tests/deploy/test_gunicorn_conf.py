"""gunicorn.conf.py: the production server's settings and their environment overrides."""

import multiprocessing
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"
ENV = ("PORT", "GUNICORN_HOST", "WEB_CONCURRENCY", "GUNICORN_TIMEOUT", "GUNICORN_HEADER_MAP")


def load(monkeypatch, **env):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_defaults_serve_the_wsgi_app_on_loopback_with_room_for_a_large_import(monkeypatch):
    conf = load(monkeypatch)

    assert conf["wsgi_app"] == "loyalty.wsgi:application"
    assert conf["bind"] == "127.0.0.1:8000"
    assert conf["workers"] == 2 * multiprocessing.cpu_count() + 1
    assert conf["worker_class"] == "sync"
    assert conf["timeout"] == 300
    assert conf["graceful_timeout"] == 120
    assert (conf["max_requests"], conf["max_requests_jitter"]) == (20_000, 2_000)


def test_the_api_access_key_header_reaches_the_app(monkeypatch):
    # gunicorn 22+ drops header names with underscores unless told otherwise.
    assert load(monkeypatch)["header_map"] == "dangerous"


class Parsed:
    """A request as gunicorn's parser leaves it: header names upper-cased."""

    def __init__(self, headers):
        self.headers = headers


def test_only_the_api_access_key_keeps_its_underscore_header(monkeypatch):
    req = Parsed(
        [
            ("HOST", "api.example"),
            ("API_ACCESS_KEY", "k"),
            ("X_FORWARDED_PROTO", "https"),
            ("X-FORWARDED-PROTO", "http"),
            ("API-ACCESS-KEY", "d"),
            ("REMOTE_USER", "admin"),
        ]
    )

    load(monkeypatch)["pre_request"](None, req)

    assert req.headers == [
        ("HOST", "api.example"),
        ("API_ACCESS_KEY", "k"),
        ("X-FORWARDED-PROTO", "http"),
        ("API-ACCESS-KEY", "d"),
    ]


def test_the_environment_sets_address_workers_and_timeout(monkeypatch):
    conf = load(
        monkeypatch,
        PORT="9000",
        GUNICORN_HOST="0.0.0.0",
        WEB_CONCURRENCY="3",
        GUNICORN_TIMEOUT="600",
    )

    assert conf["bind"] == "0.0.0.0:9000"
    assert conf["workers"] == 3
    assert conf["timeout"] == 600


def test_the_access_log_leaves_out_query_strings(monkeypatch):
    assert "%(q)s" not in load(monkeypatch)["access_log_format"]
    assert "%(r)s" not in load(monkeypatch)["access_log_format"]


class FakeWorker:
    """What post_request uses of a gunicorn worker."""

    def __init__(self):
        self.alive = True
        self.warnings: list[str] = []
        self.log = self

    def warning(self, message, *args):
        self.warnings.append(message % args)


def test_a_worker_retires_only_above_its_memory_limit(monkeypatch):
    monkeypatch.delenv("GUNICORN_MAX_WORKER_MEMORY_MB", raising=False)
    conf = load(monkeypatch, GUNICORN_MAX_WORKER_MEMORY_MB="1")
    assert conf["MAX_WORKER_MEMORY_MB"] == 1
    small, large = FakeWorker(), FakeWorker()

    conf["post_request"](large, None, {}, None)
    roomy = load(monkeypatch, GUNICORN_MAX_WORKER_MEMORY_MB="1000000")
    roomy["post_request"](small, None, {}, None)

    assert small.alive and small.warnings == []
    assert not large.alive
    assert large.warnings[0].startswith("Worker retires: ")
    assert large.warnings[0].endswith(" MB resident, above GUNICORN_MAX_WORKER_MEMORY_MB=1")


def test_the_memory_limit_defaults_to_150_mb_and_0_turns_it_off(monkeypatch):
    monkeypatch.delenv("GUNICORN_MAX_WORKER_MEMORY_MB", raising=False)
    assert load(monkeypatch)["MAX_WORKER_MEMORY_MB"] == 150
    worker = FakeWorker()

    load(monkeypatch, GUNICORN_MAX_WORKER_MEMORY_MB="0")["post_request"](worker, None, {}, None)

    assert worker.alive
