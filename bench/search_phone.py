"""The customer search's cost for a phone number (`.venv/bin/python bench/search_phone.py`;
not part of `make bench`): BENCH_SEARCH_ROWS customers (default 270,000), half with a
national phone ("06 12 34 56 78"), half international ("+33 6 12 34 56 78"), searched
over the admin's six search columns and the phone's digits, counted as the changelist
counts its matches, best of BENCH_SEARCH_RUNS (default 3), in SQL as the admin compiles
it (customers/phone_search.py): before, Django's words ANDed across the columns; now, one
number in its national and international forms. SQLite in memory (REGEXP as Django
registers it, Python's re), then PostgreSQL (BENCH_POSTGRES_URL, a temporary table).
"""

from __future__ import annotations

import os
import re
import sqlite3
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLUMNS = ("code", "card_number", "first_name", "last_name", "email", "phone")
OTHERS = ("code", "card_number")
# Customer 123,456's international phone (+33 6 00 12 34 56) typed as a national number,
# 123,457's national one typed with spaces and in its international forms.
TERMS = ("0600123456", "06 00 12 34 57", "+33 6 00 12 34 57", "0033 6 00 12 34 57")


def main() -> int:
    sys.path[0] = str(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty.settings")
    os.environ.setdefault("DJANGO_DEBUG", "1")
    import django

    django.setup()
    from bench import data
    from bench.search import RUNS, _best, _count
    from customers.phone_search import (
        COUNTRY_CODE,
        _country_code,
        without_separators,
    )

    rows = int(os.environ.get("BENCH_SEARCH_ROWS") or 270_000)
    customers = [_customer(data.row(i), i, without_separators) for i in range(rows)]
    print(f"Phone number search over {rows:,} customers, best of {RUNS}")
    sqlite = sqlite3.connect(":memory:")
    sqlite.create_function(
        "REGEXP", 2, lambda pattern, value: bool(re.search(pattern, str(value))), deterministic=True
    )
    names = ", ".join((*COLUMNS, "phone_digits"))
    sqlite.execute(f"CREATE TABLE customer (id INTEGER PRIMARY KEY, {names})")
    sqlite.executemany(f"INSERT INTO customer VALUES (NULL, {', '.join('?' * 7)})", customers)

    def report(label, connection, where, params, mark):
        sql = f"SELECT count(*) FROM customer WHERE {where}".replace("%s", mark)
        found, seconds = _best(lambda: _count(connection, sql, tuple(params)))
        print(f"  {label}: {seconds:.2f} s, {found:,} found")

    def measure(name, connection, mark, regexp):
        for term in TERMS:
            print(f"{term!r} ({name})")
            words = term.split()
            per_word = "(" + " OR ".join(f"{c} LIKE %s" for c in COLUMNS) + ")"
            before = " AND ".join([per_word] * len(words))
            digits = without_separators(term)
            params = [f"%{word}%" for word in words for _ in COLUMNS]
            if digits.lstrip("+").isdigit():
                before = f"({before}) OR phone_digits LIKE %s"
                params.append(f"%{digits}%")
            report("before: words across the columns", connection, before, params, mark)
            where, params = _now(term, digits, regexp, COUNTRY_CODE, _country_code)
            report("now: one number", connection, where, params, mark)
        report("one word over the six columns (LIKE)", connection, per_word, ["%jane%"] * 6, mark)

    measure("SQLite", sqlite, "?", "REGEXP")
    _postgres(customers, measure)
    return 0


def _customer(values, i: int, without_separators) -> tuple[str, ...]:
    code, card, first, last, email, _ = values[:6]
    pairs = " ".join(f"{i:08d}"[n : n + 2] for n in range(0, 8, 2))
    phone = f"06 {pairs}" if i % 2 else f"+33 6 {pairs}"
    return code, card, first, last, email, phone, without_separators(phone)


def _now(term, digits, regexp, country_code, code_of) -> tuple[str, list[str]]:
    """customers/phone_search.py's test, as SQL."""
    tests, params = ["phone_digits LIKE %s"], [f"%{digits}%"]
    for column in OTHERS:
        for value in dict.fromkeys((term, digits)):
            tests.append(f"{column} LIKE %s")
            params.append(f"%{value}%")
    if digits.startswith("0") and not digits.startswith("00"):
        tests.append(f"(phone_digits LIKE %s AND phone_digits {regexp} %s)")
        params += [f"%{digits[1:]}%", f"^(?:\\+|00){country_code}{digits[1:]}"]
    else:
        international = digits[1:] if digits.startswith("+") else digits[2:]
        code = code_of(international)
        national = international[len(code) :]
        for form in (f"+{international}", f"00{international}", f"+{code}0{national}"):
            if form != digits:
                tests.append("phone_digits LIKE %s")
                params.append(f"%{form}%")
        tests.append("phone_digits LIKE %s")
        params.append(f"0{national}%")
    return " OR ".join(tests), params


def _postgres(customers, measure) -> None:
    from bench.databases import admin_connection

    connection = admin_connection()
    if connection is None:
        return
    with connection:
        names = (*COLUMNS, "phone_digits")
        connection.execute(
            "CREATE TEMPORARY TABLE customer (id serial PRIMARY KEY, "
            + ", ".join(f"{name} varchar(254)" for name in names)
            + ")"
        )
        with connection.cursor().copy(f"COPY customer ({', '.join(names)}) FROM STDIN") as copy:
            for customer in customers:
                copy.write_row(customer)
        connection.execute("ANALYZE customer")
        measure("PostgreSQL", connection, "%s", "~")


if __name__ == "__main__":
    raise SystemExit(main())
