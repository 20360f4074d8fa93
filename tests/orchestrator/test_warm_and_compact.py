"""The warm path's shortcuts (the code key remembered by the package files' stat, the refs with their trees
resolved in one git process) and the compact analysis (traces split in shared and own paths, facts no later
commit needs forgotten)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gwpipelines import orchestrator
from gwpipelines.orchestrator import cache, shell, sides
from gwpipelines.orchestrator.terragrunt import Trace
from testing.gitrepo import GitRepo
from testing.memtree import ROOT_INCLUDE

compute_code_key = cache.code_key.__wrapped__  # without the per-process memo, to see what each call does


def test_code_key_is_remembered_by_stat_and_equals_the_content_hash(tmp_path: Path) -> None:
    fresh = compute_code_key(None)
    assert compute_code_key(tmp_path) == fresh
    (memo,) = tmp_path.glob("code-*.key")
    assert memo.read_text() == fresh
    memo.write_text("0123456789abcdef")  # what a later run reads instead of hashing every source again
    assert compute_code_key(tmp_path) == "0123456789abcdef"


def test_a_broken_code_key_memo_is_computed_again(tmp_path: Path) -> None:
    compute_code_key(tmp_path)
    (memo,) = tmp_path.glob("code-*.key")
    memo.write_text("not a key")
    assert compute_code_key(tmp_path) == compute_code_key(None)
    assert memo.read_text() == compute_code_key(None)


def test_refs_and_their_trees_come_from_one_rev_parse(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "live")
    repo.write("a/terragrunt.hcl", "")
    base = repo.commit("base")
    repo.write("b/terragrunt.hcl", "")
    head = repo.commit("head")
    root, shas, trees = shell._resolve(repo.path, [head, base])
    assert root.resolve() == repo.path.resolve()
    assert shas == [head, base]
    # The trees come with the refs (git before 2.43 echoes --end-of-options, which once sent every run down
    # the step-by-step path: three more git processes, and one more for the trees).
    assert trees == {head: repo.git("rev-parse", f"{head}^{{tree}}"), base: repo.git("rev-parse", f"{base}^{{tree}}")}


def test_a_trace_keeps_the_unit_folder_apart_and_shares_the_rest() -> None:
    a = Trace.of(["root.hcl", "x/a/terragrunt.hcl", "x/env.hcl", "x/a/data.json"], "x/a/terragrunt.hcl")
    b = Trace.of(["x/env.hcl", "root.hcl", "x/b/terragrunt.hcl"], "x/b/terragrunt.hcl")
    assert a.own == ("x/a/data.json", "x/a/terragrunt.hcl")
    assert a.shared is b.shared == frozenset({"root.hcl", "x/env.hcl"})  # one object for the folder's units
    assert set(a) == {"root.hcl", "x/a/terragrunt.hcl", "x/env.hcl", "x/a/data.json"}
    assert "x/a/data.json" in a and "x/b/terragrunt.hcl" not in a
    assert not a.isdisjoint({"x/a/data.json"}) and not a.isdisjoint({"x/env.hcl"}) and a.isdisjoint({"x/b/y"})
    root = Trace.of(["terragrunt.hcl", "a.hcl"], "terragrunt.hcl")  # the repository root's unit: all shared
    assert root.own == () and root.shared == {"terragrunt.hcl", "a.hcl"}


def test_forgetting_the_facts_no_later_commit_needs_changes_no_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo.init(tmp_path / "live")
    repo.write("root.hcl", 'locals {\n  e = read_terragrunt_config(find_in_parent_folders("env.hcl"))\n}\n')
    for env in ("dev", "prod"):
        repo.write(f"{env}/env.hcl", "locals {}\n")
        for name in ("a", "b", "c"):
            repo.write(f"{env}/{name}/terragrunt.hcl", ROOT_INCLUDE + f'locals {{\n  n = "{name}"\n}}\n')
    base = repo.commit("base")
    repo.write("dev/env.hcl", "locals {\n  x = 1\n}\n")
    repo.write("prod/b/terragrunt.hcl", ROOT_INCLUDE + "# edited\n")
    head = repo.commit("head")
    monkeypatch.setenv("GWPIPELINES_CACHE", "off")
    monkeypatch.setenv("GWPIPELINES_PARALLEL", "off")
    expected = orchestrator.orchestrate(repo.path, base, head, "pull_request").to_json()
    forgotten: list[str] = []
    real = sides.forget_unneeded

    def counted(ev: Any, facts: dict[str, Any], fresh: Any, needed_next: Any) -> None:
        before = set(facts)
        real(ev, facts, fresh, needed_next)
        forgotten.extend(before - set(facts))

    monkeypatch.setattr(sides, "FORGET_MIN_CONFIGS", 0)
    monkeypatch.setattr(sides, "forget_unneeded", counted)
    assert orchestrator.orchestrate(repo.path, base, head, "pull_request").to_json() == expected
    assert len(forgotten) == 2  # prod/a and prod/c: nothing they read changed
