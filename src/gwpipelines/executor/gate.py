"""Jobs arrive from outside (a workflow_dispatch input anyone with dispatch rights can write): each is validated as
hostile before anything runs. The schema is strict (unknown keys refused), the commit is a full sha, the unit path
is normalised, relative and inside the checkout with no symlink on the way, the action fits the job, and an apply or
destroy runs only from a commit reachable from the live repo's default branch. Any refusal is one line naming the
job and the field; then nothing runs at all."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gwpipelines import git
from gwpipelines.config import PipelineConfig
from gwpipelines.errors import GitError
from gwpipelines.errors import JobRefused as JobRefused
from gwpipelines.executor import history
from gwpipelines.models import MUTATING_ACTIONS, Action, ChangeType, Job
from gwpipelines.models.units import STACK_FILE, unit_config, unit_path_problem

UNIT_ACTIONS = frozenset({Action.PLAN, Action.PLAN_DESTROY, Action.APPLY, Action.DESTROY})
# Actions that change infrastructure: only from the default branch.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+=-]{0,511}$")
_ACCOUNT = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_SYMLINK = "120000"
_TREE = "040000"


class JobInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    id: str = Field(pattern=_ID.pattern)
    unit: str | None
    action: Action
    ref: str = Field(pattern=r"^[0-9a-f]{40}$")
    account: str | None = Field(default=None, pattern=_ACCOUNT.pattern)
    change_types: tuple[ChangeType, ...] = ()
    wave: int = Field(default=0, ge=0, le=100_000)
    needs: tuple[str, ...] = ()

    @field_validator("action", mode="before")
    @classmethod
    def _action(cls, v: Any) -> Any:
        return Action(v) if isinstance(v, str) and v in set(Action) else v

    @field_validator("change_types", mode="before")
    @classmethod
    def _types(cls, v: Any) -> Any:
        if isinstance(v, list):
            return tuple(ChangeType(t) if isinstance(t, str) and t in set(ChangeType) else t for t in v)
        return v

    @field_validator("needs", mode="before")
    @classmethod
    def _needs(cls, v: Any) -> Any:
        return tuple(v) if isinstance(v, list) else v

    @field_validator("unit")
    @classmethod
    def _unit(cls, v: str | None) -> str | None:
        if v is None:
            return v
        problem = unit_path_problem(v)  # the orchestrator's rule: any unit it plans, the gate accepts
        if problem:
            raise ValueError(problem)
        return v

    @model_validator(mode="after")
    def _fits(self) -> JobInput:
        if self.action in UNIT_ACTIONS and self.unit is None:
            raise ValueError(f"unit: a {self.action} job needs a unit")
        if self.action not in UNIT_ACTIONS and self.unit is not None:
            raise ValueError(f"unit: a {self.action} job has no unit (it acts on account '{self.account}')")
        if self.action not in UNIT_ACTIONS and self.account is None:
            raise ValueError(f"account: a {self.action} job needs the account's name")
        return self

    def job(self) -> Job:
        return Job(self.id, self.unit, self.action, self.ref, self.account, self.change_types, self.wave, self.needs)


def parse(text: str, source: str) -> list[Job]:
    """Jobs from JSON: one job object, a list of them, or an object with `jobs` (the `orchestrate` JSON)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise JobRefused(f"{source}: not valid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    if isinstance(data, dict) and "jobs" in data:
        data = data["jobs"]
    elif isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise JobRefused(f"{source}: expected a job object, a list of jobs or an object with `jobs`")
    jobs = [_one(item, i, source) for i, item in enumerate(data)]
    seen: set[str] = set()
    for i, job in enumerate(jobs):
        if job.id in seen:
            raise JobRefused(f"{source}: job {i} ({job.id}): id: duplicate id; every job id must be unique")
        seen.add(job.id)
    _check_needs(jobs, source)
    return jobs


def _one(item: Any, index: int, source: str) -> Job:
    label = f"{source}: job {index}"
    if isinstance(item, dict) and isinstance(item.get("id"), str) and _ID.match(item["id"]):
        label += f" ({item['id']})"
    if not isinstance(item, dict):
        raise JobRefused(f"{label}: must be a JSON object")
    try:
        return JobInput.model_validate(item).job()
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field; a job has id, unit, action, ref, account, change_types, wave, needs"
        elif err["type"] == "string_pattern_mismatch" and field == "ref":
            msg = f"must be a full 40-character lowercase hex commit sha, got {str(err.get('input'))[:60]!r}"
        elif err["type"] == "is_instance_of" and field.split(".")[0] in ("action", "change_types"):
            allowed = Action if field == "action" else ChangeType
            msg = f"Input should be one of {', '.join(str(a) for a in allowed)}; got {str(err.get('input'))[:60]!r}"
        elif err["type"] == "string_pattern_mismatch":
            msg = f"invalid value {str(err.get('input'))[:60]!r}"
        if not field and ":" in msg:
            field, msg = (part.strip() for part in msg.split(":", 1))
        raise JobRefused(f"{label}: {field or 'job'}: {msg}") from None


def _check_needs(jobs: list[Job], source: str) -> None:
    """`needs` naming jobs outside this batch are earlier waves the dispatcher already ran; inside the batch they
    must not form a cycle (the scheduler would wait forever)."""
    ids = {j.id for j in jobs}
    graph = {j.id: [n for n in j.needs if n in ids] for j in jobs}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = " -> ".join([*path[path.index(nxt) :], nxt]) if nxt in path else nxt
                raise JobRefused(f"{source}: job {node}: needs: a cycle ({cycle})")
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for j in jobs:
        if j.id not in state:
            visit(j.id, [j.id])


def check_repo(repo: Path, jobs: list[Job], default_branch: str) -> None:
    """The checks that need the live repo: the commit exists on one of its branches, the unit is a directory at that
    commit reached through no symlink, and mutating jobs come from the default branch."""
    branch_sha: str | None = None
    first_parents: history.History | None = None
    on_branch: set[str] = set()  # refs checked already: a batch has many jobs at one commit
    merged: set[str] = set()
    for job in jobs:
        label = f"job {job.id}"
        if job.ref not in on_branch:
            if not _has_commit(repo, job.ref):
                raise JobRefused(f"{label}: ref: commit {job.ref} is not in the live repository's checkout (fetch it)")
            if not _on_a_branch(repo, job.ref):
                raise JobRefused(
                    f"{label}: ref: commit {job.ref[:12]} is on no branch of the live repository (a fork's pull "
                    "request?); gwpipelines never runs code from outside the repository with its credentials"
                )
            on_branch.add(job.ref)
        if job.unit is not None:
            _check_unit_path(repo, job, label)
        if job.action in MUTATING_ACTIONS:
            if branch_sha is None:
                branch_sha = default_branch_sha(repo, default_branch)
            if job.ref not in merged and not git.is_ancestor(repo, job.ref, branch_sha):
                shallow = " (this checkout is shallow: check out with fetch-depth: 0)" if git.is_shallow(repo) else ""
                raise JobRefused(
                    f"{label}: ref: {job.action} refused: commit {job.ref[:12]} is not on the default branch "
                    f"'{default_branch}'{shallow}; only merged commits are applied (plan it instead)"
                )
            merged.add(job.ref)
            if job.action is Action.DESTROY:
                _check_deleted(repo, job, branch_sha, default_branch, label)
            if first_parents is None:
                first_parents = history.History(repo, default_branch, branch_sha)
            first_parents.check(job)


def check_dependents(repo: Path, jobs: list[Job], config: PipelineConfig) -> None:
    """With core.validate_dependencies_on_delete (the default), a destroy or plan-destroy of a unit that another unit
    still names in a `dependency`/`dependencies` block at the job's relevant commit is refused: destroying it would
    break them. The relevant commit is the one without the unit: the default branch's tip for a destroy, the newest
    commit of the batch after the job's base for a plan-destroy (the pull request's head), else the checkout's."""
    if not config.core.validate_dependencies_on_delete:
        return
    destroys = [j for j in jobs if j.unit and j.action in (Action.DESTROY, Action.PLAN_DESTROY)]
    if not destroys:
        return
    from gwpipelines.orchestrator import terragrunt, tree  # the HCL analysis: only when a destroy needs it

    graphs: dict[str, dict[str, tuple[str, ...]]] = {}
    for job in destroys:
        commit = _without_unit_commit(repo, job, jobs, config.core.default_branch)
        if commit not in graphs:
            units = terragrunt.analyse(tree.at_commit(repo, commit)).units
            graphs[commit] = {path: u.dependencies for path, u in units.items()}
        if job.unit in graphs[commit]:
            continue  # not deleted there: no deletion to check (a destroy of it is refused by _check_deleted)
        dependents = sorted(u for u, deps in graphs[commit].items() if job.unit in deps and u != job.unit)
        if dependents:
            raise JobRefused(
                f"job {job.id}: unit: {job.action} refused: {', '.join(dependents)} still depend on '{job.unit}' at "
                f"{commit[:12]} (dependency/dependencies blocks); remove those first, or set "
                "core.validate_dependencies_on_delete: false in pipelines.yml"
            )


def _without_unit_commit(repo: Path, job: Job, jobs: list[Job], default_branch: str) -> str:
    if job.action is Action.DESTROY:
        return default_branch_sha(repo, default_branch)
    later = [j.ref for j in jobs if j.ref != job.ref and git.is_ancestor(repo, job.ref, j.ref)]
    return later[0] if later else git.resolve(repo, "HEAD")


def _check_deleted(repo: Path, job: Job, branch_sha: str, default_branch: str, label: str) -> None:
    """A destroy is only for a unit deleted on the default branch: one still there is never destroyed."""
    unit = job.unit or "."
    if _tree_entries(repo, branch_sha, [unit_config(unit)]) or _generated_at(repo, branch_sha, unit):
        raise JobRefused(
            f"{label}: action: destroy refused: unit '{unit}' still exists on '{default_branch}'; only units "
            "deleted there are destroyed"
        )


def _generated_at(repo: Path, commit: str, unit: str) -> bool:
    """Whether a stack still generates `unit` at `commit` (its terragrunt.hcl is in no tree, only in the stack's
    generated folder): evaluated only for a unit below a terragrunt.stack.hcl."""
    parts = unit.split("/")
    if not _stack_in(repo, commit, ["", *("/".join(parts[: i + 1]) for i in range(len(parts) - 1))]):
        return False
    from gwpipelines.orchestrator import terragrunt, tree  # the HCL analysis: only for such a unit

    return unit in terragrunt.analyse(tree.at_commit(repo, commit)).units


def default_branch_sha(repo: Path, branch: str) -> str:
    """The remote's branch when the checkout has one (a local branch could point anywhere), else the local one."""
    for ref in (f"refs/remotes/origin/{branch}", f"refs/heads/{branch}"):
        try:
            return git.resolve(repo, ref)
        except GitError:
            continue
    raise JobRefused(
        f"core.default_branch: branch '{branch}' is not in the live repository's checkout; fetch it "
        "(actions/checkout with fetch-depth: 0) so that applies can be checked against it"
    )


def _on_a_branch(repo: Path, sha: str) -> bool:
    """Reachable from a local or remote-tracking branch: a fork's pull-request head is only under refs/pull/."""
    out = git.run(
        repo, "for-each-ref", "--count=1", "--contains", sha, "--format=%(refname)", "refs/heads", "refs/remotes"
    )
    return bool(out.strip())


def _has_commit(repo: Path, sha: str) -> bool:
    try:
        return git.resolve(repo, sha) == sha
    except GitError:
        return False


def _check_unit_path(repo: Path, job: Job, label: str) -> None:
    """Every directory on the way to the unit must be a real directory at the job's commit (a symlink could lead
    out of the checkout), and its terragrunt.hcl, if any, a regular file."""
    unit = job.unit or "."
    parts = [] if unit == "." else unit.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    config = unit_config(unit)
    entries = _tree_entries(repo, job.ref, [*prefixes, config])
    for i, path in enumerate(prefixes):
        mode = entries.get(path)
        if mode == _SYMLINK:
            raise JobRefused(f"{label}: unit: '{path}' is a symbolic link at {job.ref[:12]}; units must not escape")
        if mode is None and _stack_in(repo, job.ref, ["", *prefixes[:i]]):
            break  # a unit a stack generates (`terragrunt stack generate` writes the rest, inside the checkout)
        if mode != _TREE:
            raise JobRefused(f"{label}: unit: '{unit}' is not a directory at commit {job.ref[:12]}")
    if entries.get(config) == _SYMLINK:
        raise JobRefused(f"{label}: unit: '{config}' is a symbolic link at {job.ref[:12]}; units must not escape")


def _stack_in(repo: Path, ref: str, folders: list[str]) -> bool:
    """Whether one of these folders holds a terragrunt.stack.hcl (a regular file) at `ref`."""
    files = [f"{d}/{STACK_FILE}" if d else STACK_FILE for d in folders]
    return any(mode.startswith("100") for mode in _tree_entries(repo, ref, files).values())


def _tree_entries(repo: Path, ref: str, paths: list[str]) -> dict[str, str]:
    """path -> mode at `ref`, one `ls-tree` per path: given several, ls-tree descends into the named directories."""
    out: dict[str, str] = {}
    for path in paths:
        raw = git.run(repo, "ls-tree", "-z", "--full-tree", ref, "--", path)
        for rec in raw.decode("utf-8", errors="surrogateescape").split("\0"):
            if rec:
                meta, name = rec.split("\t", 1)
                if name == path:
                    out[path] = meta.split(" ")[0]
    return out


def check_live_repo(live_repo: str | None, config: PipelineConfig) -> None:
    """The dispatched live repo must be the one pipelines.yml names: the pipelines repo's roles are for it only."""
    expected = config.core.live_repo
    if live_repo is None:
        return
    if expected is None:
        raise JobRefused("core.live_repo: not set in pipelines.yml; set it to the live repository's OWNER/NAME")
    if live_repo.lower() != expected.lower():
        raise JobRefused(
            f"--live-repo: {live_repo} is not the live repository of pipelines.yml (core.live_repo: {expected}); "
            "refusing to run its code"
        )


def check_accounts(jobs: list[Job], config: PipelineConfig) -> None:
    """With an `authentication` section, every account a job would assume a role in must be configured there:
    refused up front, rather than each job failing at its turn."""
    auth = config.authentication
    if auth is None:
        return
    for job in jobs:
        for inst in config.steps_for(str(job.action)):
            account = inst.cls.role_account(inst.config, job.account)
            if account is not None and account not in auth.accounts:
                raise JobRefused(
                    f"job {job.id}: account: '{account}' has no roles in pipelines.yml; add "
                    f"authentication.accounts.{account} with account_id, plan_role and apply_role"
                )
        if job.unit is not None and job.account is None:
            raise JobRefused(_no_account(job))


def _no_account(job: Job) -> str:
    """With roles configured, a unit outside every account would run with the runner's own credentials."""
    top = (job.unit or ".").split("/")[0]
    where = (
        f"add an entry '{top}' to accounts.yml (an account's top-level folder) and authentication.accounts.{top} "
        "to pipelines.yml"
        if top != "."
        else "move it under an account's folder (a top-level folder named in accounts.yml)"
    )
    return (
        f"job {job.id}: account: unit '{job.unit}' belongs to no account, and pipelines.yml has an authentication "
        f"section (it would run with the runner's own credentials); {where}"
    )
