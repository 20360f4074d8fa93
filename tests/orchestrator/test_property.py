"""Property: no unit whose directory holds a changed file is ever missing from the jobs."""

from __future__ import annotations

import posixpath
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gwpipelines import git, orchestrator
from gwpipelines.models import Event
from testing.gitrepo import GitRepo
from testing.memtree import mem_tree

SEGMENTS = st.sampled_from(["a", "b", "c", "prod", "dev", "x-y", "_global"])
DIRS = st.lists(SEGMENTS, min_size=0, max_size=3).map(lambda parts: "/".join(parts))
FILENAMES = st.sampled_from(["main.tf", "data.json", "notes.md", "terragrunt.hcl", "env.hcl", ".terraform.lock.hcl"])
UNIT_CONFIGS = st.sampled_from(
    [
        "",
        'dependency "d" {\n  config_path = "../a"\n}\n',
        'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n',
        'locals {\n  x = file("${get_terragrunt_dir()}/data.json")\n}\n',
    ]
)


@st.composite
def repo_states(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, str]]:
    units = draw(st.sets(DIRS.filter(bool), min_size=1, max_size=6))
    base: dict[str, str] = {"root.hcl": "locals {}\n"}
    for u in units:
        base[f"{u}/terragrunt.hcl"] = draw(UNIT_CONFIGS)
    for _ in range(draw(st.integers(0, 6))):
        base[f"{draw(DIRS)}/{draw(FILENAMES)}".lstrip("/")] = "# v1\n"
    head = dict(base)
    for path in draw(st.lists(st.sampled_from(sorted(base)), max_size=5)):
        if draw(st.booleans()):
            head.pop(path, None)
        else:
            head[path] = head.get(path, "") + "# changed\n"
    for _ in range(draw(st.integers(0, 3))):
        head[f"{draw(DIRS)}/{draw(FILENAMES)}".lstrip("/")] = "# new\n"
    return base, head


def diff_of(base: dict[str, str], head: dict[str, str]) -> list[git.DiffEntry]:
    out = []
    for p in sorted(base.keys() | head.keys()):
        if p not in head:
            out.append(git.DiffEntry("D", p, None))
        elif p not in base:
            out.append(git.DiffEntry("A", None, p))
        elif base[p] != head[p]:
            out.append(git.DiffEntry("M", p, p))
    return out


def check(
    orch_jobs: list[tuple[str | None, str]], base_units: set[str], head_units: set[str], changed: list[str]
) -> None:
    planned = {(unit, action) for unit, action in orch_jobs}
    for path in changed:
        for units, wanted in ((head_units, {"plan", "apply"}), (base_units - head_units, {"plan-destroy", "destroy"})):
            owner = _owner(path, units)
            if owner is not None:
                assert any((owner, a) in planned for a in wanted), (path, owner, planned)


def _owner(path: str, units: set[str]) -> str | None:
    d = posixpath.dirname(path)
    while True:
        if (d or ".") in units:
            return d or "."
        if not d:
            return None
        d = posixpath.dirname(d)


@settings(max_examples=300, deadline=None)
@given(repo_states(), st.sampled_from([Event.PULL_REQUEST, Event.PUSH]))
def test_every_unit_holding_a_changed_file_gets_a_job(
    states: tuple[dict[str, str], dict[str, str]], event: Event
) -> None:
    base_files, head_files = states
    base = orchestrator.load_side(mem_tree(base_files))
    head = orchestrator.load_side(mem_tree(head_files))
    diff = diff_of(base_files, head_files)
    changes, _ignored, _warnings = orchestrator.classify(base, head, diff)
    jobs = orchestrator.plan_jobs(changes, event, "b" * 40, "h" * 40, base, head)
    changed = [p for e in diff for p in (e.old, e.new) if p]
    check([(j.unit, str(j.action)) for j in jobs], set(base.analysis.units), set(head.analysis.units), changed)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(repo_states())
def test_the_same_holds_through_real_git_commits(states: tuple[dict[str, str], dict[str, str]]) -> None:
    base_files, head_files = states
    tmp = Path(tempfile.mkdtemp())
    try:
        repo = GitRepo.init(tmp / "r")
        for p, t in base_files.items():
            repo.write(p, t)
        base = repo.commit("base")
        for p in base_files.keys() - head_files.keys():
            (repo.path / p).unlink()
        for p, t in head_files.items():
            repo.write(p, t)
        head = repo.commit("head")
        o = orchestrator.orchestrate(repo.path, base, head, Event.PUSH)
        base_units = set(orchestrator.load_side(mem_tree(base_files)).analysis.units)
        head_units = set(orchestrator.load_side(mem_tree(head_files)).analysis.units)
        changed = [p for c in o.changes for p in c.files] + list(o.ignored)
        check([(j.unit, str(j.action)) for j in o.jobs], base_units, head_units, changed)
    finally:
        shutil.rmtree(tmp)
