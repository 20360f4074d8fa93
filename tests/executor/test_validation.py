"""Every job is hostile input: each refusal exits 2 with one line naming the job and field, and nothing runs."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from testing import LIVE_TEMPLATE
from testing.executor_fixtures import Standin, execute, job
from testing.gitrepo import GitRepo

VPC = "non-prod/us-east-1/dev/vpc"


@pytest.fixture(scope="module")
def shared_live(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """One template repo for the refusals that never change it (nothing runs when a job is refused)."""
    return GitRepo.from_tree(LIVE_TEMPLATE, tmp_path_factory.mktemp("shared") / "live")


def refused(live: GitRepo, tmp_path: Path, jobs: Any, field: str) -> str:
    results = tmp_path / "results"
    res = execute(live.path, results, "--job", json.dumps(jobs))
    assert res.code == 2, (res.code, res.out, res.err)
    lines = res.err.strip().splitlines()
    assert len(lines) == 1, res.err
    assert f"{field}:" in lines[0], lines[0]
    assert res.out == ""
    assert not results.exists()  # nothing ran: no result file, no log
    return lines[0]


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"extra": 1}, "extra", "unknown field"),
        ({"ref": "abc123"}, "ref", "40-character"),
        ({"ref": "A" * 40}, "ref", "40-character"),
        ({"unit": "../outside"}, "unit", ".."),
        ({"unit": "non-prod/../../etc"}, "unit", ".."),
        ({"unit": "/etc/passwd"}, "unit", "absolute"),
        ({"unit": "non-prod//us-east-1/dev/vpc"}, "unit", "normalised"),
        ({"unit": "non-prod/./us-east-1"}, "unit", "normalised"),
        ({"unit": ".git/hooks"}, "unit", "hidden"),
        ({"action": "rm-rf"}, "action", "one of plan, plan-destroy, apply, destroy, account-plan, account-create"),
        ({"action": "account-create", "unit": VPC}, "unit", "has no unit"),
        ({"unit": None}, "unit", "needs a unit"),
        ({"id": "x; rm -rf /"}, "id", "invalid"),
        ({"needs": "apply:a"}, "needs", "tuple"),
        ({"wave": "1"}, "wave", "integer"),
        ({"account": "Prod Account"}, "account", "invalid"),
    ],
)
def test_schema_refusals(shared_live: GitRepo, tmp_path: Path, change: dict[str, Any], field: str, says: str):
    line = refused(shared_live, tmp_path, {**job(VPC, "plan", shared_live.head()), **change}, field)
    assert says in line


def test_the_line_names_the_job(live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    jobs = [job(VPC, "plan", live.head()), job("non-prod/us-east-1/dev/app", "plan", "f" * 7)]
    line = refused(live, tmp_path, jobs, "ref")
    assert "job 1 (plan:non-prod/us-east-1/dev/app)" in line


def test_unknown_commit_refused(live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    line = refused(live, tmp_path, job(VPC, "plan", "0123456789" * 4), "ref")
    assert "not in the live repository" in line


def test_missing_unit_refused(live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    line = refused(live, tmp_path, job("non-prod/us-east-1/dev/nope", "plan", live.head()), "unit")
    assert "not a directory" in line


def test_symlink_escape_refused(live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    outside = tmp_path / "outside"
    (outside / "unit").mkdir(parents=True)
    (outside / "unit" / "terragrunt.hcl").write_text("inputs = {}\n")
    os.symlink(outside, live.path / "escape")
    sha = live.commit("a symlink out of the repo")
    line = refused(live, tmp_path, job("escape/unit", "plan", sha), "unit")
    assert "symbolic link" in line
    # A symlinked terragrunt.hcl inside a real directory is refused too.
    (live.path / "sneaky").mkdir()
    os.symlink(outside / "unit" / "terragrunt.hcl", live.path / "sneaky" / "terragrunt.hcl")
    sha = live.commit("a symlinked config")
    assert "symbolic link" in refused(live, tmp_path, job("sneaky", "plan", sha), "unit")


@pytest.mark.parametrize("action", ["apply", "destroy"])
def test_apply_only_from_the_default_branch(live: GitRepo, tmp_path: Path, standin: Standin, action: str) -> None:
    live.git("checkout", "-q", "-b", "feature")
    live.append(f"{VPC}/terragrunt.hcl", "# change\n")
    sha = live.commit("unmerged change")
    line = refused(live, tmp_path, job(VPC, action, sha), "ref")
    assert "not on the default branch 'main'" in line
    # The same commit may be planned.
    res = execute(live.path, tmp_path / "ok", "--job", json.dumps(job(VPC, "plan", sha)))
    assert res.code == 0, res.err


def test_apply_refused_when_the_remote_default_branch_lacks_the_commit(
    live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    """origin/main is the truth when the checkout has it: a local main moved by hand does not count."""
    base = live.head()
    live.git("update-ref", "refs/remotes/origin/main", base)
    live.append(f"{VPC}/terragrunt.hcl", "# local only\n")
    sha = live.commit("committed on local main, never pushed")
    assert "not on the default branch" in refused(live, tmp_path, job(VPC, "apply", sha), "ref")


@pytest.mark.parametrize(
    ("jobs", "field"),
    [
        ("not json", "--job"),
        ("[1]", "job 0"),
        ('"a string"', "--job"),
    ],
)
def test_malformed_json_refused(live: GitRepo, tmp_path: Path, standin: Standin, jobs: str, field: str) -> None:
    res = execute(live.path, tmp_path / "r", "--job", jobs)
    assert res.code == 2 and len(res.err.strip().splitlines()) == 1 and field in res.err


def test_duplicate_ids_and_cycles_refused(live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    sha = live.head()
    assert "duplicate" in refused(live, tmp_path, [job(VPC, "plan", sha), job(VPC, "plan", sha)], "id")
    a = job(VPC, "plan", sha, needs=["plan:b"])
    b = job("b", "plan", sha, id="plan:b", needs=[f"plan:{VPC}"])
    assert "cycle" in refused(live, tmp_path, [a, b], "needs")


def test_one_bad_job_stops_the_whole_batch(live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    good = job(VPC, "plan", live.head())
    bad = {**job("non-prod/us-east-1/dev/app", "apply", live.head()), "unit": "../x"}
    refused(live, tmp_path, [good, bad], "unit")
    assert standin.applied() == []


def test_jobs_file_takes_orchestrate_output(live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps({"base": "x", "jobs": [job(VPC, "plan", live.head())]}))
    res = execute(live.path, tmp_path / "results", "--jobs-file", str(path))
    assert res.code == 0, res.err
    assert [r["id"] for r in res.json()["results"]] == [f"plan:{VPC}"]
    both = execute(live.path, tmp_path / "r2", "--jobs-file", str(path), "--job", "{}")
    assert both.code == 2 and "exactly one" in both.err


def test_destroy_only_for_units_deleted_on_the_default_branch(live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    """Safety first: a destroy job (even at a commit on main) for a unit that still exists on main is refused."""
    line = refused(live, tmp_path, job(VPC, "destroy", live.head()), "action")
    assert f"unit '{VPC}' still exists on 'main'" in line


def test_live_repo_must_match_the_config(live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    config = tmp_path / "pipelines.yml"
    config.write_text("core:\n  live_repo: acme/infrastructure-live\n")
    one = json.dumps(job(VPC, "plan", live.head()))
    other = execute(live.path, tmp_path / "r", "--job", one, "--config", str(config), "--live-repo", "evil/fork")
    assert other.code == 2 and "--live-repo: evil/fork is not the live repository of pipelines.yml" in other.err
    same = execute(
        live.path, tmp_path / "r", "--job", one, "--config", str(config), "--live-repo", "Acme/Infrastructure-Live"
    )
    assert same.code == 0, same.err


def test_a_commit_on_no_branch_is_refused(live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    """A fork's pull-request head is fetched as refs/pull/N/head only: it is on no branch of the live repo."""
    live.git("checkout", "-q", "-b", "fork-pr")
    live.append(f"{VPC}/terragrunt.hcl", "# from a fork\n")
    sha = live.commit("fork change")
    live.git("update-ref", "refs/pull/7/head", sha)
    live.git("checkout", "-q", "main")
    live.git("branch", "-q", "-D", "fork-pr")
    line = refused(live, tmp_path, job(VPC, "plan", sha), "ref")
    assert "is on no branch of the live repository" in line
