"""`gwpipelines dispatch` as DESIGN.md words it, against the local GitHub server: `{"runs": [{"jobs", "run_id",
"html_url", "conclusion"}], "comment_url", "issue_urls"}` (JSON by default, and with `--format json`), exit 1 when a
run failed, exit 2 on one line for bad input; the orchestrate JSON goes in as a file or on stdin."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from testing import dispatch_harness as harness
from testing.cli import Result, run
from testing.dispatch_harness import PIPELINES, Pipelines, setup
from testing.github_server import GitHubServer
from testing.gitrepo import GitRepo
from tests.contract.contract import keys, one_error_line, only_json

PR = 5


@pytest.fixture
def orchestration(tmp_path: Path) -> dict[str, Any]:
    r = GitRepo.init(tmp_path / "live")
    r.write("vpc/terragrunt.hcl", "inputs = {}\n")
    r.write("app/terragrunt.hcl", "inputs = {}\n")
    base = r.commit("initial")
    r.write("vpc/terragrunt.hcl", 'inputs = {\n  cidr = "10.0.0.0/16"\n}\n')
    r.write("app/terragrunt.hcl", 'dependency "vpc" {\n  config_path = "../vpc"\n}\n')
    r.commit("change")
    res = run("orchestrate", "--repo", str(r.path), "--base", base, "--head", "HEAD", "--event", "pull_request",
              "--format", "json")  # fmt: skip
    assert res.code == 0, res.err
    data: dict[str, Any] = res.json()
    return data


def dispatch(tmp_path: Path, o: Any, *extra: str) -> Result:
    return harness.dispatch(tmp_path, o, "--pr", str(PR), *extra)


def check_shape(out: Any) -> None:
    keys(out, ["runs", "comment_url", "issue_urls"])
    assert out["runs"]
    for r in out["runs"]:
        keys(r, ["jobs", "run_id", "html_url", "conclusion"])
        assert all(isinstance(j, str) for j in r["jobs"]) and isinstance(r["run_id"], int)
        assert isinstance(r["html_url"], str) and isinstance(r["conclusion"], str)
    assert isinstance(out["comment_url"], str) and isinstance(out["issue_urls"], list)


@pytest.mark.parametrize("fmt", [(), ("--format", "json")])
def test_runs_json_by_default_and_with_format_json(
    env: GitHubServer, orchestration: dict[str, Any], tmp_path: Path, fmt: tuple[str, ...]
) -> None:
    setup(env, pr=PR, head=orchestration["head"], base=orchestration["base"])
    Pipelines(env)
    res = dispatch(tmp_path, orchestration, "--repo", str(tmp_path), *fmt)
    assert res.code == 0, res.err
    out = only_json(res)
    check_shape(out)
    assert [j for r in out["runs"] for j in r["jobs"]] == [j["id"] for j in orchestration["jobs"]]
    assert all(r["conclusion"] == "success" for r in out["runs"])


def test_a_failed_run_exits_1_with_the_json_printed(
    env: GitHubServer, orchestration: dict[str, Any], tmp_path: Path
) -> None:
    setup(env, pr=PR, head=orchestration["head"], base=orchestration["base"])
    Pipelines(env, fail_units={"vpc"})
    res = dispatch(tmp_path, orchestration)
    assert res.code == 1
    out = only_json(res)
    check_shape(out)
    assert "failure" in {r["conclusion"] for r in out["runs"]}


def test_bad_input_is_one_line_exit_2(
    env: GitHubServer, orchestration: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_error_line(dispatch(tmp_path, orchestration, "--sha", "xyz"), 2, "--pr")
    one_error_line(dispatch(tmp_path, {"jobs": "none"}, "--format", "json"), 2)
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(orchestration)))
    bad_repo = run("dispatch", "-", "--live-repo", "not-a-repo", "--pipelines-repo", PIPELINES)
    one_error_line(bad_repo, 2, "--live-repo")
