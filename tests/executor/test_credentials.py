"""Jobs run with their account's role: the GitHub OIDC token from the local endpoint, AssumeRoleWithWebIdentity
through moto's STS, the credentials only in the tools' environment and masked in every log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from testing.cli import run
from testing.executor_fixtures import (
    TOOL_PYTHON,
    Standin,
    commit_change,
    execute,
    execute_job,
    job,
    results_by_id,
    write_config,
)
from testing.gitrepo import GitRepo

DEV = "non-prod/us-east-1/dev"
WHOAMI = (
    "import boto3, json, os, sys; "
    "sys.stderr.write('leaked ' + os.environ['AWS_SECRET_ACCESS_KEY'] + '\\n'); "
    "arn = boto3.client('sts').get_caller_identity()['Arn']; "
    "print(json.dumps({'caller': arn, 'oidc_request_token_visible': 'ACTIONS_ID_TOKEN_REQUEST_TOKEN' in os.environ}))"
)


def config_text(with_auth: bool = True) -> str:
    text = (
        "core:\n  steps: [terragrunt, whoami]\n  execution_defaults: {retry_delay_seconds: 0, parallelism: 4}\n"
        "command:\n  - name: whoami\n    depends_on: [terragrunt]\n    outputs_from_stdout: true\n"
        f"    argv: [{json.dumps(TOOL_PYTHON)}, -c, {json.dumps(WHOAMI)}]\n"
    )
    if with_auth:
        text += (
            "authentication:\n  region: eu-west-1\n  accounts:\n"
            "    non-prod: {account_id: '111122223333', plan_role: gwpipelines-plan, apply_role: gwpipelines-apply}\n"
        )
    return text


@pytest.fixture
def aws(aws_env: dict[str, str], standin: Standin) -> dict[str, str]:
    for key, value in aws_env.items():
        standin.monkeypatch.setenv(key, value)
    return aws_env


def test_plan_assumes_the_plan_role_and_masks_the_credentials(
    dev_live: GitRepo, tmp_path: Path, standin: Standin, aws: dict[str, str]
) -> None:
    cfg = write_config(tmp_path / "pipelines.yml", config_text())
    res = execute_job(dev_live, tmp_path / "r", f"{DEV}/vpc", "plan", "--config", str(cfg), "--pr", "42")
    assert res.code == 0, res.err
    (result,) = res.json()["results"]
    caller = result["outputs"]["caller"]
    assert caller.startswith("arn:aws:sts::111122223333:assumed-role/gwpipelines-plan/gw-")
    assert "-pr42-" in caller  # the session name says which pull request
    assert result["outputs"]["oidc_request_token_visible"] is False  # the tool cannot mint its own tokens
    assert "leaked ***" in result["log"]
    assert "credentials: assumed the plan role of account 'non-prod'" in result["log"]
    log_file = Path(json.loads((tmp_path / "r" / f"plan_{DEV.replace('/', '_')}_vpc.json").read_text())["log_path"])
    assert "leaked ***" in log_file.read_text() and "leaked testing" not in log_file.read_text()


def test_run_applies_with_the_apply_role_in_dependency_order(
    dev_live: GitRepo, tmp_path: Path, standin: Standin, aws: dict[str, str]
) -> None:
    """The issue's "done when": `gwpipelines run` on a repo from the live template applies in dependency order,
    with credentials from the local OIDC endpoint through moto STS."""
    cfg = write_config(tmp_path / "pipelines.yml", config_text())
    args = ["--repo", str(dev_live.path), "--base", "HEAD~1", "--head", "main", "--event", "push"]
    res = run("run", *args, "--config", str(cfg), "--results-dir", str(tmp_path / "r"), "--format", "json")
    assert res.code == 0, res.err
    results = results_by_id(res)
    assert len(results) == 5 and all(r["status"] == "succeeded" for r in results.values())
    for r in results.values():
        assert "/gwpipelines-apply/" in r["outputs"]["caller"], [x["outputs"]["caller"] for x in results.values()]
        assert "AWS_REGION" not in r["log"]
    assert standin.applied() == sorted(f"{DEV}/{u}" for u in ("app", "bastion", "mysql", "redis", "vpc"))


def test_without_authentication_no_role_is_assumed(
    dev_live: GitRepo, tmp_path: Path, standin: Standin, aws: dict[str, str]
) -> None:
    cfg = write_config(tmp_path / "pipelines.yml", config_text(with_auth=False))
    res = execute_job(dev_live, tmp_path / "r", f"{DEV}/vpc", "plan", "--config", str(cfg))
    assert res.code == 0, res.err
    (result,) = res.json()["results"]
    assert "no role assumed (pipelines.yml has no authentication section)" in result["log"]
    assert "assumed-role" not in result["outputs"]["caller"]  # the environment's own (dummy) keys


def test_an_account_without_roles_is_refused_before_anything_runs(
    dev_live: GitRepo, tmp_path: Path, standin: Standin, aws: dict[str, str]
) -> None:
    cfg = write_config(tmp_path / "pipelines.yml", config_text())
    prod = {**job(f"{DEV}/vpc", "plan", dev_live.head()), "account": "prod"}
    res = execute(dev_live.path, tmp_path / "r", "--config", str(cfg), "--job", json.dumps(prod))
    assert res.code == 2
    assert "account: 'prod' has no roles in pipelines.yml; add authentication.accounts.prod" in res.err
    assert not (tmp_path / "r").exists()


def test_a_refused_token_fails_the_job_and_says_why(
    dev_live: GitRepo, tmp_path: Path, standin: Standin, aws: dict[str, str], oidc_server: Any
) -> None:
    oidc_server.fail_next(5, status=403)  # the workflow lacks `id-token: write`
    cfg = write_config(tmp_path / "pipelines.yml", config_text())
    one = json.dumps(job(f"{DEV}/vpc", "plan", dev_live.head()))
    res = execute(dev_live.path, tmp_path / "r", "--config", str(cfg), "--job", one)
    assert res.code == 1
    (result,) = res.json()["results"]
    assert result["status"] == "failed" and result["failure"].startswith("could not assume the role for 'non-prod'")
    assert "403" in result["failure"] or "id-token" in result["failure"], result["failure"]
    assert not (standin.state_dir / DEV / "vpc").exists()  # the tool never ran


def test_done_when_pull_request_plans_then_merge_applies_with_oidc_roles(
    dev_live: GitRepo, tmp_path: Path, standin: Standin, aws: dict[str, str]
) -> None:
    """Issue 3's "done when", in one story on a repo from the live template: the units exist; a pull request
    (bigger database, a removed bastion, a new queue) is planned with the plan role; once merged it is applied with
    the apply role, in dependency order, the removed unit destroyed at the base commit."""
    cfg = write_config(tmp_path / "pipelines.yml", config_text())
    common = ["--repo", str(dev_live.path), "--config", str(cfg), "--format", "json"]
    first = run(
        "run", *common, "--base", "HEAD~1", "--head", "main", "--event", "push", "--results-dir", str(tmp_path / "0")
    )
    assert first.code == 0, first.err
    base = dev_live.head()
    head = commit_change(dev_live)
    plan = run(
        "run", *common, "--base", base, "--head", head, "--event", "pull_request", "--results-dir", str(tmp_path / "p")
    )
    assert plan.code == 0, plan.err
    planned = results_by_id(plan)
    assert all("/gwpipelines-plan/" in r["outputs"]["caller"] for r in planned.values())
    assert planned[f"plan-destroy:{DEV}/bastion"]["summary"]["destroy"] == 2
    dev_live.git("checkout", "-q", "main")
    dev_live.git("merge", "-q", "--ff-only", "change")
    apply = run(
        "run", *common, "--base", base, "--head", "main", "--event", "push", "--results-dir", str(tmp_path / "a")
    )
    assert apply.code == 0, apply.err
    applied = results_by_id(apply)
    assert all("/gwpipelines-apply/" in r["outputs"]["caller"] for r in applied.values())
    assert set(applied) >= {f"destroy:{DEV}/bastion", f"apply:{DEV}/sqs", f"apply:{DEV}/mysql", f"apply:{DEV}/app"}
    assert standin.state(f"{DEV}/bastion")["resources"] == []  # type: ignore[index]
