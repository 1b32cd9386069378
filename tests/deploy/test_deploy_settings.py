"""Production settings, checked in a fresh process with a production environment: no
DJANGO_DEBUG, the settings manage.py loads (not the suite's), a real secret key."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

# Each check runs manage.py on a SQLite file of its own whichever database the suite uses.
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[2]
# Variables the test run sets that production does not have (pytest-django sets
# DJANGO_SETTINGS_MODULE to the suite's loyalty.settings_test).
NOT_IN_PRODUCTION = (
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_CACHE_URL",
    "DJANGO_SETTINGS_MODULE",
)
SECRET_KEY_REQUIRED = "DJANGO_SECRET_KEY must be set when DEBUG is off"

SHOW_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    name: getattr(settings, name, None)
    for name in (
        "DEBUG", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
        "SECURE_PROXY_SSL_HEADER", "STORAGES", "CACHES", "ALLOWED_HOSTS",
    )
}))
"""

# The production request stack, driven by Django's test client in the production process.
PRODUCTION_REQUESTS = """
import json
from django.test import Client
client = Client(HTTP_HOST="localhost")
answers = {
    "api_over_http": client.post("/api", {"type": "customers_batch"}),
    "healthz_over_http": client.get("/healthz"),
    "api_via_proxy": client.get("/api", HTTP_X_FORWARDED_PROTO="https"),
}
print(json.dumps({
    name: [response.status_code, response.get("Location"),
           response.get("Strict-Transport-Security")]
    for name, response in answers.items()
}))
"""


def production_env(tmp_path: Path, **variables: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in NOT_IN_PRODUCTION}
    env = {key: value for key, value in env.items() if not key.startswith("DJANGO_SECURE_")}
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'production.sqlite3'}"
    env.update(variables)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_settings(env: dict[str, str]) -> dict:
    result = manage(env, "shell", "--no-imports", "-c", SHOW_SETTINGS)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = manage(production_env(tmp_path), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_is_clean_behind_a_tls_terminating_proxy(tmp_path):
    env = production_env(
        tmp_path,
        DJANGO_SECURE_SSL_REDIRECT="0",
        DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
    )

    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    shown = production_settings(env)
    assert shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_production_refuses_to_start_with_the_development_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]

    result = manage(env, "check")

    assert result.returncode != 0
    assert SECRET_KEY_REQUIRED in result.stderr


def test_production_requires_https_cookies_hsts_and_collected_static_files(tmp_path):
    shown = production_settings(production_env(tmp_path))

    assert shown["DEBUG"] is False
    assert shown["SESSION_COOKIE_SECURE"] is True
    assert shown["CSRF_COOKIE_SECURE"] is True
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert shown["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert shown["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert shown["SECURE_HSTS_PRELOAD"] is False
    assert shown["SECURE_PROXY_SSL_HEADER"] is None
    assert shown["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


# Names a switch that turns the protections off might have had; LOYALTY_TESTING was one.
NOT_SWITCHES = {
    "LOYALTY_TESTING": "1",
    "TESTING": "1",
    "LOYALTY_TEST": "yes",
    "DJANGO_TESTING": "1",
    "DJANGO_DEBUG": "0",
    "DJANGO_DEBUG_": "1",
}


def test_no_environment_variable_but_django_debug_turns_the_protections_off(tmp_path):
    env = production_env(tmp_path, **NOT_SWITCHES)
    del env["DJANGO_SECRET_KEY"]

    refused = manage(env, "check")

    assert refused.returncode != 0
    assert SECRET_KEY_REQUIRED in refused.stderr
    shown = production_settings(production_env(tmp_path, **NOT_SWITCHES))
    assert shown["DEBUG"] is False
    assert shown["SESSION_COOKIE_SECURE"] is True
    assert shown["CSRF_COOKIE_SECURE"] is True
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert shown["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert shown["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost"]


def test_hsts_settings_come_from_the_environment(tmp_path):
    env = production_env(
        tmp_path,
        DJANGO_SECURE_HSTS_SECONDS="3600",
        DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="0",
        DJANGO_SECURE_HSTS_PRELOAD="1",
        DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Ssl=on",
    )

    shown = production_settings(env)

    assert shown["SECURE_HSTS_SECONDS"] == 3600
    assert shown["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is False
    assert shown["SECURE_HSTS_PRELOAD"] is True
    assert shown["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_SSL", "on"]


def test_production_redirects_plain_http_except_the_health_check(tmp_path):
    env = production_env(tmp_path, DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert manage(env, "migrate", "--noinput").returncode == 0

    result = manage(env, "shell", "--no-imports", "-c", PRODUCTION_REQUESTS)

    assert result.returncode == 0, result.stderr
    answers = json.loads(result.stdout)
    assert answers["api_over_http"][:2] == [301, "https://localhost/api"]
    assert answers["healthz_over_http"][0] == 200
    status, location, hsts = answers["api_via_proxy"]
    assert (status, location) == (405, None)
    assert hsts == "max-age=31536000; includeSubDomains"


def test_a_redis_cache_url_selects_django_redis_cache(tmp_path):
    env = production_env(tmp_path, DJANGO_CACHE_URL="redis://cache.internal:6379/1")

    cache = production_settings(env)["CACHES"]["default"]

    assert cache["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert cache["LOCATION"] == "redis://cache.internal:6379/1"


def test_an_unknown_cache_url_is_refused_at_start(tmp_path):
    result = manage(production_env(tmp_path, DJANGO_CACHE_URL="memcached://x:11211"), "check")

    assert result.returncode != 0
    assert "DJANGO_CACHE_URL must be a redis://" in result.stderr


@pytest.mark.django_db
def test_the_admin_static_files_are_served_without_collectstatic(client):
    response = client.get("/static/admin/css/base.css")

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"/*")
