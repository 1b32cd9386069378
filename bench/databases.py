"""Fresh benchmark databases: a SQLite file in the run's temp directory, or `loyalty_bench`
on the local PostgreSQL, dropped and created. Each is migrated and given the benchmark's
account, user and campaign (bench.tasks setup) by subprocesses with the server's env."""

import contextlib
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg

from .server import BenchError, run_json, tail

POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
POSTGRES_DATABASE = "loyalty_bench"
# One per run: the server refuses to start with DEBUG off and the development key.
SECRET_KEY = f"bench-only-{secrets.token_hex(16)}"
# A 1,000,000-row body is about 90 MB form-encoded; the default limit is 64 MiB.
MAX_REQUEST_BYTES = "200000000"
# Settings the benchmark must not inherit from the shell that runs it.
UNSET = ("DJANGO_DEBUG", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")


def admin_connection() -> psycopg.Connection | None:
    """An autocommit connection to the local PostgreSQL's admin database, or None (said) if
    it is not up: the measures that need no Django database (bench/search*.py) skip it."""
    try:
        return psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True)
    except psycopg.OperationalError as error:
        print(f"  PostgreSQL skipped: {error}")
        return None


def django_env(database_url: str) -> dict[str, str]:
    """The environment of the server and of every Django subprocess of the benchmark."""
    env = {name: value for name, value in os.environ.items() if name not in UNSET}
    env.update(
        DJANGO_SETTINGS_MODULE="loyalty.settings",
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=database_url,
        LOYALTY_MAX_REQUEST_BYTES=MAX_REQUEST_BYTES,
        # Plain HTTP on localhost, as behind a TLS-terminating proxy that redirects itself.
        DJANGO_SECURE_SSL_REDIRECT="0",
    )
    return env


class Backend:
    name = ""

    def fresh(self) -> dict[str, str]:
        """An empty, migrated database with the benchmark's account: its environment."""
        env = django_env(self._empty_database())
        run_json(["-m", "bench.tasks", "migrate-and-setup"], env)
        return env

    def version(self) -> str:
        raise NotImplementedError

    @contextlib.contextmanager
    def autovacuum_standin(self) -> Iterator[None]:
        """While the block runs, stand in for PostgreSQL's autovacuum if the server has it
        off (nothing to do for SQLite)."""
        yield

    def close(self) -> None:
        """Remove what fresh() made."""

    def _empty_database(self) -> str:
        raise NotImplementedError


class SQLite(Backend):
    name = "SQLite"

    def __init__(self, directory: Path):
        self.directory = directory
        self.count = 0
        self.path: Path | None = None

    def version(self) -> str:
        return sqlite3.sqlite_version

    def close(self) -> None:
        if self.path is not None:
            for path in self.path.parent.glob(f"{self.path.name}*"):
                path.unlink()
            self.path = None

    def _empty_database(self) -> str:
        # One file at a time: a 1,000,000-row database is a few hundred megabytes.
        self.close()
        self.count += 1
        self.path = self.directory / f"bench-{self.count}.sqlite3"
        return f"sqlite:///{self.path}"


class PostgreSQL(Backend):
    name = "PostgreSQL"

    def __init__(self, admin_url: str = POSTGRES_ADMIN_URL, database: str = POSTGRES_DATABASE):
        # `database`: each benchmark that runs beside others has a database of its own name.
        self.admin_url = admin_url
        self.database = database
        self.created = False

    @classmethod
    def reachable(cls) -> tuple["PostgreSQL | None", str]:
        """The backend, or None and why it cannot be used."""
        try:
            with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3) as connection:
                connection.execute("SELECT 1")
        except psycopg.Error as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return None, f"PostgreSQL skipped: cannot connect to {POSTGRES_ADMIN_URL} ({reason})."
        return cls(), ""

    def version(self) -> str:
        return self.setting("server_version")

    @contextlib.contextmanager
    def autovacuum_standin(self, every_seconds: float = 10) -> Iterator[None]:
        """ANALYZE the benchmark's database every `every_seconds` while the block runs, when
        the server has autovacuum off (as on the machines this project is developed on):
        production servers keep it on, and it refreshes a growing table's statistics."""
        if self.setting("autovacuum") != "off":
            yield
            return
        stop = threading.Event()
        base, _, _ = self.admin_url.rpartition("/")

        def analyze() -> None:
            with psycopg.connect(f"{base}/{self.database}", autocommit=True) as connection:
                while not stop.wait(every_seconds):
                    connection.execute("ANALYZE")

        thread = threading.Thread(target=analyze, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def setting(self, name: str) -> str:
        with psycopg.connect(self.admin_url) as connection:
            return connection.execute(f"SHOW {name}").fetchone()[0]

    def close(self) -> None:
        if self.created:
            self._admin(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")
            self.created = False

    def _empty_database(self) -> str:
        self._admin(f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE)")
        self._admin(f"CREATE DATABASE {self.database}")
        self.created = True
        base, _, _ = self.admin_url.rpartition("/")
        return f"{base}/{self.database}"

    def _admin(self, sql: str) -> None:
        try:
            with psycopg.connect(self.admin_url, autocommit=True) as connection:
                connection.execute(sql)
        except psycopg.Error as exc:
            raise BenchError(f"{sql}: {tail(str(exc), 3)}") from exc
