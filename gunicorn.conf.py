"""Gunicorn settings for `make serve` (docs/deploy.md). Each can be changed by environment.

A 100,000-row import takes seconds and 1,000,000 rows about two minutes here; the
timeout leaves room for a slow day.
"""

import multiprocessing
import os

wsgi_app = "loyalty.wsgi:application"

# Loopback: nginx on the same host is in front (deploy/nginx.conf, docs/deploy.md), and it
# alone reaches gunicorn, whose sync workers a slow client would otherwise hold.
bind = f"{os.environ.get('GUNICORN_HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# sync: one request per process, which suits imports that use a whole core; nginx in front
# hands it only complete requests. gthread with GUNICORN_THREADS > 1 lets a worker answer
# small requests while another thread imports.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 300))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 120))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", 5))
# Recycle workers now and then, at staggered times, so slow memory growth cannot pile up.
# Not too often: at 300 requests/s a limit of 1,000 replaced each worker every 13 s, and a
# fresh worker's first requests (database connection, lazy set-up) were the slow tail of
# point-of-sale latency (p99 44-51 ms against 26-37 ms at 20,000, measured on 2 cores).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20_000))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", 2_000))
# Loads the app before forking: a broken configuration fails at start, not per worker.
# A worker's replacement is forked from it, so it starts at once with the app loaded.
preload_app = True
# A worker whose resident memory is above this many MB once it has answered a request retires
# (post_request below) and the arbiter forks a fresh one: Python keeps what a large request
# took, so a 60 MB form body left its worker at about 300 MB (seventh red team). 0 turns it
# off. The default is above what ordinary requests leave behind (docs/deploy.md, "Gunicorn").
MAX_WORKER_MEMORY_MB = int(os.environ.get("GUNICORN_MAX_WORKER_MEMORY_MB", 150))
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")

# The contract's API 1.5 key travels in an `api_access_key` header. Gunicorn drops header
# names with underscores by default, because they map to the same environ name as dashes:
# `X_Forwarded_Proto` could shadow the proxy's `X-Forwarded-Proto`. So gunicorn keeps them
# all ("dangerous") and pre_request drops every one but the contract's before the request
# reaches the app.
header_map = os.environ.get("GUNICORN_HEADER_MAP", "dangerous")
UNDERSCORE_HEADERS_KEPT = frozenset({"API_ACCESS_KEY"})


def pre_request(worker, req):
    """Drop every header whose name has an underscore, except the contract's api_access_key
    (gunicorn has upper-cased the names)."""
    req.headers = [
        (name, value)
        for name, value in req.headers
        if "_" not in name or name in UNDERSCORE_HEADERS_KEPT
    ]


accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# No query string (%(q)s) in the access log: credentials sent there are refused, but they
# would still have been written down.
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'


def resident_mb() -> float:
    """This process's resident memory in MB (/proc/self/statm's second field, in pages);
    0 where there is no /proc."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except OSError:
        return 0.0
    return pages * PAGE_BYTES / 1_000_000


def post_request(worker, req, environ, resp):
    """Retire the worker once it has answered, if it holds more than MAX_WORKER_MEMORY_MB:
    it ends as after max_requests (its answer already sent), and the arbiter forks another."""
    if MAX_WORKER_MEMORY_MB <= 0 or not worker.alive:
        return
    resident = resident_mb()
    if resident > MAX_WORKER_MEMORY_MB:
        worker.log.warning(
            "Worker retires: %.0f MB resident, above GUNICORN_MAX_WORKER_MEMORY_MB=%d",
            resident,
            MAX_WORKER_MEMORY_MB,
        )
        worker.alive = False
