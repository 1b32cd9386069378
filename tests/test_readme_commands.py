"""The README's management commands work exactly as printed: each line of its "Management
commands" block runs in a shell from a project folder, one after another, and succeeds;
an import with failed lines ends with exit status 2, as the README says."""

import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

# The commands run on a SQLite file of their own whichever database the suite uses.
pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Management commands"
# What a developer's shell does not have: the test suite's own settings and database.
NOT_IN_A_DEVELOPERS_SHELL = (
    "LOYALTY_TESTING",
    "DJANGO_DEBUG",
    "DJANGO_SECRET_KEY",
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
)


def readme_commands() -> list[str]:
    """The lines of the first sh block under the README's "Management commands"."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index(SECTION) :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return [line for line in block.group(1).splitlines() if line.strip()]


def _project_folder(folder: Path) -> Path:
    for name in ("manage.py", ".venv"):
        (folder / name).symlink_to(ROOT / name)
    return folder


@pytest.fixture
def project_folder(tmp_path):
    """A folder that holds the project's manage.py and .venv, as a checkout after `make
    install` does, so files the commands write stay out of the real one."""
    return _project_folder(tmp_path)


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory) -> tuple[Path, Path]:
    """A fresh project folder in which the README's migrate and load_demo ran as printed
    (once for the module: they cost most of its time), and a copy of the database they
    left, for a test that needs the demo data in a folder of its own."""
    folder = _project_folder(tmp_path_factory.mktemp("readme"))
    commands = {command.split()[3]: command for command in readme_commands()}
    for name in ("migrate", "load_demo"):
        ran = shell(commands[name], folder)
        assert ran.returncode == 0, (commands[name], ran.stdout, ran.stderr)
    copy = tmp_path_factory.mktemp("demo") / "db.sqlite3"
    copy_database(folder / "db.sqlite3", copy)
    return folder, copy


def copy_database(source: Path, target: Path) -> None:
    """SQLite's backup: the whole database, whatever its write-ahead log still holds."""
    reading, writing = sqlite3.connect(source), sqlite3.connect(target)
    try:
        reading.backup(writing)
    finally:
        reading.close()
        writing.close()


def shell(command: str, folder: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in NOT_IN_A_DEVELOPERS_SHELL}
    # Only the database is another: the README's commands would use the folder's db.sqlite3.
    env["DATABASE_URL"] = f"sqlite:///{folder / 'db.sqlite3'}"
    return subprocess.run(
        ["bash", "-c", command],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_readmes_management_commands_work_as_printed(demo_folder):
    commands = readme_commands()
    assert [command.split()[3] for command in commands] == [
        "migrate",
        "load_demo",
        "export_customers",
        "import_customers",
        "prune_undo_states",
        "prune_request_ids",
        "purge_import_previews",
        "harden_customer_secrets",
    ]

    # The first two (migrate, load_demo) ran there as printed; the rest follow them.
    project_folder, _ = demo_folder
    for command in commands[2:]:
        ran = shell(command, project_folder)

        assert ran.returncode == 0, (command, ran.stdout, ran.stderr)
        if command.split()[3] == "import_customers":
            assert ", 0 failed." in ran.stdout.splitlines()[0]
    assert (project_folder / "customers.csv").read_text().startswith("code,card_number,")


def test_an_import_with_failed_lines_ends_with_exit_status_2_on_the_command_line(
    demo_folder, project_folder
):
    commands = {command.split()[3]: command for command in readme_commands()}
    _, demo_database = demo_folder  # as the README's migrate and load_demo left it
    copy_database(demo_database, project_folder / "db.sqlite3")
    (project_folder / "customers.csv").write_text(
        "code,email\nC1,ann@example.com\nC2,not-an-email\n"
    )

    ran = shell(commands["import_customers"], project_folder)

    assert ran.returncode == 2, (ran.stdout, ran.stderr)
    assert "line 3, field email" in ran.stdout
    assert "CommandError: 1 line(s) failed" in ran.stderr
