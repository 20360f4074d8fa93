"""Big trees are evaluated by two processes (terragrunt._evaluate_in_two): the answers, their order and the
errors raised are those of one process. Forced on small repos here by lowering the threshold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gwpipelines import terragrunt, tree
from gwpipelines.errors import ParseError
from tests.conftest import LIVE_TEMPLATE
from tests.orchestrator.memtree import ROOT_INCLUDE, mem_tree


@pytest.fixture
def forced(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if not terragrunt._may_fork():
        pytest.skip("this process cannot fork safely here (threads running, or one core)")
    monkeypatch.setattr(terragrunt, "PARALLEL_MIN_CONFIGS", 2)
    forks = []
    real = terragrunt._evaluate_in_two

    def counted(ev: terragrunt.Evaluator, todo: list[str]) -> list[terragrunt._Evaluated]:
        forks.append(len(todo))
        return real(ev, todo)

    monkeypatch.setattr(terragrunt, "_evaluate_in_two", counted)
    yield
    assert forks, "the analysis did not fork"


def sequential(t: tree.Tree) -> terragrunt.Analysis:
    saved = terragrunt.PARALLEL_MIN_CONFIGS
    terragrunt.PARALLEL_MIN_CONFIGS = 10**9
    try:
        return terragrunt.analyse(t)
    finally:
        terragrunt.PARALLEL_MIN_CONFIGS = saved


def test_two_processes_give_the_analysis_of_one(forced: None) -> None:
    t = tree.in_directory(LIVE_TEMPLATE)
    one = sequential(tree.in_directory(LIVE_TEMPLATE))
    two = terragrunt.analyse(t)
    assert list(two.evaluated) == list(one.evaluated)
    assert two.units == one.units and two.traces == one.traces and two.includes == one.includes
    assert two.warnings == one.warnings and two.shared_configs == one.shared_configs


def test_an_error_in_the_second_half_is_the_error_of_one_process(forced: None) -> None:
    files = {"root.hcl": "locals {}\n"}
    for name in ("a", "b", "c", "d"):
        files[f"{name}/terragrunt.hcl"] = ROOT_INCLUDE
    files["d/terragrunt.hcl"] += "locals {\n  x = [\n}\n"
    with pytest.raises(ParseError) as one:
        sequential(mem_tree(files))
    with pytest.raises(ParseError) as two:
        terragrunt.analyse(mem_tree(files))
    assert str(two.value) == str(one.value) and str(two.value).startswith("d/terragrunt.hcl:")


def test_a_git_tree_in_two_processes(forced: None, tmp_path: Path) -> None:
    from tests.gitrepo import GitRepo

    repo = GitRepo.from_tree(LIVE_TEMPLATE, tmp_path / "live")
    head = repo.head()
    two = terragrunt.analyse(tree.at_commit(repo.path, head))
    one = sequential(tree.at_commit(repo.path, head))
    assert two.units == one.units and two.traces == one.traces
