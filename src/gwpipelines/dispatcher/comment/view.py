"""The comment's view: the data the templates render, built from an orchestration and what is known of its results
so far (pure). Danger comes first: the header counts outcomes, destroys and replacements are listed with their
resource addresses, warnings follow; then one row per job, the graph, each unit's output and a "what next" line.

Values stay raw here; the templates escape each one for where it goes (`gwpipelines.markdown`), because a unit
name, a file name or a tool's output can come from a pull request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from gwpipelines.models import Action, Job, Orchestration
from gwpipelines.models.results import JobResult, PlanSummary, Status

MARKER = "<!-- gwpipelines:comment -->"
# The graph helps between a few jobs and a screenful; outside that range it is noise or unreadable.
GRAPH_MIN_JOBS, GRAPH_MAX_JOBS = 3, 60
SYMBOLS = {
    "succeeded": "✅",
    "failed": "❌",
    "skipped": "⏭️",
    "running": "⏳",
    "pending": "⏸️",
    "unknown": "❔",
}
_ORDER = ("failed", "unknown", "succeeded", "skipped", "running", "pending")
_DESTROYING = frozenset({Action.DESTROY, Action.PLAN_DESTROY})
_OUTPUT_VALUE_CHARS = 200
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class Row:
    symbol: str
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
    status: str


@dataclass(frozen=True)
class Danger:
    """A job that destroys or replaces something, with the addresses it names."""

    unit: str
    action: str
    what: str
    resources: tuple[str, ...]


@dataclass(frozen=True)
class Output:
    instance: str
    name: str
    value: str


@dataclass(frozen=True)
class Detail:
    title: str
    status: str
    symbol: str
    failure: str
    log: str
    omitted: int
    link: str
    outputs: tuple[Output, ...] = ()


@dataclass(frozen=True)
class View:
    marker: str
    extra_markers: tuple[str, ...]
    verb: str
    head: str
    part: str
    summary: str
    totals: str
    dangers: tuple[Danger, ...]
    rows: tuple[Row, ...]
    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str], ...]
    details: tuple[Detail, ...]
    warnings: tuple[str, ...]
    ignored: tuple[str, ...]
    next_step: str
    logs_repo: str | None  # None: no log links to explain
    untrusted: bool


def build_view(
    o: Orchestration,
    results: Mapping[str, JobResult],
    links: Mapping[str, str],
    running: Collection[str] = (),
    extra_markers: tuple[str, ...] = (),
    marker: str = MARKER,
    *,
    notices: tuple[str, ...] = (),
    pipelines_repo: str = "",
) -> View:
    """The data the comment templates render (also used by the merged-PR comment)."""
    statuses = {j.id: _status(j, results, running) for j in o.jobs}
    rows = tuple(_row(j, results.get(j.id), statuses[j.id], links.get(j.id, "")) for j in o.jobs)
    details = tuple(d for j in o.jobs if (d := _detail(j, results.get(j.id), statuses[j.id], links)) is not None)
    ids = {j.id: f"j{i}" for i, j in enumerate(o.jobs)}
    graphed = GRAPH_MIN_JOBS <= len(o.jobs) <= GRAPH_MAX_JOBS
    push = str(o.event) == "push"
    return View(
        marker=marker,
        extra_markers=extra_markers,
        verb="apply" if push else "plan",
        head=o.head[:12],
        part="",
        summary=_summary(list(statuses.values())),
        totals=_totals(results),
        dangers=tuple(x for j in o.jobs if (x := _danger(j, results.get(j.id))) is not None),
        rows=rows,
        nodes=tuple(Node(ids[j.id], f"{j.action} {job_name(j)}", statuses[j.id]) for j in o.jobs) if graphed else (),
        edges=tuple((ids[n], ids[j.id]) for j in o.jobs for n in j.needs if n in ids) if graphed else (),
        details=details,
        warnings=(*o.warnings, *dict.fromkeys(notices)),
        ignored=o.ignored,
        next_step=_next_step(push, list(statuses.values()), bool(o.jobs)),
        logs_repo=pipelines_repo if any(links.get(j.id) for j in o.jobs) else None,
        untrusted=not push and any(d.log for d in details),
    )


def job_name(job: Job) -> str:
    """What a job is about, for people: its unit, else its account, else its id."""
    return job.unit or job.account or job.id


def _status(job: Job, results: Mapping[str, JobResult], running: Collection[str]) -> str:
    res = results.get(job.id)
    if res is not None:
        return str(res.status)
    return "running" if job.id in running else "pending"


def _row(job: Job, res: JobResult | None, status: str, link: str) -> Row:
    return Row(
        symbol=SYMBOLS.get(status, "❔"),
        change=", ".join(str(t) for t in job.change_types),
        unit=job_name(job),
        action=str(job.action),
        status=status,
        plan=_plan(res),
        link=link,
    )


def _plan(res: JobResult | None) -> str:
    if res is None or res.status is not Status.SUCCEEDED:
        return ""
    s = res.summary
    text = f"+{s.add} ~{s.change} -{s.destroy}" + (f" ({s.replace} replaced)" if s.replace else "")
    return text + (" ⚠️" if s.destroy or s.replace else "")


def _danger(job: Job, res: JobResult | None) -> Danger | None:
    s = res.summary if res is not None and res.status is Status.SUCCEEDED else PlanSummary()
    if not (s.destroy or s.replace or job.action in _DESTROYING):
        return None
    parts = [f"destroys {s.destroy}" if s.destroy else "", f"replaces {s.replace}" if s.replace else ""]
    what = ", ".join(p for p in parts if p) or ("destroys the unit" if res is None else "destroys nothing")
    risky = tuple(r for r in (res.resources if res else ()) if r.split(" ", 1)[0] in ("-", "-/+", "+/-"))
    return Danger(job_name(job), str(job.action), what, risky)


def _detail(job: Job, res: JobResult | None, status: str, links: Mapping[str, str]) -> Detail | None:
    if res is None or not (res.log or res.failure or res.outputs_by_instance):
        return None
    log = _ANSI.sub("", res.log).rstrip("\n")
    outputs = tuple(
        Output(instance, name, _value(value))
        for instance, values in res.outputs_by_instance.items()
        for name, value in values.items()
    )
    symbol = SYMBOLS.get(status, "❔")
    return Detail(f"{job_name(job)}: {job.action}", status, symbol, res.failure, log, 0, links.get(job.id, ""), outputs)


def _value(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= _OUTPUT_VALUE_CHARS else text[: _OUTPUT_VALUE_CHARS - 3] + "..."


def _summary(statuses: list[str]) -> str:
    if not statuses:
        return "Nothing to run."
    counts = {s: statuses.count(s) for s in _ORDER if s in statuses}
    parts = [f"{SYMBOLS[s]} {n} {s}" for s, n in counts.items()]
    return f"**{len(statuses)} job{'s' if len(statuses) != 1 else ''}:** {' · '.join(parts)}"


def _totals(results: Mapping[str, JobResult]) -> str:
    done = [r.summary for r in results.values() if r.status is Status.SUCCEEDED]
    if not done:
        return ""
    total = PlanSummary(*(sum(getattr(s, k) for s in done) for k in ("add", "change", "destroy", "replace")))
    return (
        f"to add {total.add} · to change {total.change} · "
        f"{'**' if total.destroy else ''}to destroy {total.destroy}{'**' if total.destroy else ''} · "
        f"{'**' if total.replace else ''}to replace {total.replace}{'**' if total.replace else ''}"
    )


def _next_step(push: bool, statuses: list[str], has_jobs: bool) -> str:
    failed = "failed" in statuses or "unknown" in statuses
    waiting = "running" in statuses or "pending" in statuses
    if not has_jobs:
        return "Nothing to do: no infrastructure changes."
    if waiting:
        return "Runs are in progress: this comment is updated as they finish."
    if push:
        if failed:
            return "Fix the failures, then re-run the failed workflow run or push a fix to the default branch."
        return "Done: the merge commit is applied."
    if failed:
        return "Fix the failures and push to this branch: the plans run again."
    return "Merge this pull request to apply these plans; push to this branch to plan again."
