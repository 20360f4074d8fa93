"""The comment's view: the data the templates render, one row per job, built from an orchestration and what is
known of its results so far (pure). The markdown lives in `templates/comment_parts.md.j2`."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from gwpipelines.models import Job, Orchestration
from gwpipelines.models.results import JobResult, Status

MARKER = "<!-- gwpipelines:comment -->"

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Row:
    change: str
    unit: str
    action: str
    status: str
    plan: str
    link: str


@dataclass(frozen=True)
class Node:
    id: str
    label: str


@dataclass(frozen=True)
class Detail:
    title: str
    status: str
    failure: str
    log: str
    omitted: int
    link: str


@dataclass(frozen=True)
class View:
    marker: str
    extra_markers: tuple[str, ...]
    verb: str
    head: str
    part: str
    summary: str
    rows: tuple[Row, ...]
    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str], ...]
    details: tuple[Detail, ...]
    warnings: tuple[str, ...]
    ignored: tuple[str, ...]


def build_view(
    o: Orchestration,
    results: Mapping[str, JobResult],
    links: Mapping[str, str],
    running: Collection[str] = (),
    extra_markers: tuple[str, ...] = (),
    marker: str = MARKER,
) -> View:
    """The data the comment templates render (also used by the merged-PR comment)."""
    rows, details = [], []
    for job in o.jobs:
        res = results.get(job.id)
        status = str(res.status) if res else ("running" if job.id in running else "pending")
        rows.append(
            Row(
                change=", ".join(str(t) for t in job.change_types),
                unit=_cell(job_name(job)),
                action=str(job.action),
                status=status,
                plan=_plan(res),
                link=links.get(job.id, ""),
            )
        )
        if res and (res.log or res.failure):
            log = _ANSI.sub("", res.log).replace("```", "` ` `").rstrip("\n")
            details.append(Detail(f"{job_name(job)}: {job.action}", status, res.failure, log, 0, links.get(job.id, "")))
    ids = {j.id: f"j{i}" for i, j in enumerate(o.jobs)}
    return View(
        marker=marker,
        extra_markers=extra_markers,
        verb="apply" if str(o.event) == "push" else "plan",
        head=o.head[:12],
        part="",
        summary=_summary(rows),
        rows=tuple(rows),
        nodes=tuple(Node(ids[j.id], _label(f"{j.action} {job_name(j)}")) for j in o.jobs),
        edges=tuple((ids[n], ids[j.id]) for j in o.jobs for n in j.needs if n in ids),
        details=tuple(details),
        warnings=o.warnings,
        ignored=o.ignored,
    )


def job_name(job: Job) -> str:
    """What a job is about, for people: its unit, else its account, else its id."""
    return job.unit or job.account or job.id


def _plan(res: JobResult | None) -> str:
    if res is None or res.status is not Status.SUCCEEDED:
        return ""
    s = res.summary
    return f"+{s.add} ~{s.change} -{s.destroy}" + (f" ({s.replace} replaced)" if s.replace else "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _label(text: str) -> str:
    return text.replace('"', "#quot;")


def _summary(rows: list[Row]) -> str:
    if not rows:
        return "Nothing to run."
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    order = ["failed", "succeeded", "skipped", "running", "pending"]
    parts = [f"{counts[s]} {s}" for s in order if s in counts]
    return f"{len(rows)} job{'s' if len(rows) != 1 else ''}: {', '.join(parts)}."
