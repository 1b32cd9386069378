"""What the import engine is compared with, each run as `python -m bench.baselines ...` in
a subprocess with the server's environment, on a fresh database, timed in there:

  import-export ROWS [--bulk]   django-import-export's import_data with a ModelResource for
                                Customer (default options, or Meta.use_bulk, batch_size 1000)
  floor ROWS METHOD             the database driver alone writing the same rows into
                                customers_customer: METHOD copy (psycopg COPY) or
                                executemany (psycopg, or the sqlite3 module)
"""

import argparse
import datetime
import os
import sqlite3
import sys
import time

import dj_database_url
import django
import psycopg

from . import data
from .server import emit

# Every column of customers_customer but id, in the order the floor writes them.
FLOOR_COLUMNS = (
    "account_id",
    *data.HEADERS,
    "street1",
    "street2",
    "city",
    "state",
    "postal_code",
    "country",
    "custom_field",
    "customer_username",
    "customer_password",
    "customer_pin",
    "custom_fields",
    "version",
    "created_at",
    "updated_at",
)


def import_export(rows: int, bulk: bool) -> dict:
    import tablib
    from django.utils import timezone
    from import_export import resources

    from accounts.models import Account
    from customers.models import Customer

    account = Account.objects.get(slug=data.ACCOUNT)
    now = timezone.now()

    class CustomerResource(resources.ModelResource):
        """Matches by code within the account, as customers_batch does."""

        class Meta:
            model = Customer
            fields = data.HEADERS
            import_id_fields = ("code",)
            use_bulk = bulk
            batch_size = 1000

        def get_queryset(self):
            return Customer.objects.filter(account=account)

        def before_save_instance(self, instance, row, **kwargs):
            # The account and the stamps are not in the file: set on every instance.
            instance.account = account
            instance.created_at = instance.created_at or now
            instance.updated_at = now

    dataset = tablib.Dataset(*data.rows(0, rows), headers=list(data.HEADERS))
    started = time.perf_counter()
    result = CustomerResource().import_data(dataset)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": rows,
        "new": result.totals["new"],
        "errors": len(result.base_errors) + len(result.row_errors()) + len(result.invalid_rows),
        "stored": Customer.objects.filter(account=account).count(),
    }


def floor(rows: int, method: str) -> dict:
    url = os.environ["DATABASE_URL"]
    config = dj_database_url.parse(url)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        if method != "executemany":
            raise SystemExit("SQLite has no COPY: use executemany")
        return _sqlite_floor(config["NAME"], rows)
    return _postgres_floor(url, rows, method)


def _postgres_floor(url: str, rows: int, method: str) -> dict:
    with psycopg.connect(url) as connection:
        account_id = _account_id(connection.cursor(), "%s")
        now = datetime.datetime.now(datetime.UTC)
        values = [
            _floor_row(account_id, row, now, datetime.date.fromisoformat)
            for row in data.rows(0, rows)
        ]
        names = ", ".join(FLOOR_COLUMNS)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            if method == "copy":
                with cursor.copy(f"COPY customers_customer ({names}) FROM STDIN") as copy:
                    for row in values:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(FLOOR_COLUMNS))
                cursor.executemany(
                    f"INSERT INTO customers_customer ({names}) VALUES ({marks})", values
                )
        connection.commit()
        seconds = time.perf_counter() - started
        stored = connection.execute("SELECT count(*) FROM customers_customer").fetchone()[0]
    return {"seconds": seconds, "rows": rows, "stored": stored}


def _sqlite_floor(path: str, rows: int) -> dict:
    # The pragmas the project's settings give every connection.
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        account_id = _account_id(connection.cursor(), "?")
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        values = [_floor_row(account_id, row, now, str) for row in data.rows(0, rows)]
        names = ", ".join(FLOOR_COLUMNS)
        marks = ", ".join(["?"] * len(FLOOR_COLUMNS))
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(f"INSERT INTO customers_customer ({names}) VALUES ({marks})", values)
        connection.execute("COMMIT")
        seconds = time.perf_counter() - started
        stored = connection.execute("SELECT count(*) FROM customers_customer").fetchone()[0]
    finally:
        connection.close()
    return {"seconds": seconds, "rows": rows, "stored": stored}


def _floor_row(account_id: int, row: tuple[str, ...], now, date) -> tuple:
    """A customers_customer row as the import writes it: the profile fields of the
    benchmark row, every other text column blank, no username, no custom fields."""
    *profile, custom_date = row
    blanks = ("",) * 7
    return (account_id, *profile, date(custom_date), *blanks, None, "", "", "{}", 1, now, now)


def _account_id(cursor, mark: str) -> int:
    cursor.execute(f"SELECT id FROM accounts_account WHERE slug = {mark}", [data.ACCOUNT])
    return cursor.fetchone()[0]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baselines")
    kinds = parser.add_subparsers(dest="kind", required=True)
    kind = kinds.add_parser("import-export")
    kind.add_argument("rows", type=int)
    kind.add_argument("--bulk", action="store_true")
    kind = kinds.add_parser("floor")
    kind.add_argument("rows", type=int)
    kind.add_argument("method", choices=("copy", "executemany"))
    args = parser.parse_args(argv)
    if args.kind == "import-export":
        django.setup()
        emit(import_export(args.rows, args.bulk))
    else:
        emit(floor(args.rows, args.method))


if __name__ == "__main__":
    main(sys.argv[1:])
