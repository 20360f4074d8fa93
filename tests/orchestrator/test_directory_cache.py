"""`units` and `graph` on the orchestrator's fast path (issue 16): the answer of the full parse of every file read,
from the cache when the directory's content is the same, and every syntax error still reported, whatever the cache
holds (a content that never parsed in full is parsed in full)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gwpipelines.orchestrator import directory, hcl, terragrunt, tree
from testing.cli import run
from testing.gitrepo import GitRepo
from tests.contract.contract import one_error_line

UNIT = 'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n'
BROKEN_INPUTS = 'inputs = {\n  name = "app"\n  size = \n}\n'


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> GitRepo:
    monkeypatch.setenv("GWPIPELINES_CACHE_DIR", str(tmp_path / "cache"))
    repo = GitRepo.init(tmp_path / "live")
    repo.write("root.hcl", 'locals {\n  tags = yamldecode(file("${get_repo_root()}/tags.yml"))\n}\n')
    repo.write("tags.yml", "team: core\n")
    repo.write("acct/dev/vpc/terragrunt.hcl", UNIT)
    repo.write("acct/dev/app/terragrunt.hcl", UNIT + 'dependency "vpc" {\n  config_path = "../vpc"\n}\n')
    repo.commit("initial")
    return repo


def entries(tmp_path: Path, kind: str) -> list[Path]:
    return sorted((tmp_path / "cache").glob(f"{kind}-*.pickle"))


def reference(root: Path) -> terragrunt.Analysis:
    """What `units` and `graph` computed before the fast path: every file read parsed in full, no cache."""
    return terragrunt.analyse(tree.in_directory(root), hcl.scan_strict)


def test_cold_and_warm_runs_answer_alike_and_the_warm_one_comes_from_the_cache(live: GitRepo, tmp_path: Path) -> None:
    answers = []
    for _ in range(2):
        units = run("units", "--repo", str(live.path), "--reading", "tags.yml", "--format", "json")
        graph = run("graph", "--repo", str(live.path), "--format", "json")
        assert units.code == 0 and graph.code == 0, units.err + graph.err
        answers.append((units.out, graph.out))
    assert answers[0] == answers[1]
    assert json.loads(answers[0][0]) == {"units": ["acct/dev/app", "acct/dev/vpc"]}
    assert len(entries(tmp_path, "directory")) == 1
    ref = reference(live.path)
    got = directory.analyse(live.path)
    assert got.units == ref.units and got.readers("tags.yml") == ref.readers("tags.yml")


def test_an_edit_is_a_new_content_and_a_new_answer(live: GitRepo, tmp_path: Path) -> None:
    assert run("units", "--repo", str(live.path), "--format", "json").json() == {
        "units": ["acct/dev/app", "acct/dev/vpc"]
    }
    live.write("acct/dev/db/terragrunt.hcl", UNIT)  # not committed: the work tree is what counts
    assert run("units", "--repo", str(live.path), "--format", "json").json() == {
        "units": ["acct/dev/app", "acct/dev/db", "acct/dev/vpc"]
    }
    assert len(entries(tmp_path, "directory")) == 2


def test_a_syntax_error_after_a_cached_run_is_reported_and_fixing_it_answers_again(
    live: GitRepo, tmp_path: Path
) -> None:
    assert run("graph", "--repo", str(live.path), "--format", "json").code == 0
    live.write("acct/dev/vpc/terragrunt.hcl", UNIT + BROKEN_INPUTS)
    for command in ("units", "graph"):
        one_error_line(run(command, "--repo", str(live.path), "--format", "json"), 2, "acct/dev/vpc/terragrunt.hcl:7")
    live.write("acct/dev/vpc/terragrunt.hcl", UNIT)
    assert run("units", "--repo", str(live.path), "--format", "json").code == 0


def test_only_contents_that_parsed_in_full_are_remembered_as_valid(live: GitRepo, tmp_path: Path) -> None:
    """The fast scanner skips an `inputs` block: a content is scanned only, never parsed, once it parsed in full."""
    directory.analyse(live.path)
    loaded = directory.cache.load(tmp_path / "cache", *directory.VALIDATED)
    assert isinstance(loaded, set)
    ids = tree.in_directory(live.path, content_ids=True).files
    assert {ids["root.hcl"], ids["acct/dev/vpc/terragrunt.hcl"], ids["acct/dev/app/terragrunt.hcl"]} <= loaded
    assert ids["tags.yml"] not in loaded  # read with file(), never parsed as HCL


def test_a_folder_outside_git_is_analysed_without_a_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GWPIPELINES_CACHE_DIR", raising=False)
    folder = tmp_path / "plain"
    (folder / "app").mkdir(parents=True)
    (folder / "root.hcl").write_text("locals {}\n")
    (folder / "app" / "terragrunt.hcl").write_text(UNIT)
    for _ in range(2):
        assert run("units", "--repo", str(folder), "--format", "json").json() == {"units": ["app"]}
    assert not list(folder.rglob("*.pickle"))


def test_content_ids_are_git_blob_ids(live: GitRepo) -> None:
    listed = tree.at_commit(live.path, "HEAD").files
    assert tree.in_directory(live.path, content_ids=True).files == {
        p: oid for p, oid in listed.items() if not p.startswith(".git/")
    }
