"""A real server for the reliability tests: a database of its own (never the pytest test
database), migrated and seeded by subprocesses, and gunicorn with several worker
processes in front of it. The tests talk to it over HTTP and read its database directly."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench import server as bench_server

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
# How long a test waits for an answer: generous, since tests of slow clients ask only that
# an answer comes at all.
ANSWER_TIMEOUT_SECONDS = 60
# Tables an import, a rollback or a failed login writes, children first (a rollback job
# refers to its undo state).
DATA_TABLES = (
    "jobs_importjob",
    "campaigns_transaction",
    "campaigns_enrollment",
    "customers_undochunk",
    "customers_failedlinechunk",
    "customers_importrequest",
    "customers_undostate",
    "customers_customer",
    "accounts_authfailure",
)
# What "the database is exactly as it was" compares: every row of these, in id order.
SNAPSHOT_TABLES = (
    "customers_customer",
    "campaigns_enrollment",
    "campaigns_transaction",
    "customers_undostate",
    "customers_undochunk",
    "customers_failedlinechunk",
    "customers_importrequest",
)
# Settings the server must not inherit from the shell that runs the tests.
UNSET = ("DJANGO_DEBUG", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")


class ServerError(Exception):
    """The server or one of its helper processes failed; the message has its output."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


def request(
    port: int,
    method: str,
    path: str,
    params: dict | list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    *,
    timeout: float = ANSWER_TIMEOUT_SECONDS,
) -> Answer:
    """One request to the server (gunicorn, or nginx in front of it) on `port`: `params`
    form-encoded as integrators send them (none: no body), with `headers` added. The
    timeout is generous: tests of slow clients ask that an answer comes at all."""
    body = urllib.parse.urlencode(params).encode() if params is not None else None
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        sent = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        connection.request(method, path, body, sent if body is not None else headers or {})
        response = connection.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


class ServerDatabase:
    """The server's own database: created empty, migrated and seeded; dropped at the end."""

    def __init__(self, *, vendor: str, name: str, workdir: Path):
        self.vendor = vendor
        if vendor == "postgresql":
            self.name = name
            self.url = f"postgres://postgres@127.0.0.1:5432/{name}"
            self._admin_url = "postgres://postgres@127.0.0.1:5432/postgres"
        else:
            self.name = str(workdir / "server.sqlite3")
            self.url = f"sqlite:///{self.name}"

    def create(self, env: dict[str, str]) -> dict:
        """Create, migrate and seed; returns what the seed made (ids of account and user)."""
        if self.vendor == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{self.name}"')
        _run([PYTHON, "manage.py", "migrate", "--noinput"], env)
        return json.loads(_run([PYTHON, "-m", "tests.reliability.seed"], env).splitlines()[-1])

    def drop(self) -> None:
        if self.vendor == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of one statement, in its own connection and transaction (committed)."""
        if self.vendor == "postgresql":
            with psycopg.connect(self.url, autocommit=True) as connection:
                cursor = connection.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        connection = sqlite3.connect(self.name, timeout=30)
        try:
            with connection:
                cursor = connection.execute(sql.replace("%s", "?"), params)
                return cursor.fetchall()
        finally:
            connection.close()

    def count(self, table: str) -> int:
        return self.query(f"SELECT count(*) FROM {table}")[0][0]

    def reset(self) -> None:
        """Remove every row an import, a rollback or a login attempt wrote."""
        if self.vendor == "postgresql":
            self.query(f"TRUNCATE {', '.join(DATA_TABLES)}")
        else:
            for table in DATA_TABLES:
                self.query(f"DELETE FROM {table}")

    def snapshot(self) -> dict[str, tuple[int, str]]:
        """(row count, checksum of every row in id order) per table an import writes."""
        taken = {}
        for table in SNAPSHOT_TABLES:
            rows = self.query(f"SELECT * FROM {table} ORDER BY id")
            digest = hashlib.sha256(repr(rows).encode()).hexdigest()
            taken[table] = (len(rows), digest)
        return taken

    def open_transactions(self) -> int:
        """Other sessions of this database inside a transaction (PostgreSQL only)."""
        rows = self.query(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
            "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL",
            (self.name,),
        )
        return rows[0][0]

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self._admin_url, autocommit=True) as connection:
            connection.execute(sql)


class Gunicorn(bench_server.Gunicorn):
    """The benchmark's gunicorn process (bench/server.py), killed at once when stopped (a
    test server keeps nothing worth a graceful shutdown, and its database is dropped next),
    ready as soon as every worker runs and one answers, and with a form-POST client."""

    worker_timeout_seconds = 300
    stop_signals = ((signal.SIGKILL, 10),)
    settle_seconds = 0

    def post(
        self,
        params: dict | list[tuple[str, str]],
        *,
        timeout: float = 120,
        path: str = "/api",
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """POST `params` form-encoded, as integrators do, with `headers` added."""
        return request(self.port, "POST", path, params, headers, timeout=timeout)


def server_env(database_url: str) -> dict[str, str]:
    """A production-like environment (DEBUG off, a real secret key) for plain HTTP."""
    env = {name: value for name, value in os.environ.items() if name not in UNSET}
    env.update(
        DJANGO_SETTINGS_MODULE="loyalty.settings",
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY=f"test-only-{secrets.token_hex(16)}",
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_SECURE_SSL_REDIRECT="0",
        PYTHONPATH=str(ROOT),
    )
    return env


def _run(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise ServerError(f"{' '.join(command[1:3])} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout
