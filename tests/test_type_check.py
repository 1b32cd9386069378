"""The type check in make lint catches a wrong type passed to the import engine.

mypy runs with the project's configuration (pyproject.toml) on two small callers of
import_customers; its cache (.mypy_cache, shared with make lint) keeps this to seconds.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

# mypy reads the code, not a database.
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parent.parent

CALLER = """\
from accounts.models import Account
from customers.batch.params import parse_batch_request
from customers.batch.service import import_customers
from customers.models import UndoState


def call(account: Account) -> None:
    request = parse_batch_request({{}}, custom_field_count=0)
    import_customers(
        account={account}, user=None, request=request, source=UndoState.Source.API
    )
"""


@pytest.fixture(scope="module")
def mypy_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """mypy's report on each caller, by file name, and its last line under "summary"."""
    folder = tmp_path_factory.mktemp("callers")
    callers = {"right.py": "account", "slug.py": '"greatwidgets"'}
    for name, argument in callers.items():
        (folder / name).write_text(CALLER.format(account=argument))
    # In a process of its own: the stubs' plugin sets Django up with the project's settings.
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "pyproject.toml"]
        + [str(folder / name) for name in callers],
        cwd=ROOT,
        env={**os.environ, "DJANGO_DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = completed.stdout.splitlines()
    report = {name: "\n".join(line for line in lines if f"{name}:" in line) for name in callers}
    return {**report, "summary": lines[-1] if lines else completed.stderr}


def test_a_slug_passed_as_the_account_is_a_type_error(mypy_report: dict[str, str]) -> None:
    assert (
        'Argument "account" to "import_customers" has incompatible type "str"'
        in (mypy_report["slug.py"])
    )
    assert "[arg-type]" in mypy_report["slug.py"]


def test_the_engine_called_with_an_account_type_checks(mypy_report: dict[str, str]) -> None:
    assert mypy_report["right.py"] == ""
    # Both callers were checked, and only the slug failed.
    assert mypy_report["summary"] == "Found 1 error in 1 file (checked 2 source files)"
