"""Drift jobs (issue 17): one plan per selected unit at the default branch's tip, sharded into waves; the unit
globs of `drift.paths` / `drift.ignore` / `--path`; `drift.max_units`; `gwpipelines drift --jobs-only`."""

from __future__ import annotations

from pathlib import Path

import pytest

from gwpipelines import unit_globs
from testing.cli import run
from testing.gitrepo import GitRepo

UNITS = ["non-prod/dev/app", "non-prod/dev/vpc", "prod/app", "prod/vpc"]


@pytest.fixture
def live(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "live")
    repo.write("root.hcl", 'locals { region = "us-east-1" }\n')
    repo.write("accounts.yml", "")
    for unit in UNITS:
        repo.write(f"{unit}/terragrunt.hcl", 'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n')
    repo.write("prod/app/terragrunt.hcl", repo.read("prod/app/terragrunt.hcl") + DEPENDENCY)
    repo.commit("units")
    return repo


DEPENDENCY = 'dependency "vpc" {\n  config_path = "../vpc"\n}\n'


def write_config(tmp_path: Path, drift: str) -> str:
    path = tmp_path / "pipelines.yml"
    path.write_text(f"core:\n  live_repo: acme/live\n{drift}")
    return str(path)


@pytest.mark.parametrize(
    ("glob", "unit", "expected"),
    [
        ("**", "a/b", True),
        ("**", ".", True),
        ("prod", "prod/x/y", True),
        ("prod/**", "prod/x", True),
        ("prod", "production/x", False),
        ("*/dev/*", "non-prod/dev/app", True),
        ("*/dev", "a/b/dev", False),
        ("**/dev", "a/b/dev/app", True),
        ("prod/ap?", "prod/app", True),
        (".", ".", True),
        (".", "prod", False),
        ("prod/**", ".", False),
    ],
)
def test_globs_cover_a_unit_or_a_folder_above_it(glob: str, unit: str, expected: bool) -> None:
    assert unit_globs.matches(glob, unit) is expected


def test_every_unit_at_the_tip_is_one_plan_job_without_needs(live: GitRepo) -> None:
    res = run("drift", "--repo", str(live.path), "--jobs-only", "--format", "json")
    assert res.code == 0, res.err
    out = res.json()
    tip = live.head()
    assert (out["base"], out["head"], out["event"], out["changes"]) == (tip, tip, "push", [])
    assert [j["unit"] for j in out["jobs"]] == UNITS
    # prod/app depends on prod/vpc, but both are applied already: a drift plan reads the real outputs, no waiting.
    assert {(j["action"], j["ref"], j["wave"], tuple(j["needs"])) for j in out["jobs"]} == {("plan", tip, 0, ())}
    assert [j["id"] for j in out["jobs"]] == [f"plan:{u}" for u in UNITS]


def test_the_default_branch_tip_not_the_checked_out_commit(live: GitRepo) -> None:
    tip = live.head()
    live.git("checkout", "-q", "-b", "feature")
    live.write("feature/new/terragrunt.hcl", "")
    live.commit("a unit not on main")
    out = run("drift", "--repo", str(live.path), "--jobs-only", "--format", "json").json()
    assert out["head"] == tip and "feature/new" not in [j["unit"] for j in out["jobs"]]


def test_the_text_format_lists_the_jobs(live: GitRepo) -> None:
    res = run("drift", "--repo", str(live.path), "--jobs-only")
    assert res.code == 0 and res.out.splitlines()[0] == "plan:non-prod/dev/app  (run 0, account -)"


def test_units_are_sharded_into_waves(live: GitRepo) -> None:
    out = run("drift", "--repo", str(live.path), "--jobs-only", "--units-per-run", "3", "--format", "json").json()
    assert [j["wave"] for j in out["jobs"]] == [0, 0, 0, 1]


def test_paths_ignore_and_the_path_option_select_units(live: GitRepo, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, "drift:\n  paths: [prod, non-prod/**]\n  ignore: ['*/vpc', '**/dev/vpc']\n")
    out = run("drift", "--repo", str(live.path), "--config", cfg, "--jobs-only", "--format", "json").json()
    assert [j["unit"] for j in out["jobs"]] == ["non-prod/dev/app", "prod/app"]
    assert any("2 unit(s) not selected" in w for w in out["warnings"])
    # --path narrows by hand; drift.ignore still applies.
    narrowed = ["--path", "prod/**", "--jobs-only", "--format", "json"]
    res = run("drift", "--repo", str(live.path), "--config", cfg, *narrowed)
    assert [j["unit"] for j in res.json()["jobs"]] == ["prod/app"]


def test_more_units_than_max_units_is_refused(live: GitRepo, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, "drift:\n  max_units: 3\n")
    res = run("drift", "--repo", str(live.path), "--config", cfg, "--jobs-only", "--format", "json")
    assert res.code == 2
    assert "4 units selected, more than drift.max_units (3)" in res.err and len(res.err.strip().splitlines()) == 1


def test_a_file_that_cannot_be_parsed_fails_closed(live: GitRepo) -> None:
    live.write("prod/app/terragrunt.hcl", "locals {\n")
    live.commit("broken")
    res = run("drift", "--repo", str(live.path), "--jobs-only", "--format", "json")
    assert res.code == 2 and "prod/app/terragrunt.hcl" in res.err


@pytest.mark.parametrize(
    ("drift", "expected"),
    [
        ("drift:\n  schedule: every day\n", "drift.schedule"),
        ("drift:\n  paths: [../elsewhere]\n", "drift.paths.0"),
        ("drift:\n  ignore: ['']\n", "drift.ignore.0"),
        ("drift:\n  max_units: 0\n", "drift.max_units"),
        ("drift:\n  shedule: '0 6 * * *'\n", "drift.shedule: unknown key"),
    ],
)
def test_bad_drift_config_exits_2_naming_file_line_and_key(
    live: GitRepo, tmp_path: Path, drift: str, expected: str
) -> None:
    cfg = write_config(tmp_path, drift)
    res = run("drift", "--repo", str(live.path), "--config", cfg, "--jobs-only", "--format", "json")
    assert res.code == 2
    [line] = res.err.strip().splitlines()
    assert f"{cfg}:4" in line and expected in line, line


def test_bad_path_option_and_missing_repos_exit_2(live: GitRepo) -> None:
    res = run("drift", "--repo", str(live.path), "--path", "/etc", "--jobs-only", "--format", "json")
    assert res.code == 2 and "--path" in res.err
    res = run("drift", "--repo", str(live.path))
    assert res.code == 2 and "--live-repo" in res.err


def test_a_config_of_another_live_repo_is_refused(live: GitRepo, tmp_path: Path) -> None:
    cfg = write_config(tmp_path, "")
    repos = ["--live-repo", "acme/other", "--pipelines-repo", "a/p"]
    res = run("drift", "--repo", str(live.path), "--config", cfg, *repos)
    assert res.code == 2 and "core.live_repo is acme/live, not --live-repo acme/other" in res.err
