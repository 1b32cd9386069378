"""Ctrl-C stops import_customers cleanly after the current chunk: the database holds whole
chunks only, the undo state counts them, and the command says how to roll them back.

Run as a real process (SIGINT needs one), on its own SQLite database file."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from customers.management.commands import import_customers as command

# The command runs on a SQLite file of its own whichever database the suite uses.
pytestmark = pytest.mark.once

MANAGE = str(Path(__file__).resolve().parents[2] / "manage.py")
CHUNK = 1000
LINES = 300_000


@pytest.fixture
def demo_database(tmp_path):
    """Environment for manage.py on a migrated SQLite file holding the demo account."""
    database = tmp_path / "loyalty.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "LOYALTY_IMPORT_CHUNK_ROWS": str(CHUNK),
        "DJANGO_SETTINGS_MODULE": "loyalty.settings_test",
    }
    manage(env, "migrate", "--noinput", "-v0")
    manage({**env, "DJANGO_DEBUG": "1"}, "load_demo")
    return env, database


def manage(env: dict, *arguments: str) -> None:
    subprocess.run([sys.executable, MANAGE, *arguments], env=env, check=True, capture_output=True)


def test_ctrl_c_stops_after_the_current_chunk_and_says_how_to_undo(demo_database, tmp_path):
    env, database = demo_database
    data = tmp_path / "customers.csv"
    with data.open("w") as out:
        out.write("code,first_name,auto_add\n")
        out.writelines(f"C{n:07d},Name {n},1\n" for n in range(1, LINES + 1))
    process = subprocess.Popen(
        [sys.executable, MANAGE, "import_customers", str(data), "--account=greatwidgets"]
        + ["--campaigns=898989889", "--delimiter=comma", "--overwrite=update"]
        + ["--first-line-headers"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first_progress = process.stderr.readline()
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)

    assert " rows, " in first_progress
    assert process.returncode == command.INTERRUPTED_RETURN_CODE
    assert stderr.splitlines()[-1] == f"CommandError: {command.INTERRUPTED}"
    with sqlite3.connect(database) as db:
        (customers,) = db.execute("SELECT count(*) FROM customers_customer").fetchone()
        (credits,) = db.execute("SELECT count(*) FROM campaigns_transaction").fetchone()
        undo_id, source, new = db.execute(
            "SELECT id, source, new FROM customers_undostate"
        ).fetchone()
        (chunks,) = db.execute("SELECT count(*) FROM customers_undochunk").fetchone()
    assert 0 < customers < LINES
    assert customers % CHUNK == 0
    assert (source, new, chunks, credits) == ("command", customers, customers // CHUNK, customers)
    lines = stdout.splitlines()
    assert lines[0] == command.IMPORTED.format(
        account="greatwidgets", new=customers, updated=0, ignored=0, failed=0
    )
    assert lines[1] == command.UNDO.format(
        id=undo_id, url=f"/admin/customers/undostate/{undo_id}/change/"
    )
    assert lines[2] == command.STOPPED.format(line=customers + 1)
    assert re.fullmatch(
        r"[\d,]+ rows, [\d,]+ rows/s, \d+% of the file, about .* left\n", first_progress
    )
