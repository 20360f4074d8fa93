"""Drift: a plan of every unit (or every selected unit) at one commit of the default branch, as ordinary jobs.

Pure apart from reading that commit's tree through git. No diff is involved: each selected unit gets one `plan`
job at `sha`, with no `needs` (every unit is already applied, so a plan reads its dependencies' real outputs). The
jobs are sharded into waves of `units_per_run`: the dispatcher gives each wave its own workflow run, and since no
wave waits for another, up to its `max_parallel_runs` of them run at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gwpipelines import git, unit_globs
from gwpipelines.errors import UserError
from gwpipelines.models import Action, Event, Job, Orchestration
from gwpipelines.orchestrator import hcl, tree
from gwpipelines.orchestrator.shell import repository_root
from gwpipelines.orchestrator.sides import load_side

UNITS_PER_RUN = 50


@dataclass(frozen=True)
class Selection:
    """The units at one commit, and those a drift run plans."""

    sha: str
    every: tuple[str, ...]
    chosen: tuple[str, ...]
    accounts: dict[str, str | None]
    paths: tuple[str, ...]
    ignore: tuple[str, ...]
    warnings: tuple[str, ...] = ()  # the analysis's (reads it could not follow, over-approximated)

    def gone(self, unit: str) -> bool:
        """A unit this run would have planned, had it still existed: its drift issue is obsolete."""
        return unit not in self.every and bool(unit_globs.select([unit], self.paths, self.ignore))


def select(
    repo: Path, ref: str, *, paths: tuple[str, ...] = ("**",), ignore: tuple[str, ...] = (), max_units: int = 500
) -> Selection:
    """The units at `ref` that `paths` cover and `ignore` does not; more than `max_units` is refused."""
    root = repository_root(repo)
    git.check_ref(ref)
    # The remote's branch when there is one (a developer's local branch may be behind); a CI checkout has both.
    remote = git.try_rev_parse(root, "--verify", "--quiet", f"refs/remotes/origin/{ref}^{{commit}}")
    sha = remote[0] if remote else git.resolve(root, ref)
    # Every file parsed in full: a file that cannot be parsed is an error, never a unit silently left out.
    side = load_side(tree.at_commit(root, sha), hcl.scan_strict)
    every = tuple(sorted(side.analysis.units))
    chosen = tuple(unit_globs.select(every, paths, ignore))
    if len(chosen) > max_units:
        raise UserError(
            f"drift: {len(chosen)} units selected, more than drift.max_units ({max_units}); narrow drift.paths "
            "(or --path), add globs to drift.ignore, or raise drift.max_units in pipelines.yml"
        )
    accounts = {u: side.account_of(u) for u in chosen}
    return Selection(sha, every, chosen, accounts, paths, ignore, tuple(side.analysis.warnings))


def drift_jobs(selection: Selection, *, units_per_run: int = UNITS_PER_RUN) -> Orchestration:
    """The plan jobs of a drift run, as an orchestration of a push with no changes (so `dispatch` and the executor
    take it as they take any push's plans: the plan role, no pull request)."""
    s = selection
    notes = list(s.warnings)
    if len(s.chosen) < len(s.every):
        notes.append(f"drift: {len(s.every) - len(s.chosen)} unit(s) not selected by drift.paths / ignore")
    if not s.chosen:
        notes.append("drift: no unit selected; nothing is planned")
    jobs = tuple(
        Job(f"{Action.PLAN}:{u}", u, Action.PLAN, s.sha, s.accounts[u], (), i // max(1, units_per_run), ())
        for i, u in enumerate(s.chosen)
    )
    return Orchestration(s.sha, s.sha, Event.PUSH, (), (), tuple(notes), jobs)
