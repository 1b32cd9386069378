"""The customer search's cost (`.venv/bin/python bench/search.py`; not part of `make bench`):
one search word over the admin's six search columns of BENCH_SEARCH_ROWS customers
(default 270,000), counted as the changelist counts its matches, best of BENCH_SEARCH_RUNS
(default 3), in SQL as the admin compiles it. SQLite in memory: Django's `icontains`
(LIKE), core.search_lookup's accent- and case-blind test (this search), and, for
comparison, its GLOB alone. PostgreSQL (BENCH_POSTGRES_URL, a temporary table; skipped if
it does not answer): `icontains` (UPPER ... LIKE) and this search's regular expression.
Then a phone number typed with spaces (bench/search_phone.py's figures).
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ("code", "card_number", "first_name", "last_name", "email", "phone")
# One customer in ten has an accented first name and one in ten an accented last name.
ACCENTED = ("amélie", "émile", "renée", "zoé", "françois", "jérôme", "hélène", "séverine")
ACCENTED_LAST = ("éluard", "lefèvre", "gérard", "bézier", "thérèse", "müller")
# Names typed with and without their accents, an ASCII name, a word with no ASCII letter,
# and the worst cases: words of letters that all have accented forms (no LIKE narrows
# their GLOB).
WORDS = ("AMÉLIE", "Severine", "eluard", "jane", "ЖЕНЯ", "anne", "eau")
RUNS = int(os.environ.get("BENCH_SEARCH_RUNS") or 3)


def main() -> int:
    sys.path[0] = str(ROOT)
    from bench import data
    from core.search_lookup import glob_contains, postgresql_test, sqlite_test

    rows = int(os.environ.get("BENCH_SEARCH_ROWS") or 270_000)
    customers = [_customer(data.row(i), i) for i in range(rows)]
    print(f"Search of one word over {rows:,} customers, six columns, best of {RUNS}")
    sqlite = sqlite3.connect(":memory:")
    sqlite.execute(f"CREATE TABLE customer (id INTEGER PRIMARY KEY, {', '.join(COLUMNS)})")
    sqlite.executemany(f"INSERT INTO customer VALUES (NULL, {', '.join('?' * 6)})", customers)
    like = _where("{} LIKE ? ESCAPE '\\'")
    glob = _where("{} GLOB ?")
    for word in WORDS:
        test, patterns = sqlite_test(word, _escaped)
        print(word)
        _report("SQLite LIKE (icontains, ASCII case only)", sqlite, like, (f"%{word}%",))
        _report("SQLite this search", sqlite, _sqlite_where(test), tuple(patterns))
        _report("SQLite GLOB alone, case and accent classes", sqlite, glob, (glob_contains(word),))
    _postgres(customers, postgresql_test)
    return 0


def _sqlite_where(test: str) -> str:
    return _where(test.replace("%s", "?").replace("{lhs}", "{0}"))


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _customer(values: Sequence[str], i: int) -> tuple[str, ...]:
    code, card, first, last, email, phone = values[:6]
    if i % 10 == 0:
        first = ACCENTED[i // 10 % len(ACCENTED)]
    if i % 10 == 5:
        last = ACCENTED_LAST[i // 10 % len(ACCENTED_LAST)]
    return code, card, first, last, email, phone


def _where(test: str) -> str:
    return " OR ".join(test.format(f'"{column}"') for column in COLUMNS)


def _report(label: str, connection, where: str, patterns: tuple[str, ...]) -> None:
    sql = f"SELECT count(*) FROM customer WHERE {where}"
    found, seconds = _best(lambda: _count(connection, sql, patterns * 6))
    print(f"  {label}: {seconds:.2f} s, {found:,} found")


def _count(connection, sql: str, params: tuple[str, ...]) -> int:
    cursor = connection.cursor()
    cursor.execute(sql, params)
    return cursor.fetchone()[0]


def _best(run: Callable[[], int]) -> tuple[int, float]:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        found = run()
        times.append(time.perf_counter() - started)
    return found, min(times)


def _postgres(customers: list[tuple[str, ...]], postgresql_test) -> None:
    from bench.databases import admin_connection

    connection = admin_connection()
    if connection is None:
        return
    with connection:
        connection.execute(
            f"CREATE TEMPORARY TABLE customer (id serial PRIMARY KEY, "
            f"{', '.join(f'{column} varchar(254)' for column in COLUMNS)})"
        )
        with connection.cursor().copy(f"COPY customer ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for customer in customers:
                copy.write_row(customer)
        connection.execute("ANALYZE customer")
        upper = _where("UPPER({}::text) LIKE UPPER(%s)")
        for word in WORDS:
            test, patterns = postgresql_test(word)
            print(word)
            _report("PostgreSQL UPPER LIKE (icontains)", connection, upper, (f"%{word}%",))
            where = _where(test.replace("{lhs}", "{0}"))
            _report("PostgreSQL this search", connection, where, tuple(patterns))


if __name__ == "__main__":
    raise SystemExit(main())
