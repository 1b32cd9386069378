"""The README's `make run` says what the Makefile's run target reads: the port (PORT=),
which integrators running two checkouts side by side could not find (integrator's low)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_it_block() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Run it, test it") :]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None
    return block.group(1)


def test_the_readme_says_make_run_serves_the_port_the_makefile_reads():
    makefile = (ROOT / "Makefile").read_text()
    run_lines = run_it_block().split("make test")[0]

    assert re.search(r"^PORT \?= 8000$", makefile, re.M)
    assert "PORT=$(PORT)" in makefile
    assert "PORT=8001 make run" in run_lines
    assert "make run PORT=8001" in run_lines
