"""The fast paths give the same answers as the slow ones: units reused between commits through evaluation
traces, and the content-addressed analysis cache."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gwpipelines import orchestrator
from gwpipelines.orchestrator import cache, parallel, sides, terragrunt
from testing.cli import orchestrate_json
from testing.gitrepo import GitRepo
from testing.memtree import mem_tree

SHARED = {
    "root.hcl": 'locals {\n  env = read_terragrunt_config(find_in_parent_folders("env.hcl"))\n}\n',
    "a/env.hcl": "locals {}\n",
    "a/b/env.hcl": "locals {}\n",
    "_envcommon/app.hcl": 'locals {\n  d = file("${get_repo_root()}/data/${basename(get_terragrunt_dir())}.json")\n}\n',
    "data/x.json": "{}",
    "data/y.json": "{}",
    "modules/m/main.tf": "",
}
UNIT_TEXTS = [
    'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n',
    'include "c" {\n  path = "${get_repo_root()}/_envcommon/app.hcl"\n}\n',
    'terraform {\n  source = "${get_repo_root()}/modules//m"\n}\n',
    'dependency "d" {\n  config_path = "../x"\n}\n',
    'locals {\n  e = read_terragrunt_config(find_in_parent_folders("env.hcl", "${get_repo_root()}/a/env.hcl"))\n}\n',
]
UNIT_DIRS = ["a/x", "a/y", "a/b/x", "a/b/y", "c/x", "c/y"]
EDITABLE = [*SHARED, "a/b/c/env.hcl", "c/env.hcl", "data/z.json", "modules/m/vars.tf"]


@st.composite
def commits(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, str]]:
    base = dict(SHARED)
    for d in draw(st.sets(st.sampled_from(UNIT_DIRS), min_size=1)):
        base[f"{d}/terragrunt.hcl"] = draw(st.sampled_from(UNIT_TEXTS))
    head = dict(base)
    for path in draw(st.lists(st.sampled_from(sorted(set(EDITABLE) | set(base))), max_size=4)):
        if path in head and draw(st.booleans()):
            del head[path]
        elif path.endswith("terragrunt.hcl"):
            head[path] = draw(st.sampled_from(UNIT_TEXTS))
        else:
            head[path] = head.get(path, "locals {}\n") + "# edit\n"
    return base, head


@settings(max_examples=200, deadline=None)
@given(commits())
def test_reusing_the_other_commits_units_changes_nothing(states: tuple[dict[str, str], dict[str, str]]) -> None:
    base_files, head_files = states
    changed = [p for p in base_files.keys() | head_files.keys() if base_files.get(p) != head_files.get(p)]
    head = terragrunt.analyse(mem_tree(head_files))
    fresh = terragrunt.analyse(mem_tree(base_files))
    reused = sides.analyse_reusing(mem_tree(base_files), reuse=(head, changed))
    assert reused.units == fresh.units
    assert reused.shared_configs == fresh.shared_configs


def test_cached_and_uncached_runs_print_the_same_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = GitRepo.init(tmp_path / "live")
    for p, t in SHARED.items():
        repo.write(p, t)
    for d, t in zip(UNIT_DIRS, UNIT_TEXTS, strict=False):
        repo.write(f"{d}/terragrunt.hcl", t)
    shas = [repo.commit("c0")]
    for path in ("a/b/env.hcl", "data/x.json", "_envcommon/app.hcl"):
        repo.append(path, "# edit\n")
        shas.append(repo.commit(f"edit {path}"))
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("GWPIPELINES_CACHE_DIR", str(cache_dir))

    def answers() -> list[object]:
        out = []
        for base, head in itertools.pairwise(shas):
            for event in ("push", "pull_request"):
                out.append(orchestrate_json(repo.path, base, head, event))
        return out

    cold = answers()
    assert list(cache_dir.glob("side-*.pickle"))
    # Every entry loads: what the analysis holds is all of the kinds a cache entry may name (cache._DataOnly).
    for entry in cache_dir.glob("*.pickle"):
        kind, tree_id = entry.name.split("-")[:2]
        assert cache.load(cache_dir, tree_id, kind) is not None, entry.name
    warm = answers()
    monkeypatch.setenv("GWPIPELINES_CACHE", "off")
    uncached = answers()
    assert cold == warm == uncached
    assert any(o["jobs"] for o in cold)  # type: ignore[index]


def test_units_reused_from_a_cached_commit_are_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache keeps a commit's units once: its reuse entry names them by config, but for the included
    configs' (a legacy root terragrunt.hcl here), and gives them back as they were evaluated."""
    repo = GitRepo.init(tmp_path / "live")
    repo.write("terragrunt.hcl", 'locals {\n  region = "eu"\n}\n')
    for d in ("a", "b", "c"):
        repo.write(f"{d}/terragrunt.hcl", 'include "root" {\n  path = find_in_parent_folders()\n}\n')
    c0 = repo.commit("c0")
    repo.append("a/terragrunt.hcl", "# edit\n")
    c1 = repo.commit("c1")
    repo.append("b/terragrunt.hcl", "# edit\n")
    c2 = repo.commit("c2")
    monkeypatch.setenv("GWPIPELINES_CACHE_DIR", str(tmp_path / "cache"))
    orchestrator.orchestrate(repo.path, c0, c1, "push")
    evaluated: list[list[str]] = []
    real = parallel.evaluate_all

    def spy(
        ev: terragrunt.Evaluator,
        todo: list[str],
        alongside: Callable[[], None],
        needed_next: Callable[[frozenset[str]], bool],
    ) -> object:
        evaluated.append(list(todo))
        return real(ev, todo, alongside, needed_next)

    monkeypatch.setattr(parallel, "evaluate_all", spy)
    cached = orchestrator.orchestrate(repo.path, c1, c2, "push")
    assert evaluated == [["b/terragrunt.hcl"]]  # c1 from the cache; of c2, only the unit that changed
    monkeypatch.setenv("GWPIPELINES_CACHE", "off")
    assert cached == orchestrator.orchestrate(repo.path, c1, c2, "push")
    assert [j.unit for j in cached.jobs] == ["b"]


@pytest.mark.parametrize(
    "planted",
    [
        b"not a pickle",  # a corrupt entry
        b"cposix\nsystem\n(S'touch PWNED'\ntR.",  # what any pickle may do: call os.system while loading
        b"cgwpipelines.git\nrun\n(S'.'\nS'gc'\ntR.",  # a function of ours is no data either
        b"cbuiltins\nlen\n(tR.",  # a TypeError while loading, once fatal
    ],
)
def test_a_corrupt_or_planted_cache_entry_runs_nothing_and_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, planted: bytes
) -> None:
    """An entry restored by actions/cache was written by another run: loading it calls no function but the
    constructors of the package's own classes."""
    repo = GitRepo.init(tmp_path / "live")
    repo.write("app/terragrunt.hcl", "")
    base = repo.commit()
    repo.append("app/terragrunt.hcl", "# c\n")
    head = repo.commit()
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("GWPIPELINES_CACHE_DIR", str(cache_dir))
    monkeypatch.chdir(tmp_path)
    first = orchestrator.orchestrate(repo.path, base, head, "push")
    entries = list(cache_dir.glob("*.pickle"))
    assert entries
    for f in entries:
        f.write_bytes(planted)
    assert orchestrator.orchestrate(repo.path, base, head, "push") == first
    assert not (tmp_path / "PWNED").exists()
