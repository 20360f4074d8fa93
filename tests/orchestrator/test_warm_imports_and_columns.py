"""Round 2 of the warm path and memory (issue 16): a run that finds both sides cached imports none of the HCL
reader or the evaluator; units are tuples pickled as columns; a reuse entry of the wrong shape is a miss."""

from __future__ import annotations

import io
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from gwpipelines import orchestrator
from gwpipelines.orchestrator import cache
from gwpipelines.orchestrator.terragrunt import Analysis, Unit
from testing.gitrepo import GitRepo

# What a warm run must not pay for: parsing, scanning, evaluating (imports are a third of a warm run).
EVALUATION_MODULES = {
    "gwpipelines.orchestrator.hcl.parser",
    "gwpipelines.orchestrator.hcl.scanner",
    "gwpipelines.orchestrator.hcl.syntax",
    "gwpipelines.orchestrator.terragrunt.evaluator",
    "gwpipelines.orchestrator.terragrunt.expressions",
    "gwpipelines.orchestrator.terragrunt.stacks",
}

_RUN = """
import json, sys
from pathlib import Path
from gwpipelines import orchestrator
o = orchestrator.orchestrate(Path(sys.argv[1]), sys.argv[2], sys.argv[3], "pull_request")
print(json.dumps({"jobs": [j.id for j in o.jobs], "modules": sorted(sys.modules)}))
"""


def _repo(tmp_path: Path) -> tuple[GitRepo, str, str]:
    repo = GitRepo.init(tmp_path / "live")
    repo.write("root.hcl", 'locals {\n  env = "dev"\n}\n')
    for d in ("a", "b"):
        repo.write(f"{d}/terragrunt.hcl", 'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n')
    repo.write("c/terragrunt.hcl", 'dependency "a" {\n  config_path = "../a"\n}\n')
    base = repo.commit("base")
    repo.append("a/terragrunt.hcl", "# edit\n")
    return repo, base, repo.commit("head")


def _run(repo: GitRepo, base: str, head: str, cache_dir: Path) -> dict[str, list[str]]:
    env = {"GWPIPELINES_CACHE_DIR": str(cache_dir), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", _RUN, str(repo.path), base, head], env=env, capture_output=True, check=True
    )
    answer: dict[str, list[str]] = json.loads(out.stdout)
    return answer


def test_a_run_that_finds_both_sides_cached_imports_no_parser_or_evaluator(tmp_path: Path) -> None:
    repo, base, head = _repo(tmp_path)
    cold = _run(repo, base, head, tmp_path / "cache")
    warm = _run(repo, base, head, tmp_path / "cache")
    assert set(cold["modules"]) >= EVALUATION_MODULES  # (the cold run evaluates: the list names real modules)
    assert not EVALUATION_MODULES & set(warm["modules"])
    assert warm["jobs"] == cold["jobs"] and cold["jobs"]


def test_a_unit_is_a_tuple_with_named_fields() -> None:
    unit = Unit.of("a/b", frozenset({"root.hcl"}), ("x.*",), frozenset({"modules/m"}), ("a/c",), ("w",))
    assert (unit.path, unit.files, unit.patterns, unit.module_dirs) == (
        "a/b",
        frozenset({"root.hcl"}),
        ("x.*",),
        frozenset({"modules/m"}),
    )
    assert (unit.dependencies, unit.warnings, unit.stack_key, unit.stack_files) == (("a/c",), ("w",), "", frozenset())
    same = Unit.of("a/b", frozenset({"root.hcl"}), ("x.*",), frozenset({"modules/m"}), ("a/c",), ("w",))
    assert unit == same and hash(unit) == hash(same) and unit != unit_with_key(unit, "k")
    assert repr(unit).startswith("Unit(path='a/b', files=frozenset({'root.hcl'})")
    assert unit.reads("root.hcl") and unit.reads("modules/m/main.tf") and unit.reads("x.y")
    assert not unit.reads("other.hcl")
    with pytest.raises(AttributeError):
        unit.path = "elsewhere"  # type: ignore[misc]


def unit_with_key(unit: Unit, key: str) -> Unit:
    return Unit.of(unit.path, unit.files, unit.patterns, unit.module_dirs, unit.dependencies, unit.warnings, key)


def test_an_analysis_comes_back_through_the_cache_loader_as_it_was() -> None:
    """Its units are pickled as columns and rebuilt in order, each under its path."""
    units = {
        p: Unit.of(p, frozenset({"root.hcl"}), (), frozenset(), deps, ())
        for p, deps in (("b", ()), ("a", ("b",)), ("c", ("a", "b")))
    }
    analysis = Analysis(units, frozenset({"root.hcl"}), ("w",), stack_warnings={"s.hcl": ("x",)})
    loaded = cache._DataOnly(io.BytesIO(pickle.dumps(analysis, protocol=pickle.HIGHEST_PROTOCOL))).load()
    assert loaded == analysis and list(loaded.units) == ["b", "a", "c"]
    assert all(type(u) is Unit for u in loaded.units.values())
    empty = Analysis({}, frozenset(), ())
    assert pickle.loads(pickle.dumps(empty)) == empty


SHAPES = [
    (1, 2, 3),
    ("a",),
    ((), (), (), (), {}, ()),
    ((1,), (2, 3), (), (), {}),
    (("a/terragrunt.hcl",), (1,), (2,), (frozenset(),), {}),
    (("a/terragrunt.hcl",), (frozenset(),), ((),), (frozenset(),), 7),
]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_reuse_entry_of_another_shape_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shape: tuple[object, ...]
) -> None:
    """(An older release's entry, or a planted one: the commit is evaluated afresh, with the same answer.)"""
    repo, c0, c1 = _repo(tmp_path)
    repo.append("b/terragrunt.hcl", "# edit\n")
    c2 = repo.commit("c2")
    cache_dir = tmp_path / "cache"
    monkeypatch.setenv("GWPIPELINES_CACHE_DIR", str(cache_dir))
    orchestrator.orchestrate(repo.path, c0, c1, "push")  # caches c0 and c1 (side and reuse entries)
    reuse = list(cache_dir.glob("reuse-*.pickle"))
    assert reuse
    for f in reuse:
        f.write_bytes(pickle.dumps(shape))
    got = orchestrator.orchestrate(repo.path, c1, c2, "push")  # c1 from the cache, c2 reusing its units
    monkeypatch.setenv("GWPIPELINES_CACHE", "off")
    assert got == orchestrator.orchestrate(repo.path, c1, c2, "push")
    assert [j.unit for j in got.jobs] == ["b"]
