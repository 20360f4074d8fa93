"""The sticky pull-request comment: one table row per job, the job DAG as mermaid, warnings and ignored files.

Bodies are budgeted against GitHub's 65,536-character comment limit: per-unit output is truncated first,
then the body is split into several comments, each carrying the hidden marker so updates stay sticky.
"""

from __future__ import annotations

from collections.abc import Mapping

from gwpipelines.models import Job, Orchestration
from gwpipelines.results import JobResult

MARKER = "<!-- gwpipelines:comment -->"
LIMIT = 65_536
# Room left for the marker, part header and truncation notes when splitting.
_BUDGET = LIMIT - 1_024
_MAX_LOG = 4_000


def render_comment(
    orchestration: Orchestration,
    results: Mapping[str, JobResult] | None = None,
    *,
    run_links: Mapping[str, str] | None = None,
    max_comments: int = 3,
) -> list[str]:
    """Comment bodies for an orchestration; jobs without a result show as pending."""
    results = results or {}
    links = run_links or {}
    head = [MARKER, f"## gwpipelines: `{orchestration.head[:12]}`", ""]
    sections = [_table(orchestration.jobs, results, links), _mermaid(orchestration.jobs)]
    sections += [_details(j, results[j.id]) for j in orchestration.jobs if j.id in results and results[j.id].log]
    if orchestration.warnings:
        sections.append("### Warnings\n\n" + "\n".join(f"- {w}" for w in orchestration.warnings))
    if orchestration.ignored:
        sections.append("### Ignored files\n\n" + "\n".join(f"- `{p}`" for p in orchestration.ignored))
    return _split("\n".join(head), [s for s in sections if s], max_comments)


def _table(jobs: tuple[Job, ...], results: Mapping[str, JobResult], links: Mapping[str, str]) -> str:
    if not jobs:
        return "No infrastructure changes."
    rows = ["| change | unit | action | status | plan | logs |", "|---|---|---|---|---|---|"]
    for job in jobs:
        res = results.get(job.id)
        status = str(res.status) if res else "pending"
        plan = f"+{res.summary.add} ~{res.summary.change} -{res.summary.destroy}" if res else ""
        link = f"[logs]({links[job.id]})" if job.id in links else ""
        types = ", ".join(str(t) for t in job.change_types)
        rows.append(f"| {types} | `{job.unit or job.account or '-'}` | {job.action} | {status} | {plan} | {link} |")
    return "\n".join(rows)


def _mermaid(jobs: tuple[Job, ...]) -> str:
    if not jobs:
        return ""
    ids = {j.id: f"j{i}" for i, j in enumerate(jobs)}
    lines = ["```mermaid", "graph TD"]
    lines += [f'  {ids[j.id]}["{j.action} {j.unit or j.account or j.id}"]' for j in jobs]
    lines += [f"  {ids[n]} --> {ids[j.id]}" for j in jobs for n in j.needs if n in ids]
    return "\n".join([*lines, "```"])


def _details(job: Job, res: JobResult) -> str:
    log = res.log if len(res.log) <= _MAX_LOG else res.log[-_MAX_LOG:]
    note = "\n_(output truncated; see the run logs)_" if log is not res.log else ""
    body = log.replace("```", "` ` `")
    return f"<details><summary>{job.unit or job.id}: {job.action}</summary>\n\n```\n{body}\n```{note}\n</details>"


def _split(head: str, sections: list[str], max_comments: int) -> list[str]:
    bodies: list[str] = []
    current = head
    for section in sections:
        piece = section if len(section) < _BUDGET // 2 else section[: _BUDGET // 2] + "\n\n_(truncated)_"
        if len(current) + len(piece) + 2 > _BUDGET:
            bodies.append(current)
            current = MARKER
        current += "\n\n" + piece
    bodies.append(current)
    if len(bodies) > max_comments:
        bodies = bodies[:max_comments]
        bodies[-1] += "\n\n_(further output omitted; see the workflow run)_"
    return [b + "\n" for b in bodies]
