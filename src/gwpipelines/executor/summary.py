"""What the executor shows on the runner: the job summary (results, notices, problems, each unit's outputs per
extension instance) and the run log's one folded group per job with its whole log."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gwpipelines import markdown
from gwpipelines.github import actions
from gwpipelines.github.actions import Runner
from gwpipelines.models.results import JobResult, Status


def safe_name(job_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", job_id)[:200]


def write_step_summary(runner: Runner, results: list[JobResult], notices: Sequence[str] = ()) -> None:
    """Inside Actions, the results as the job's summary."""
    runner.append_summary(step_summary(results, notices))


def step_summary(results: list[JobResult], notices: Sequence[str] = ()) -> str:
    icon = {Status.SUCCEEDED: "✅", Status.FAILED: "❌", Status.SKIPPED: "⏭️"}
    rows = [
        "## gwpipelines",
        "",
        "| job | status | add | change | destroy | replace | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        s = r.summary
        rows.append(
            f"| {markdown.table_code(r.id)} | {icon[r.status]} {r.status} | {s.add} | {s.change} | {s.destroy} | "
            f"{s.replace} | {r.seconds:.1f} |"
        )
    if notices:
        rows += ["", "### Notices", *(f"> [!WARNING]\n> {n}" for n in notices)]
    # Failure text comes from tool output (pull-request code in a plan): inert text, never markdown.
    problems = [f"- {markdown.code(r.id)}: {markdown.text(r.failure)}" for r in results if r.failure]
    if problems:
        rows += ["", "### Problems", *problems]
    outputs = [
        f"| {markdown.table_code(r.unit or r.id)} | {markdown.table_code(inst)} | {markdown.table_code(k)} | "
        f"{markdown.table_code(_short(v))} |"
        for r in results
        for inst, values in r.outputs_by_instance.items()
        for k, v in values.items()
    ]
    if outputs:
        rows += ["", "### Outputs", "", "| unit | instance | output | value |", "|---|---|---|---|", *outputs]
    return "\n".join(rows) + "\n\n"


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


def log_groups(results_dir: Path, results: list[JobResult]) -> None:
    """The run log: one folded group per job with its whole (masked) log, on stderr (stdout is the JSON)."""
    for r in results:
        path = results_dir / "logs" / f"{safe_name(r.id)}.log"
        try:
            with path.open(encoding="utf-8", errors="replace") as f:
                actions.untrusted_group(f"{r.id}: {r.status}", f, stream=sys.stderr)
        except OSError:
            actions.untrusted_group(f"{r.id}: {r.status}", r.log.splitlines(), stream=sys.stderr)
