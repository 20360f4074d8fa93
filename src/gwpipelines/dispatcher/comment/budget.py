"""Keeping a comment under GitHub's 65,536-character limit, in this order:

1. the whole output of every unit, if it fits;
2. compacted output (Terraform's refresh/read chatter removed; ANSI colours are always removed);
3. each unit's output truncated to an equal share (its tail: the plan summary is at the end), with a link to the
   run's logs;
4. only then split over at most `max_comments` bodies, each carrying the hidden marker so updates stay sticky.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace

from gwpipelines.dispatcher.comment.split import BUDGET, render_body, split
from gwpipelines.dispatcher.comment.view import MARKER, Detail, build_view
from gwpipelines.models import Orchestration
from gwpipelines.models.results import JobResult

_MIN_LOG = 200
# Lines Terraform/OpenTofu print for every resource it reads; they carry no information about the change.
_CHATTER = re.compile(r": (Refreshing state\.\.\.|Reading\.\.\.|Read complete after|Still reading\.\.\.)")


def render_comment(
    orchestration: Orchestration,
    results: Mapping[str, JobResult] | None = None,
    *,
    run_links: Mapping[str, str] | None = None,
    max_comments: int = 3,
    running: Collection[str] = (),
    extra_markers: Sequence[str] = (),
    marker: str = MARKER,
    notices: Sequence[str] = (),
    pipelines_repo: str = "",
) -> list[str]:
    """Comment bodies for an orchestration; jobs without a result show as running (if in `running`) or pending.
    `notices` are the executors' own warnings (results.json's `notices`), shown with the orchestrator's."""
    view = build_view(
        orchestration,
        results or {},
        run_links or {},
        running,
        tuple(extra_markers),
        marker,
        notices=tuple(notices),
        pipelines_repo=pipelines_repo,
    )
    body = render_body(view)
    if len(body) <= BUDGET:
        return [body]
    view = replace(view, details=tuple(_compact(d) for d in view.details))
    body = render_body(view)
    if len(body) <= BUDGET:
        return [body]
    logged = [d for d in view.details if d.log]
    share = (BUDGET - len(render_body(replace(view, details=tuple(_truncate(d, 0) for d in view.details))))) // max(
        1, len(logged)
    )
    # Each log also costs its fence and its note: keep a margin per unit.
    share = max(_MIN_LOG, share - 200)
    view = replace(view, details=tuple(_truncate(d, share) for d in view.details))
    body = render_body(view)
    if len(body) <= BUDGET:
        return [body]
    return split(view, max_comments)


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
