"""Which commits may be applied or destroyed: only what was reviewed, and only while it is current.

- Only commits of the default branch's first-parent history (merge and squash commits, or commits pushed
  directly): a commit inside a merged pull request was never reviewed on its own (a malicious commit followed by
  its revert shows reviewers an empty diff), so it is refused.
- An apply is refused when a later first-parent commit changed the unit or anything it reads ("superseded by
  <sha>"): a re-run of an old run, or a queued one, must not put infrastructure back to an older commit. The
  operator re-runs the pipeline of the default branch's tip instead.
- A destroy runs only at the parent of the first-parent commit that deleted the unit (what the orchestrator plans
  for a deletion; for a push of several commits, its base, when the commits before the deleting one left the unit
  unchanged), never for a move or rename (the state holds the live resources), and is refused too when a later
  commit changed the unit again (re-added it).

"Changed the unit or anything it reads" is the orchestrator's own answer for each later commit against its first
parent: the same analysis that planned the jobs, so nothing a unit reads is missed. A later commit the
orchestrator cannot analyse refuses the job (fail closed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gwpipelines import git
from gwpipelines.errors import UserError
from gwpipelines.models import Action, Job, Orchestration

# (repo, base, head) -> the push orchestration of that first-parent step; injected by tests, else the orchestrator.
Analyse = Callable[[Path, str, str], Orchestration]


class HistoryRefusal(UserError):
    """A mutating job at a commit that must not be applied; the message says why and what to do."""


def _orchestrate(repo: Path, base: str, head: str) -> Orchestration:
    from gwpipelines import orchestrator  # loads the HCL analysis: only when a later commit must be examined

    return orchestrator.orchestrate(repo, base, head, "push")


@dataclass
class History:
    """The default branch's first-parent history, newest first, with each step's orchestration cached (a batch
    has many jobs at one commit)."""

    repo: Path
    branch: str
    tip: str
    analyse: Analyse = _orchestrate
    _chain: list[str] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)
    _steps: dict[str, Orchestration] = field(default_factory=dict)

    def __post_init__(self) -> None:
        out = git.run(self.repo, "rev-list", "--first-parent", self.tip).decode()
        self._chain = out.split()
        self._index = {sha: i for i, sha in enumerate(self._chain)}

    def check(self, job: Job) -> None:
        """Refuse `job` (an apply or destroy) unless its commit is current for its unit."""
        label = f"job {job.id}: ref"
        at = self._index.get(job.ref)
        if at is None:
            shallow = " (this checkout is shallow: check out with fetch-depth: 0)" if git.is_shallow(self.repo) else ""
            raise HistoryRefusal(
                f"{label}: {job.action} refused: commit {job.ref[:12]} is inside a merged pull request, not a "
                f"first-parent commit of '{self.branch}'{shallow}; only merge or squash commits are applied "
                "(re-run the pipeline of the merge commit)"
            )
        later = list(reversed(self._chain[:at]))  # oldest first
        if job.action is Action.DESTROY:
            # The first later commit touching the unit must delete it (not move it); commits before that left the
            # unit as it was at `ref` (a push of several commits: `ref` is the push's base).
            touching = next((sha for sha in later if self._touches(sha, job)), None)
            if touching is None:
                raise HistoryRefusal(f"{label}: destroy refused: no commit after {job.ref[:12]} deleted the unit")
            if not self._deletes(touching, job):
                raise HistoryRefusal(
                    f"{label}: destroy refused: commit {touching[:12]} did not delete unit '{job.unit}' (a move or "
                    "rename is never destroyed: its state holds the live resources; move the state instead); a "
                    "destroy runs only at the parent of the commit that deleted the unit"
                )
            later = later[later.index(touching) + 1 :]
        for sha in later:
            if self._touches(sha, job):
                raise HistoryRefusal(
                    f"{label}: {job.action} refused: superseded by {sha}, a later commit of '{self.branch}' that "
                    f"changed unit '{job.unit}' or what it reads; re-run the pipeline of '{self.branch}''s tip instead"
                )

    def _step(self, sha: str) -> Orchestration:
        """The orchestration of first-parent commit `sha` against its first parent."""
        if sha not in self._steps:
            at = self._index[sha]
            base = self._chain[at + 1] if at + 1 < len(self._chain) else git.ZERO_SHA
            try:
                self._steps[sha] = self.analyse(self.repo, base, sha)
            except UserError as e:
                raise HistoryRefusal(
                    f"cannot tell which units commit {sha[:12]} of '{self.branch}' changed, so no apply or destroy "
                    f"before it runs: {e}"
                ) from None
        return self._steps[sha]

    def _deletes(self, sha: str, job: Job) -> bool:
        return any(j.action is Action.DESTROY and j.unit == job.unit for j in self._step(sha).jobs)

    def _touches(self, sha: str, job: Job) -> bool:
        """Over-approximated: a job or change naming the unit, or any changed file inside its directory (the old
        side of a move names its files only)."""
        step = self._step(sha)
        unit = job.unit
        if unit is None:  # an account job: superseded by a later change of that account's entry
            return any(c.account == job.account and c.unit is None for c in step.changes)
        if any(j.unit == unit for j in step.jobs) or any(c.unit == unit for c in step.changes):
            return True
        if unit == ".":
            return False
        prefix = unit + "/"
        return any(f.startswith(prefix) for c in step.changes for f in c.files)
