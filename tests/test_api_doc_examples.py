"""docs/api.md's background-import answers (queued and failed in JSON, running and done in
XML) are the API's real output byte for byte: each is rendered here by the API's own
renderers from job_data, the one builder of every state's answer, and compared with the
block the page prints under its label."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.renderers import JSONRenderer, XMLRenderer
from api.serializers import job_data
from customers.batch.types import ImportResult
from jobs.messages import WORKER_LOST

API_MD = Path(__file__).resolve().parent.parent / "docs" / "api.md"
JOB_ID = "5e0f3c1a-8d7b-4f7e-9a53-2f4d2f8a9c10"


def documented(label: str, language: str) -> str:
    """The first ```language block after `label` in docs/api.md, with its last line break."""
    text = API_MD.read_text()
    start = text.index(label)
    block = re.compile(rf"```{language}\n(.*?)```", re.S).search(text, start)
    assert block is not None, label
    return block.group(1)


EXAMPLES = {
    "queued": (
        "--data-urlencode $'Profiles_Data=A1|jane\\nA2|jim'",
        "json",
        job_data(job_id=JOB_ID, status="queued", lines_done=0, lines_total=2),
    ),
    "running": (
        "While it runs:",
        "xml",
        job_data(job_id=JOB_ID, status="running", lines_done=35_000, lines_total=100_000),
    ),
    "done": (
        "Once done, the synchronous call's answer",
        "xml",
        job_data(
            job_id=JOB_ID,
            status="done",
            lines_done=2,
            lines_total=2,
            result=ImportResult(new=2, undo_state_id=7),
        ),
    ),
    "failed": (
        "Failed (JSON):",
        "json",
        job_data(
            job_id=JOB_ID,
            status="failed",
            lines_done=0,
            lines_total=100_000,
            error=WORKER_LOST.format(attempts=3),
        ),
    ),
}


@pytest.mark.parametrize("state", EXAMPLES)
def test_the_documented_background_answer_is_the_real_output(state):
    label, language, data = EXAMPLES[state]
    renderer = XMLRenderer() if language == "xml" else JSONRenderer()
    rendered = renderer.render(data, renderer_context={"request": None}).decode()

    assert documented(label, language) == rendered.rstrip("\n") + "\n"
