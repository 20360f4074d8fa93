"""`orchestrate --format matrix` stays within GitHub's 256-entry `strategy.matrix` limit, through the CLI: many
units in one wave, and a dependency chain with more waves than entries. Every job is in the matrix exactly once,
and no entry holds a job before one it needs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from testing.cli import run
from testing.gitrepo import GitRepo
from tests.contract.contract import keys, only_json


def orchestrate(repo: GitRepo, base: str, fmt: str) -> Any:
    res = run(
        "orchestrate", "--repo", str(repo.path), "--base", base, "--head", "HEAD", "--event", "push", "--format", fmt
    )
    assert res.code == 0, res.err
    return only_json(res)


def check_matrix(repo: GitRepo, base: str, expected_jobs: int) -> list[dict[str, Any]]:
    jobs = orchestrate(repo, base, "json")["jobs"]
    assert len(jobs) == expected_jobs
    matrix = orchestrate(repo, base, "matrix")
    keys(matrix, ["include"])
    entries: list[dict[str, Any]] = matrix["include"]
    assert 0 < len(entries) <= 256
    flat = [j for entry in entries for j in entry["jobs"]]
    assert sorted(j["id"] for j in flat) == sorted(j["id"] for j in jobs)  # each job once
    seen: set[str] = set()
    for entry in entries:
        keys(entry, ["name", "wave", "jobs"])
        for j in entry["jobs"]:
            assert set(j["needs"]) <= seen | {x["id"] for x in entry["jobs"]}
        seen |= {j["id"] for j in entry["jobs"]}
    return entries


@pytest.fixture
def empty(tmp_path: Path) -> tuple[GitRepo, str]:
    repo = GitRepo.init(tmp_path / "live")
    repo.write("README.md", "# live\n")
    return repo, repo.commit("empty")


def test_300_new_units_in_one_wave(empty: tuple[GitRepo, str]) -> None:
    repo, base = empty
    for i in range(300):
        repo.write(f"units/u{i:03}/terragrunt.hcl", "inputs = {}\n")
    repo.commit("300 units")
    entries = check_matrix(repo, base, 300)
    assert len(entries) <= 256 and max(len(e["jobs"]) for e in entries) >= 2


def test_a_chain_of_300_units_has_more_waves_than_entries(empty: tuple[GitRepo, str]) -> None:
    repo, base = empty
    repo.write("chain/c000/terragrunt.hcl", "inputs = {}\n")
    for i in range(1, 300):
        repo.write(f"chain/c{i:03}/terragrunt.hcl", f'dependency "prev" {{\n  config_path = "../c{i - 1:03}"\n}}\n')
    repo.commit("a chain")
    entries = check_matrix(repo, base, 300)
    assert len({j["wave"] for e in entries for j in e["jobs"]}) == 300
