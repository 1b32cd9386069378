"""Settings for the loyalty project.

Everything that differs between a developer's machine and production is read from the
environment: DATABASE_URL, DJANGO_SECRET_KEY, DJANGO_DEBUG, DJANGO_ALLOWED_HOSTS, and the
production settings that docs/deploy.md lists. DEBUG off always means production: the
secret key check, secure cookies, HSTS, the HTTPS redirect and ALLOWED_HOSTS hold, and no
variable turns them off. The test suite runs with loyalty/settings_test.py, a module that
imports these and that only pytest loads (pyproject.toml).
"""

import hashlib
import hmac
import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_HASHES, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# DJANGO_DEBUG=1 is the one, explicit development switch (make run sets it).
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"
# Production is every run without DEBUG: cookies require HTTPS, plain HTTP is redirected and
# static files come from collectstatic's manifest.
PRODUCTION = not DEBUG


def _env_flag(name: str, default: bool) -> bool:
    """`1`/`0` (also yes/no, true/false, on/off) from the environment; `default` when unset."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in ("1", "yes", "true", "on"):
        return True
    if value in ("0", "no", "false", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0, got {value[:40]!r}.")


DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
if PRODUCTION and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set when DEBUG is off (set DJANGO_DEBUG=1 for development)."
    )

ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if host.strip()
]

INSTALLED_APPS = [
    # The admin site with Home in shop order (loyalty/admin_site.py).
    "loyalty.admin_site.LoyaltyAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # intcomma: the counts templates show, with thousands separators (100,000).
    "django.contrib.humanize",
    # Before staticfiles: runserver then serves static files through WhiteNoise too, as
    # production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    # The OpenAPI document and Swagger UI's files for /api/docs/ (api/docs.py).
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "csp",
    # The admin login's failure throttle (accounts/admin_login.py, AXES_* below).
    "axes",
    "accounts",
    "campaigns",
    "customers",
    # Background imports on Django's tasks API (jobs/, docs/decisions.md "Background jobs").
    "django_tasks",
    "django_tasks_db",
    "django_rq",
    "jobs",
]

MIDDLEWARE = [
    # Before all: behind nginx, the client's address instead of nginx's (core/client_address.py).
    "core.client_address.ClientAddressMiddleware",
    # Next, so its duration covers the whole stack and it sees every answer of /api.
    "core.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The Content-Security-Policy header on every answer (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # Last, as axes asks: turns a refused admin login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "loyalty.urls"

# The tenant model, named for the shared base (core/) as AUTH_USER_MODEL names the user model.
ACCOUNT_MODEL = "accounts.Account"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's own overrides (the admin's header links to the API documentation).
        "DIRS": [BASE_DIR / "loyalty" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "loyalty.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers (the admin) work while an import writes; IMMEDIATE takes the write
    # lock at BEGIN so two imports queue instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            # How long a write waits for another's lock (LOYALTY_SQLITE_BUSY_SECONDS).
            "timeout": int(os.environ.get("LOYALTY_SQLITE_BUSY_SECONDS", "30")),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Axes first: it refuses a locked-out login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    # Customer secrets written by a bulk import start here (keyed with
    # LOYALTY_CUSTOMER_SECRET_HASH_KEY) and are raised to full strength later without the
    # plaintext (see customers/hashers.py and docs/decisions.md); the unkeyed two only verify.
    "customers.hashers.WrappedKeyedInterimPBKDF2Hasher",
    "customers.hashers.KeyedInterimHasher",
    "customers.hashers.WrappedInterimPBKDF2Hasher",
    "customers.hashers.InterimSHA256Hasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# The verified-credential cache lives here (login throttling is counted in the database).
# LocMemCache is per process, so each worker verifies a password once per
# CREDENTIAL_CACHE_SECONDS; a shared Redis (DJANGO_CACHE_URL) makes that once per cluster.
CACHE_URL = os.environ.get("DJANGO_CACHE_URL", "").strip()
if not CACHE_URL:
    CACHES: dict[str, dict[str, Any]] = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "loyalty",
        }
    }
elif CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "loyalty",
        }
    }
else:
    raise ImproperlyConfigured(
        "DJANGO_CACHE_URL must be a redis://, rediss:// or unix:// URL (or unset)."
    )

LANGUAGE_CODE = "en-us"
# Dates as 2026-12-02 06:55 UTC everywhere in the admin (loyalty/formats/en/formats.py).
FORMAT_MODULE_PATH = ["loyalty.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Production serves the hashed, compressed files that `collectstatic` wrote (make serve runs
# it); development and tests serve the apps' files as they are, without collectstatic.
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
if not PRODUCTION:
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True

# A 100,000-row batch is about 5 MB of form data; the default 2.5 MB would refuse it.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("LOYALTY_MAX_REQUEST_BYTES", 64 * 1024 * 1024))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

REST_FRAMEWORK = {
    # The API view names its own parsers, authentication, permission, throttle, negotiation
    # and renderers (api/views.py); nothing else is a DRF view.
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# The OpenAPI document at /api/schema/, generated from the API view's annotations
# (api/schema.py, api/schema_extensions.py); Swagger UI at /api/docs/ from our own static
# files, nothing from a CDN.
SPECTACULAR_SETTINGS = {
    "TITLE": "Loyalty API",
    "DESCRIPTION": (
        "A drop-in replacement for the original public loyalty API: an integration changes "
        "only the host name. The first call is `customers_batch`, the bulk customer import."
    ),
    "VERSION": "1.5",
    "OAS_VERSION": "3.1.0",
    "SERVERS": [{"url": "/"}],
    # The document describes /api only, not the views that serve it.
    "SERVE_INCLUDE_SCHEMA": False,
    # Public, as the API's description always was; no session or password is read for it.
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # validatorUrl: Swagger UI would otherwise send the document to an outside validator.
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None, "deepLinking": True},
    "ENUM_NAME_OVERRIDES": {
        "YesNoEnum": ["yes", "no"],
        "BatchStatusEnum": "customers.batch.types.BatchStatus",
        "JobBatchStatusEnum": "api.schema.JOB_BATCH_STATUSES",
        "ApiVersionEnum": "api.schema.API_VERSIONS",
    },
    # Each choice's meaning is in its parameter's description.
    "ENUM_GENERATE_CHOICE_DESCRIPTION": False,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema_extensions.xml_responses",
    ],
}


def _customer_secret_hash_key() -> str:
    """The key of the interim hash of customer passwords and PINs (customers/hashers.py):
    LOYALTY_CUSTOMER_SECRET_HASH_KEY, else derived from SECRET_KEY. Never in the database;
    every app server must have the same one, for as long as such hashes exist
    (docs/deploy.md)."""
    key = os.environ.get("LOYALTY_CUSTOMER_SECRET_HASH_KEY", "").strip()
    if key:
        return key
    label = b"loyalty.customers.hashers.interim"
    return hmac.new(SECRET_KEY.encode(), label, hashlib.sha256).hexdigest()


LOYALTY_CUSTOMER_SECRET_HASH_KEY = _customer_secret_hash_key()

# Background imports (jobs/): the task backend, where bodies and progress are kept.
# LOYALTY_TASKS_BACKEND=database (default): the tasks are rows of this database, the worker
# is `manage.py jobs_worker` (django-tasks-db's db_worker and the stalled-job check). =rq:
# RQ on Redis at REDIS_URL, the worker `manage.py jobs_worker` runs rqworker instead.
TASKS_BACKEND = os.environ.get("LOYALTY_TASKS_BACKEND", "database").strip().lower()
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
elif TASKS_BACKEND == "rq":
    if not REDIS_URL:
        raise ImproperlyConfigured(
            "LOYALTY_TASKS_BACKEND=rq needs REDIS_URL (redis://host:port/db)."
        )
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
else:
    raise ImproperlyConfigured(
        f"LOYALTY_TASKS_BACKEND must be database or rq, got {TASKS_BACKEND[:40]!r}."
    )
# RQ's own job timeout: a job's lease (below) decides when a silent job is given up, so RQ's
# 180-second default must not cut a long import.
RQ_QUEUES = {
    "default": {"URL": REDIS_URL or "redis://127.0.0.1:6379/0", "DEFAULT_TIMEOUT": 24 * 3600}
}
# Saved request bodies (encrypted) and, without Redis, the progress cache: one folder that
# the web server and the workers share (several machines: S3 and Redis, docs/deploy.md).
JOBS_DIR = Path(os.environ.get("LOYALTY_JOBS_DIR", BASE_DIR / "var" / "jobs"))
JOBS_S3_BUCKET = os.environ.get("LOYALTY_JOBS_S3_BUCKET", "").strip()
STORAGES["import_jobs"] = (
    {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": JOBS_S3_BUCKET,
            "location": "import-jobs",
            "default_acl": "private",
        },
    }
    if JOBS_S3_BUCKET
    else {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(JOBS_DIR / "bodies"),
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }
)
# Progress and heartbeats of running jobs: written outside the import's transaction, which
# on SQLite holds the only write lock (docs/decisions.md). Redis when REDIS_URL is set, else
# files in JOBS_DIR, which every process of one machine shares.
CACHES["jobs"] = (
    {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "loyalty-jobs",
    }
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(JOBS_DIR / "progress"),
    }
)

LOYALTY = {
    # Rows per chunk of the import engine: each chunk costs a fixed number of queries.
    "IMPORT_CHUNK_ROWS": int(os.environ.get("LOYALTY_IMPORT_CHUNK_ROWS", 5000)),
    "MAX_BATCH_ROWS": int(os.environ.get("LOYALTY_MAX_BATCH_ROWS", 1_000_000)),
    # How long a request_id's reply is kept per account; expired replies are deleted
    # (after each request_id import and by prune_request_ids), a retry after that is new.
    "REQUEST_ID_TTL_SECONDS": int(os.environ.get("LOYALTY_REQUEST_ID_TTL_SECONDS", 24 * 3600)),
    # Line errors listed in one answer (and in a stored reply); the rest are counted, and
    # kept with the undo state as its failed lines (customers/failed_lines.py).
    "LINE_ERRORS_LISTED": int(os.environ.get("LOYALTY_LINE_ERRORS_LISTED", 1000)),
    # Cells an Excel file uploaded to the admin's import may hold (its sheet and shared
    # strings, counted before the sheet is parsed): openpyxl takes about 25 s of CPU per
    # million cells, so larger files go as CSV, which costs a fraction of that.
    "MAX_IMPORT_CELLS": int(os.environ.get("LOYALTY_MAX_IMPORT_CELLS", 250_000)),
    # How long an admin import's preview can be confirmed (customers/pending.py).
    "IMPORT_PREVIEW_SECONDS": 3600,
    # Failed credential checks allowed per user id and per client address per window.
    "AUTH_FAILURE_LIMIT": int(os.environ.get("LOYALTY_AUTH_FAILURE_LIMIT", 10)),
    "AUTH_FAILURE_WINDOW_SECONDS": 300,
    # One user id's password checks from addresses it has not logged in from, across all of
    # them (accounts/slowdown.py): the first USER_SLOWDOWN_AFTER of a window run at once,
    # then each waits a delay after the one before, doubling from the first delay up to the
    # longest; a check that comes early is answered 429 with Retry-After. At most 133
    # checks per user id and hour-long window, whatever the number of addresses.
    "USER_SLOWDOWN_AFTER": int(os.environ.get("LOYALTY_USER_SLOWDOWN_AFTER", 10)),
    "USER_SLOWDOWN_WINDOW_SECONDS": 3600,
    "USER_SLOWDOWN_FIRST_DELAY_SECONDS": 1,
    "USER_SLOWDOWN_MAX_DELAY_SECONDS": 30,
    # An address block a user id logged in from with its password is not slowed down by
    # others' guesses for this long.
    "KNOWN_ADDRESS_DAYS": 30,
    # How long a verified password is trusted without running the slow hash again.
    "CREDENTIAL_CACHE_SECONDS": 300,
    # Newest undo states per account that keep their undo data.
    "UNDO_STATES_KEPT": int(os.environ.get("LOYALTY_UNDO_STATES_KEPT", 50)),
    # A running job's worker renews its lease this often; a job whose lease is older than
    # JOB_LEASE_SECONDS lost its worker and is run again, JOB_ATTEMPTS times in all.
    "JOB_HEARTBEAT_SECONDS": int(os.environ.get("LOYALTY_JOB_HEARTBEAT_SECONDS", 5)),
    "JOB_LEASE_SECONDS": int(os.environ.get("LOYALTY_JOB_LEASE_SECONDS", 60)),
    "JOB_ATTEMPTS": int(os.environ.get("LOYALTY_JOB_ATTEMPTS", 3)),
    # How long a worker keeps trying to record a job's end while SQLite's write lock is held
    # by another write (a synchronous import; the longest, 1,000,000 lines, takes about two
    # minutes on a slow day); its lease is renewed meanwhile (jobs/service.py, _end).
    "JOB_END_WAIT_SECONDS": int(os.environ.get("LOYALTY_JOB_END_WAIT_SECONDS", 600)),
    # An admin import confirmed with more data lines than this runs as a background job
    # (its progress page); up to it, at once, in the request. 20,000 lines import in
    # about 1 s on SQLite and 2 s on PostgreSQL at the benchmark's slow-day rates
    # (docs/decisions.md, "Background jobs").
    "ADMIN_BACKGROUND_LINES": int(os.environ.get("LOYALTY_ADMIN_BACKGROUND_LINES", 20_000)),
    # What one account may have waiting in the background at once (jobs/service.py): jobs
    # queued or running (imports and rollbacks), and bytes of their saved bodies (300 MB:
    # four bodies of the largest request, 64 MiB, fit). Over either, a new job is refused
    # (HTTP 429).
    "JOBS_PER_ACCOUNT": int(os.environ.get("LOYALTY_JOBS_PER_ACCOUNT", 5)),
    "JOB_BODY_BYTES_PER_ACCOUNT": int(
        os.environ.get("LOYALTY_JOB_BODY_BYTES_PER_ACCOUNT", 300_000_000)
    ),
}
# Addresses of our own reverse proxies (nginx in front, docs/deploy.md): a request from one
# of them is from the address in its X-Real-IP header (core/client_address.py). Empty: none.
LOYALTY_TRUSTED_PROXIES = frozenset(
    address.strip()
    for address in os.environ.get("LOYALTY_TRUSTED_PROXIES", "").split(",")
    if address.strip()
)
# The key that encrypts background imports' saved bodies (32 bytes, urlsafe base64);
# derived from SECRET_KEY when unset. Every web server and worker needs the same one.
JOBS_KEY = os.environ.get("LOYALTY_JOBS_KEY", "")

# The admin login: the API's policy (docs/decisions.md, "Security and secrets"), with
# django-axes. LOYALTY's limit and window are read at every login, per (username, address)
# and per address; a success resets nothing, and attempts refused while locked out do not
# count. accounts.admin_login's handler shares the API's counters, so both doors count as one.
AXES_FAILURE_LIMIT = "accounts.admin_login.failure_limit"
AXES_COOLOFF_TIME = "accounts.admin_login.cool_off"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = False
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Axes stores HMACs of the username and address, never what was typed nor the address.
AXES_CLIENT_IP_CALLABLE = "accounts.admin_login.keyed_client_address"
AXES_USERNAME_CALLABLE = "accounts.admin_login.keyed_username"
# Axes's log of successful logins writes the user's username as it is: not kept (the
# request log has each login's request).
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_CALLABLE = "accounts.admin_login.locked_out"
AXES_HANDLER = "accounts.admin_login.AdminLoginHandler"

# Staff who may view customers may export (the list they see, scoped to their accounts).
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"

SECURE_CONTENT_TYPE_NOSNIFF = True

# Content-Security-Policy (django-csp), on every answer; it matters on the HTML pages, the
# admin and the API docs (Swagger UI): scripts only from this server's own files, never
# inline (the docs page loads its start-up script from /api/docs/?script, api/docs.py), no
# plugins, no framing, forms posted only here. One inline event handler is allowed by its
# hash alone ('unsafe-hashes' permits handlers whose text hashes to a listed value, nothing
# else): django-import-export's export page toggles its field list with
# onchange="onSelectToggleChange(event)". Inline styles stay allowed: the admin's
# templates and Swagger UI's page carry style attributes and a <style> block. Swagger UI's
# icons are data: images, and it fetches the document (/api/schema/) from here.
EXPORT_PAGE_HANDLER = "'sha256-wid4zL8fR53ZYy1ljOepzR77Dn6vWUUxuNnnWWBP3I8='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, UNSAFE_HASHES, EXPORT_PAGE_HANDLER],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Behind a TLS-terminating proxy: the header (and value) it sets on HTTPS requests, e.g.
# "X-Forwarded-Proto" (value https) or "X-Forwarded-Ssl=on". Only set it when the proxy
# always sets or overwrites that header: a client could send it otherwise.
_PROXY_SSL_HEADER = os.environ.get("DJANGO_SECURE_PROXY_SSL_HEADER", "").strip()
if _PROXY_SSL_HEADER:
    _name, _, _value = _PROXY_SSL_HEADER.partition("=")
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _name.strip().upper().replace("-", "_"),
        _value.strip() or "https",
    )

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_flag("DJANGO_SECURE_SSL_REDIRECT", True)
    # Load balancers probe health over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", 365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_flag("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = _env_flag("DJANGO_SECURE_HSTS_PRELOAD", False)
    # What the operator turned off on purpose is not warned about (docs/deploy.md says why
    # each may be off): SSL redirect done by the proxy, HSTS left to the proxy, preload.
    SILENCED_SYSTEM_CHECKS = [
        check
        for check, deliberately_off in (
            ("security.W008", not SECURE_SSL_REDIRECT),
            ("security.W004", not SECURE_HSTS_SECONDS),
            ("security.W005", not SECURE_HSTS_INCLUDE_SUBDOMAINS),
            ("security.W021", not SECURE_HSTS_PRELOAD),
        )
        if deliberately_off
    ]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # loyalty.request: one JSON line per API request (core/request_log.py).
    "loggers": {"loyalty": {"level": "INFO"}},
}
