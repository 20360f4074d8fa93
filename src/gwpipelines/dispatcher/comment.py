"""The sticky pull-request comment: one table row per job, the job DAG as mermaid, per-unit output, warnings and
ignored files. The markdown lives in `templates/comment_parts.md.j2`; this module builds the data and keeps every body
under GitHub's 65,536-character comment limit, in this order:

1. the whole output of every unit, if it fits;
2. compacted output (Terraform's refresh/read chatter removed; ANSI colours are always removed);
3. each unit's output truncated to an equal share (its tail: the plan summary is at the end), with a link to the
   run's logs;
4. only then split over at most `max_comments` bodies, each carrying the hidden marker so updates stay sticky.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace

from gwpipelines.models import Job, Orchestration
from gwpipelines.models.results import JobResult, Status
from gwpipelines.templating import macro

MARKER = "<!-- gwpipelines:comment -->"
LIMIT = 65_536
# Room left for part headers and notes added after a body was measured.
_BUDGET = LIMIT - 1_024
_MIN_LOG = 200
_ROWS_PER_TABLE = 250

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Lines Terraform/OpenTofu print for every resource it reads; they carry no information about the change.
_CHATTER = re.compile(r": (Refreshing state\.\.\.|Reading\.\.\.|Read complete after|Still reading\.\.\.)")


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


def render_comment(
    orchestration: Orchestration,
    results: Mapping[str, JobResult] | None = None,
    *,
    run_links: Mapping[str, str] | None = None,
    max_comments: int = 3,
    running: Collection[str] = (),
    extra_markers: Sequence[str] = (),
    marker: str = MARKER,
) -> list[str]:
    """Comment bodies for an orchestration; jobs without a result show as running (if in `running`) or pending."""
    view = build_view(orchestration, results or {}, run_links or {}, running, tuple(extra_markers), marker)
    body = _render(view)
    if len(body) <= _BUDGET:
        return [body]
    view = replace(view, details=tuple(_compact(d) for d in view.details))
    body = _render(view)
    if len(body) <= _BUDGET:
        return [body]
    logged = [d for d in view.details if d.log]
    share = (_BUDGET - len(_render(replace(view, details=tuple(_truncate(d, 0) for d in view.details))))) // max(
        1, len(logged)
    )
    # Each log also costs its fence and its note: keep a margin per unit.
    share = max(_MIN_LOG, share - 200)
    view = replace(view, details=tuple(_truncate(d, share) for d in view.details))
    body = _render(view)
    if len(body) <= _BUDGET:
        return [body]
    return _split(view, max_comments)


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


def _compact(d: Detail) -> Detail:
    kept = "\n".join(line for line in d.log.splitlines() if not _CHATTER.search(line))
    return replace(d, log=kept, omitted=d.omitted + max(0, len(d.log) - len(kept)))


def _truncate(d: Detail, keep: int) -> Detail:
    if len(d.log) <= keep:
        return d
    tail = d.log[len(d.log) - keep :] if keep else ""
    if "\n" in tail:  # start at a whole line
        tail = tail[tail.index("\n") + 1 :]
    return replace(d, log=tail, omitted=d.omitted + len(d.log) - len(tail))


def _render(view: View) -> str:
    """One body: the header, then every section."""
    header = str(macro("comment_parts.md.j2", "header")(view))
    return header + "\n" + "\n\n".join(_sections(view, max(1, len(view.rows)))) + "\n"


def _sections(view: View, rows_per_table: int) -> list[str]:
    """The comment's sections in order (summary, table chunks, mermaid, each unit's output, notes), blank ones
    dropped; one body joins them all, a split packs them."""
    parts = "comment_parts.md.j2"
    table = macro(parts, "table")
    sections = [macro(parts, "summary")(view)]
    sections += [table(view.rows[i : i + rows_per_table]) for i in range(0, max(1, len(view.rows)), rows_per_table)]
    sections.append(macro(parts, "mermaid")(view.nodes, view.edges))
    sections += [macro(parts, "details")(d) for d in view.details]
    sections.append(macro(parts, "notes")(view.warnings, view.ignored))
    return [t for t in (str(s).strip("\n") for s in sections) if t]


def _split(view: View, max_comments: int) -> list[str]:
    """Greedy packing of whole sections (header, table chunks, mermaid, each unit's output, notes)."""
    part = macro("comment_parts.md.j2", "header")
    bodies: list[list[str]] = [[]]
    size = 0
    for section in _sections(view, _ROWS_PER_TABLE):
        if len(section) > _BUDGET // 2:  # only the mermaid graph of thousands of jobs gets here
            section = f"_(the job graph of {len(view.nodes)} jobs is too large to show)_"
        if bodies[-1] and size + len(section) + 2 > _BUDGET:
            bodies.append([])
            size = 0
        bodies[-1].append(section)
        size += len(section) + 2
    omitted = len(bodies) > max_comments
    bodies = bodies[:max_comments]
    texts = []
    for i, sections_of_body in enumerate(bodies):
        head = str(part(replace(view, part=f"{i + 1}/{len(bodies)}" if len(bodies) > 1 else "")))
        texts.append(head + "\n\n".join(sections_of_body) + "\n")
    if omitted:
        texts[-1] += "\n_(further output omitted; see the workflow runs)_\n"
    return texts
