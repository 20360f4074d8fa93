"""`gwpipelines execute` as DESIGN.md words it: `{"results": [...]}` with exactly the listed keys, exit 1 when a job
failed (every result still printed), exit 2 with one line naming the field when any job is refused, and then
nothing run at all: not even the batch's valid jobs. The stand-in terragrunt is a separate process, so the JSON
on stdout is checked from a separate process too."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from testing.cli import Result
from testing.executor_fixtures import Standin, execute, job
from testing.gitrepo import GitRepo
from tests.contract.contract import keys, one_error_line, only_json, subprocess_run

DEV = "non-prod/us-east-1/dev"
VPC = f"{DEV}/vpc"
RESULT_KEYS = ["id", "unit", "action", "status", "summary", "outputs", "log", "seconds"]


def nothing_ran(standin: Standin, results: Path) -> None:
    assert standin.applied() == []
    assert not results.exists() or not any(results.iterdir())


def test_results_json_from_a_separate_process(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    jobs = [job(VPC, "plan", dev_live.head()), job(f"{DEV}/redis", "plan", dev_live.head())]
    res = subprocess_run(
        "execute", "--repo", str(dev_live.path), "--jobs-file", "-", "--results-dir", str(tmp_path / "r"),
        input_text=json.dumps(jobs),
    )  # fmt: skip
    assert res.code == 0, res.err
    data = only_json(res)  # JSON by default; terragrunt's own output went to the log, not to stdout
    keys(data, ["results"], harmless_extra=("notices",))  # notices only when there are any (no separate user)
    assert all(isinstance(n, str) for n in data.get("notices", []))
    for result in data["results"]:
        keys(result, RESULT_KEYS)
        assert result["status"] in ("succeeded", "failed", "skipped")
        keys(result["summary"], ["add", "change", "destroy", "replace"])
        assert all(isinstance(v, int) for v in result["summary"].values())
        assert isinstance(result["outputs"], dict) and isinstance(result["log"], str)
        assert isinstance(result["seconds"], (int, float))
    assert [r["id"] for r in data["results"]] == [f"plan:{VPC}", f"plan:{DEV}/redis"]
    assert "gwpipelines: running 2 job(s)" in res.err


def test_a_failed_job_exits_1_with_every_result_printed(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    standin.faults({VPC: {"command": "plan", "mode": "fail", "message": "AccessDenied"}})
    jobs = [job(VPC, "plan", dev_live.head()), job(f"{DEV}/redis", "plan", dev_live.head())]
    res = execute(dev_live.path, tmp_path / "r", "--job", json.dumps(jobs))
    assert res.code == 1
    results = {r["id"]: r for r in only_json(res)["results"]}
    assert results[f"plan:{VPC}"]["status"] == "failed"
    assert results[f"plan:{DEV}/redis"]["status"] == "succeeded"
    # The failed result carries one extra key, `failure`: the reason in words (harmless to a reader of the keys).
    keys(results[f"plan:{VPC}"], RESULT_KEYS, harmless_extra=("failure",))
    assert res.err.splitlines()[-1].startswith("gwpipelines: error: 1 job(s) failed")


def hostile(live: GitRepo, **change: Any) -> dict[str, Any]:
    data = job(VPC, "plan", live.head())
    data.update(change)
    return data


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"evil": "rm -rf /"}, "evil: unknown field"),
        ({"ref": "HEAD"}, "ref:"),
        ({"ref": "1234567"}, "ref:"),
        ({"ref": "g" * 40}, "ref:"),
        ({"unit": "../outside"}, "unit:"),
        ({"unit": f"{DEV}/../../../../etc"}, "unit:"),
        ({"unit": "/etc"}, "unit:"),
        ({"unit": f"{DEV}/./vpc"}, "unit:"),
        ({"action": "shell"}, "action:"),
        ({"action": "apply", "unit": None}, "unit:"),
        ({"id": "plan:x; rm -rf /"}, "id:"),
        ({"wave": "0"}, "wave:"),
        ({"needs": "plan:x"}, "needs:"),
    ],
)
def test_a_hostile_job_is_refused_naming_the_field(
    dev_live: GitRepo, tmp_path: Path, standin: Standin, change: dict[str, Any], field: str
) -> None:
    # A valid job first in the batch: it must not run either.
    jobs = [job(f"{DEV}/redis", "plan", dev_live.head()), hostile(dev_live, **change)]
    res = execute(dev_live.path, tmp_path / "r", "--job", json.dumps(jobs))
    one_error_line(res, 2, field)
    nothing_ran(standin, tmp_path / "r")


def test_a_unit_reached_through_a_symlink_is_refused(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    outside = tmp_path / "outside"
    (outside / "evil").mkdir(parents=True)
    (outside / "evil" / "terragrunt.hcl").write_text('terraform {\n  source = "/tmp/anything"\n}\n')
    os.symlink(outside, dev_live.path / "linked")
    os.symlink(outside / "evil", dev_live.path / DEV / "evil")
    dev_live.commit("symlinks")
    for unit in ("linked/evil", f"{DEV}/evil"):
        res = execute(dev_live.path, tmp_path / "r", "--job", json.dumps(job(unit, "plan", dev_live.head())))
        line = one_error_line(res, 2, "unit:")
        assert "symbolic link" in line
    nothing_ran(standin, tmp_path / "r")


def test_apply_of_a_commit_not_on_the_default_branch_is_refused(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    dev_live.git("checkout", "-q", "-b", "feature")
    dev_live.append(f"{VPC}/terragrunt.hcl", "\n# unmerged\n")
    unmerged = dev_live.commit("not merged")
    for action in ("apply", "destroy"):
        res = execute(dev_live.path, tmp_path / "r", "--job", json.dumps(job(VPC, action, unmerged)))
        line = one_error_line(res, 2, "ref:", "default branch")
        assert unmerged[:12] in line
    nothing_ran(standin, tmp_path / "r")


def test_a_commit_missing_from_the_checkout_is_refused(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    res = execute(dev_live.path, tmp_path / "r", "--job", json.dumps(job(VPC, "plan", "a" * 40)))
    one_error_line(res, 2, "ref:", "a" * 40)
    nothing_ran(standin, tmp_path / "r")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        ((), ("--job",)),
        (("--job", "{not json"), ("--job", "line 1")),
        (("--job", "[]", "--jobs-file", "x.json"), ("--job",)),
        (("--jobs-file", "missing.json"), ("missing.json",)),
    ],
)
def test_bad_invocations_are_one_line_exit_2(
    dev_live: GitRepo, tmp_path: Path, standin: Standin, args: tuple[str, ...], words: tuple[str, ...]
) -> None:
    res: Result = execute(dev_live.path, tmp_path / "r", *args)
    one_error_line(res, 2, *words)
    nothing_ran(standin, tmp_path / "r")
