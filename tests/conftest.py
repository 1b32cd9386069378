"""Shared fixtures: the demo account with its user and campaigns, and a helper that posts a
customers_batch request the way integrators do (form data through Django's HTTP stack),
and one that runs import_customers on a file written for the test."""

import io
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Membership
from customers.management.commands.import_customers import LINES_FAILED_RETURN_CODE
from tests.factories import make_account, make_campaign, make_item, make_member

USER_ID = "john1970"
PASSWORD = "1959caadac9b13dcb3"
API_KEY = "1959caadac9b13dcb3"
POINTS, EVENTS, GIFTCARD, BUYX, EARNED = "898989889", "13234545", "34534554", "89898989989", "555"


def pytest_collection_modifyitems(config, items):
    from django.db import connection

    if connection.vendor == "postgresql":
        # The second pass of make test: what does not depend on the database ran in the
        # first (docs/decisions.md, "One pass for what no database changes").
        once = [item for item in items if "once" in item.keywords]
        if once:
            config.hook.pytest_deselected(items=once)
            items[:] = [item for item in items if "once" not in item.keywords]
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (run by make test's second pass)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


# PostgreSQL keeps the rows a rolled-back test wrote as dead rows until a VACUUM, and make
# test's cluster runs no autovacuum (CI's conf.d). A test of 100,000 rows left every later
# count and scan of the customers table reading them: the bad-input properties took 10 s
# alone and 108 s after the rest of the suite. After a test that left this many dead rows,
# they are vacuumed away, as autovacuum would have done (nothing a test reads changes).
VACUUM_AFTER_DEAD_ROWS = 5_000
_vacuuming: dict = {}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    if nextitem is None:
        # The last test: the test database is dropped in its teardown, with no other session.
        _stop_vacuuming()
    yield  # the test's transaction is rolled back (or its tables flushed) by now
    from django.db import connection

    if nextitem is not None and connection.vendor == "postgresql":
        _vacuum_dead_rows(connection.settings_dict)


def _vacuum_dead_rows(database: dict) -> None:
    import psycopg

    if not database["NAME"].startswith("test_"):
        return
    own = _vacuuming.get("connection")
    if own is None or own.closed:
        own = _vacuuming["connection"] = psycopg.connect(
            dbname=database["NAME"],
            user=database["USER"],
            password=database["PASSWORD"] or None,
            host=database["HOST"] or None,
            port=database["PORT"] or None,
            autocommit=True,
            # A process a test left behind may hold a lock: then no VACUUM this time.
            options="-c lock_timeout=2s",
        )
    dead = own.execute(
        "SELECT relname, n_dead_tup FROM pg_stat_user_tables WHERE n_dead_tup > 0"
    ).fetchall()
    if sum(count for _, count in dead) >= VACUUM_AFTER_DEAD_ROWS:
        try:
            own.execute("VACUUM " + ", ".join(f'"{name}"' for name, _ in dead))
        except psycopg.errors.LockNotAvailable:
            pass


def _stop_vacuuming() -> None:
    own = _vacuuming.pop("connection", None)
    if own is not None:
        own.close()


@pytest.fixture(autouse=True)
def _fast_user_passwords(settings):
    # Users' passwords only: full-strength PBKDF2 would cost a second per test.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def account(db):
    return make_account(slug="greatwidgets", owner_id="1000000000000001", name="GW")


@pytest.fixture
def other_account(db):
    return make_account(slug="otherwidgets", owner_id="2000000000000002", name="OW")


@pytest.fixture
def user(account):
    return make_member(account=account, username=USER_ID, password=PASSWORD, api_key=API_KEY)


@pytest.fixture
def campaigns(account):
    types = {
        POINTS: "points",
        EVENTS: "events",
        GIFTCARD: "giftcard",
        BUYX: "buyx",
        EARNED: "earned",
    }
    made = {
        campaign_id: make_campaign(account=account, campaign_id=campaign_id, type=kind)
        for campaign_id, kind in types.items()
    }
    make_item(campaign=made[BUYX], name="Latte")
    make_item(campaign=made[BUYX], name="Muffin")
    return made


def batch_params(headers=("code", "first_name"), data="", **extra) -> dict:
    """A 1.0 customers_batch form with the demo credentials; `extra` adds or overrides."""
    params = {
        "user_id": USER_ID,
        "user_password": PASSWORD,
        "account_id": "greatwidgets",
        "type": "customers_batch",
        "delimiter": "pipe",
        "campaigns_to_include": POINTS,
        "Profiles_Data": data,
    }
    for number, name in enumerate(headers, start=1):
        params[f"profiles_header_{number}"] = name
    params.update(extra)
    return {key: value for key, value in params.items() if value is not None}


def post_admin_login(client, *, username: str, password: str, address: str):
    """The admin's login form posted as a browser does, from `address`."""
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


@pytest.fixture
def post_batch(client, user, campaigns):
    """post_batch(headers=..., data=..., **params) -> response, as JSON-decoded dict in
    `.json_body` when output=JSON was asked for."""

    def post(headers=("code", "first_name"), data="", **extra):
        return client.post("/api", batch_params(headers, data, **extra))

    return post


@pytest.fixture
def staff_user(account):
    """staff_user(*permission codenames, username=...) -> a staff user (not a superuser)
    with an active membership of `account` only, granted exactly those model permissions."""
    from django.contrib.auth.models import Permission

    def make(*codenames, username="staffer"):
        staff = make_member(
            account=account,
            username=username,
            password=PASSWORD,
            role=Membership.Role.STAFF,
            is_staff=True,
        )
        staff.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        assert staff.user_permissions.count() == len(codenames)
        return staff

    return make


@pytest.fixture
def run_import(account, user, campaigns):
    """run_import(headers, data, into=account, **params) -> ImportResult, through the
    service as an API import; `into` another account needs its own POINTS campaign."""
    from customers.batch.params import parse_batch_request
    from customers.batch.service import import_customers
    from customers.models import UndoState

    def run(headers=("code", "first_name"), data="", *, into=None, **extra):
        params = {key.lower(): value for key, value in batch_params(headers, data, **extra).items()}
        return import_customers(
            account=into or account,
            user=user,
            request=parse_batch_request(params),
            source=UndoState.Source.API,
        )

    return run


@dataclass
class Ran:
    stdout: str
    stderr: str
    # The exit status the command line would end with.
    returncode: int = 0


@pytest.fixture
def data_file(tmp_path):
    """data_file(text, name=...) -> the path of a file holding exactly `text` (UTF-8) or
    the bytes given; data_file.last is the latest path."""

    def write(text: str | bytes, name: str = "customers.csv") -> str:
        path = tmp_path / name
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        write.last = str(path)
        return write.last

    return write


@pytest.fixture
def import_file(campaigns, data_file):
    """import_file(text, *arguments, account=..., campaigns=..., delimiter=..., overwrite=...)
    -> Ran: import_customers on a file holding `text`, with --first-line-headers unless
    --headers is among the arguments. An import whose lines failed returns its Ran with
    returncode 2 (the exit status it ends with); import_file.last is the latest Ran, also
    when the command raised."""

    def run(
        text: str | bytes,
        *arguments: str,
        account="greatwidgets",
        campaigns=POINTS,
        delimiter="comma",
        overwrite="update",
    ) -> Ran:
        if not any(argument.startswith("--headers") for argument in arguments):
            arguments = ("--first-line-headers", *arguments)
        out, err = io.StringIO(), io.StringIO()
        returncode = 0
        try:
            call_command(
                "import_customers",
                data_file(text),
                f"--account={account}",
                f"--campaigns={campaigns}",
                f"--delimiter={delimiter}",
                f"--overwrite={overwrite}",
                *arguments,
                stdout=out,
                stderr=err,
            )
        except CommandError as error:
            if error.returncode != LINES_FAILED_RETURN_CODE:
                raise
            returncode = error.returncode
        finally:
            run.last = Ran(out.getvalue(), err.getvalue(), returncode)
        return run.last

    return run
