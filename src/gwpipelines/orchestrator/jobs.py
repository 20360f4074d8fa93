"""Jobs: one per (unit, action), ordered so that no unit runs before one it depends on (destroys in reverse, on
the base commit's graph). Pure: the changes and the two sides in, jobs out."""

from __future__ import annotations

import posixpath
from collections.abc import Container, Iterable, Mapping, Sequence

from gwpipelines.errors import UserError
from gwpipelines.models import Action, Change, ChangeType, Event, Job
from gwpipelines.orchestrator.classify import TYPE_ORDER, Side, about_deleted
from gwpipelines.orchestrator.terragrunt import Unit

_HEAD_SIDE = frozenset(ChangeType) - {
    ChangeType.MODULE_DELETED,
    ChangeType.ACCOUNT_ADDED,
    ChangeType.ACCOUNT_CHANGED,
    ChangeType.ACCOUNT_DELETED,
}


def plan_jobs(changes: list[Change], event: Event, base_sha: str, head_sha: str, base: Side, head: Side) -> list[Job]:
    """One job per (unit, action), with `needs` and `wave` so no unit runs before one it depends on."""
    forward: dict[str, list[ChangeType]] = {}
    deleted: dict[str, list[ChangeType]] = {}
    new_accounts: list[str] = []
    for c in changes:
        if c.type is ChangeType.ACCOUNT_ADDED and c.account:
            new_accounts.append(c.account)
        elif c.type is ChangeType.MODULE_DELETED and c.unit:
            deleted.setdefault(c.unit, []).append(c.type)
        elif c.type in _HEAD_SIDE and c.unit:
            forward.setdefault(c.unit, []).append(c.type)
    pr = event is Event.PULL_REQUEST
    fwd_action = Action.PLAN if pr else Action.APPLY
    del_action = Action.PLAN_DESTROY if pr else Action.DESTROY
    ids = {u: f"{fwd_action}:{u}" for u in forward}
    del_ids = {u: f"{del_action}:{u}" for u in deleted}
    needs: dict[str, set[str]] = {}
    head_graph = {u.path: u.dependencies for u in head.analysis.units.values()}
    for u in forward:
        needs[ids[u]] = {ids[d] for d in _nearest(u, head_graph, ids)}
    base_dependents = _reverse(base.analysis.units.values()) if deleted else {}
    for u in deleted:
        stop = del_ids.keys() | ids.keys()
        needs[del_ids[u]] = {del_ids.get(d) or ids[d] for d in _nearest(u, base_dependents, stop)}
    waves = _waves(needs)
    jobs = [
        Job(
            ids[u],
            u,
            fwd_action,
            head_sha,
            head.account_of(u),
            _ordered(types),
            waves[ids[u]],
            tuple(sorted(needs[ids[u]])),
        )
        for u, types in forward.items()
    ]
    jobs += [
        Job(
            del_ids[u],
            u,
            del_action,
            base_sha,
            base.account_of(u),
            _ordered(types),
            waves[del_ids[u]],
            tuple(sorted(needs[del_ids[u]])),
        )
        for u, types in deleted.items()
    ]
    acct_action = Action.ACCOUNT_PLAN if pr else Action.ACCOUNT_CREATE
    jobs += [
        Job(f"{acct_action}:{a}", None, acct_action, head_sha, a, (ChangeType.ACCOUNT_ADDED,)) for a in new_accounts
    ]
    jobs.sort(key=lambda j: (j.wave, j.action in (Action.DESTROY, Action.PLAN_DESTROY), j.id))
    return jobs


def _ordered(types: list[ChangeType]) -> tuple[ChangeType, ...]:
    return tuple(sorted(set(types), key=TYPE_ORDER.__getitem__))


def _reverse(units: Iterable[Unit]) -> dict[str, list[str]]:
    """unit -> the units that depend on it (in no particular order: _nearest returns a set)."""
    rev: dict[str, list[str]] = {}
    for u in units:
        for d in u.dependencies:
            if d in rev:
                rev[d].append(u.path)
            else:
                rev[d] = [u.path]
    return rev


def _nearest(start: str, graph: Mapping[str, Sequence[str]], targets: Container[str]) -> set[str]:
    """The job units (`targets`) reachable from `start` through units that have no job (walked through)."""
    found: set[str] = set()
    seen = {start}
    stack = list(graph.get(start, ()))
    while stack:
        u = stack.pop()
        if u in seen:
            continue
        seen.add(u)
        if u in targets:
            found.add(u)
        else:
            stack.extend(graph.get(u, ()))
    return found


def _waves(needs: dict[str, set[str]]) -> dict[str, int]:
    wave: dict[str, int] = {}
    visiting: list[str] = []

    def depth(job: str) -> int:
        if job in wave:
            return wave[job]
        if job in visiting:
            cycle = [*visiting[visiting.index(job) :], job]
            raise UserError(
                "dependency cycle between units: "
                + " -> ".join(j.split(":", 1)[1] for j in cycle)
                + "; Terragrunt cannot order them either: remove one of the dependency blocks"
            )
        visiting.append(job)
        wave[job] = 1 + max((depth(n) for n in needs[job]), default=-1)
        visiting.pop()
        return wave[job]

    for job in sorted(needs):
        depth(job)
    return wave


def job_warnings(jobs: list[Job], base: Side, head: Side, deleted: Iterable[str] = ()) -> set[str]:
    """The evaluation warnings of the units that get a job (others' are not this change's business). A unit that
    can no longer find a `deleted` shared file says so in the one warning about that file (see classify), not in
    one warning of its own per unit."""
    gone = [posixpath.basename(d) for d in deleted]
    out: set[str] = set()
    for j in jobs:
        if j.unit is None:
            continue
        side = base if j.action in (Action.DESTROY, Action.PLAN_DESTROY) else head
        unit = side.analysis.units.get(j.unit)
        if unit:
            out.update(w for w in unit.warnings if not about_deleted(w, gone))
    return out


def accountless(jobs: list[Job], base: Side, head: Side) -> set[str]:
    """One warning naming the units that get a job but belong to no account of accounts.yml (their first folder is
    no account's name), when the live repo has one: with `authentication` in pipelines.yml their jobs are refused."""
    side_of = {Action.DESTROY: base, Action.PLAN_DESTROY: base}
    units = sorted({j.unit for j in jobs if j.unit and j.account is None and (side_of.get(j.action) or head).accounts})
    if not units:
        return set()
    shown = ", ".join(units[:10]) + (", ..." if len(units) > 10 else "")
    return {
        f"{len(units)} unit{'s' if len(units) != 1 else ''} with no account in accounts.yml ({shown}): each unit "
        "belongs to the account named by its first folder; when pipelines.yml configures authentication, their "
        "jobs are refused"
    }
