"""The executor's job summary shows a failure's text, which tool output (pull-request code in a plan) wrote, as inert
text: no link, image, mention or HTML reaches the summary."""

from __future__ import annotations

import re

from gwpipelines import markdown
from gwpipelines.executor.summary import step_summary
from gwpipelines.models.results import JobResult, Status

HOSTILE = "boom <img src=x onerror=alert(1)> [click](https://evil.example) @acme/admins"


def test_a_failure_is_shown_as_text() -> None:
    result = JobResult(id="plan:a", unit="a", action="plan", status=Status.FAILED, failure=HOSTILE)
    summary = step_summary([result])
    assert f"- `plan:a`: {markdown.text(HOSTILE)}" in summary
    for raw in (r"(?<!\\)<img", r"(?<!\\)\]\(https://", "@acme"):
        assert not re.search(raw, summary), raw
