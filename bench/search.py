"""The customer search's cost (`.venv/bin/python bench/search.py`; not part of `make bench`):
one search word over the admin's six search columns of BENCH_SEARCH_ROWS customers
(default 270,000), counted as the changelist counts its matches, best of BENCH_SEARCH_RUNS
(default 3), in SQL as the admin compiles it. SQLite in memory: Django's `icontains`
(LIKE), core.search_lookup's case-variant GLOB behind its narrowing LIKE, and, for
comparison, the GLOB alone and a GLOB whose classes also hold each letter's accented forms
(an accent-blind search). PostgreSQL (BENCH_POSTGRES_URL, a temporary table; skipped if it
does not answer): `icontains` (UPPER ... LIKE), `unaccent` on both sides if the database
has the extension, and `~*` with the accent-blind classes.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ("code", "card_number", "first_name", "last_name", "email", "phone")
# One customer in ten has an accented name, so a search word finds some (27,000) of them.
ACCENTED = ("amélie", "émile", "renée", "zoé", "françois", "jérôme", "hélène", "andré")
# A Latin name with an accent, and a word with no ASCII letter (its LIKE narrows nothing).
WORDS = ("AMÉLIE", "ЖЕНЯ")
RUNS = int(os.environ.get("BENCH_SEARCH_RUNS") or 3)


def main() -> int:
    sys.path[0] = str(ROOT)
    from bench import data
    from core.search_lookup import glob_contains, narrowing_likes

    rows = int(os.environ.get("BENCH_SEARCH_ROWS") or 270_000)
    customers = [_customer(data.row(i), i) for i in range(rows)]
    print(f"Search of one word over {rows:,} customers, six columns, best of {RUNS}")
    sqlite = sqlite3.connect(":memory:")
    sqlite.execute(f"CREATE TABLE customer (id INTEGER PRIMARY KEY, {', '.join(COLUMNS)})")
    sqlite.executemany(f"INSERT INTO customer VALUES (NULL, {', '.join('?' * 6)})", customers)
    like = _where("{} LIKE ? ESCAPE '\\'")
    glob = _where("{} GLOB ?")
    for word in WORDS:
        likes = narrowing_likes(word, _escaped)
        narrowed = " OR ".join(["{0} LIKE ? ESCAPE '\\'"] * len(likes))
        both = _where(f"(({narrowed}) AND {{0}} GLOB ?)")
        print(word)
        _report("SQLite LIKE (icontains, ASCII case only)", sqlite, like, (f"%{word}%",))
        _report("SQLite LIKE then GLOB (this search)", sqlite, both, (*likes, glob_contains(word)))
        _report("SQLite GLOB alone, case classes", sqlite, glob, (glob_contains(word),))
        _report("SQLite GLOB, case and accent classes", sqlite, glob, (_accent_glob(word),))
    _postgres(customers)
    return 0


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _customer(values: Sequence[str], i: int) -> tuple[str, ...]:
    code, card, first, last, email, phone = values[:6]
    if i % 10 == 0:
        first = ACCENTED[i // 10 % len(ACCENTED)]
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


def _accent_glob(word: str) -> str:
    """The GLOB an accent-blind search would need: each letter as every letter of the
    Latin planes whose decomposition starts with the same small letter, in any case."""
    classes: dict[str, set[str]] = {}
    for code in range(0x250):
        char = chr(code)
        base = unicodedata.normalize("NFD", char)[0].lower()
        classes.setdefault(base, set()).update({char, char.lower(), char.upper()})

    def one(char: str) -> str:
        base = unicodedata.normalize("NFD", char)[0].lower()
        members = sorted(m for m in classes.get(base, {char}) if len(m) == 1)
        return "[" + "".join(members) + "]" if len(members) > 1 else char

    return "*" + "".join(one(char) for char in word) + "*"


def _postgres(customers: list[tuple[str, ...]]) -> None:
    import psycopg

    url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    try:
        connection = psycopg.connect(url, autocommit=True)
    except psycopg.OperationalError as error:
        print(f"  PostgreSQL skipped: {error}")
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
        folded = _where("unaccent(UPPER({}::text)) LIKE unaccent(UPPER(%s))")
        regex = _where("{} ~* %s")
        names = {row[0] for row in connection.execute("SELECT extname FROM pg_extension")}
        for word in WORDS:
            print(word)
            _report("PostgreSQL UPPER LIKE (icontains)", connection, upper, (f"%{word}%",))
            if "unaccent" in names:
                _report("PostgreSQL unaccent(UPPER) LIKE", connection, folded, (f"%{word}%",))
            _report("PostgreSQL ~* accent classes", connection, regex, (_accent_glob(word)[1:-1],))


if __name__ == "__main__":
    raise SystemExit(main())
