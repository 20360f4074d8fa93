"""The issue's "done when", through the public CLI: a pull request adding an account gets an account-plan result;
the merge creates exactly one account (moto behind the AWS-like proxy, credentials from the local OIDC endpoint
through STS) and opens exactly one baseline pull request (GitHub test server) whose files pass `units`/`graph`;
running the same merge event again changes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from gwpipelines.trust_policy import APPLY_ENVIRONMENT, FACTORY_PLAN_ENVIRONMENT, TrustSettings, render
from testing import LIVE_TEMPLATE, ROOT
from testing.account_fixtures import Org
from testing.aws_fixtures import aws_client
from testing.cli import Result, run
from testing.gitrepo import GitRepo
from testing.servers.oidc import GithubContext, OidcServer
from testing.servers.sts_gate import StsGate
from tests.extensions.account_factory.test_baseline_pr import LIVE, REQUESTED, live_files

BRANCH = "gwpipelines/account-sandbox"
# Both runs are workflow_dispatches on the pipelines repo's main; the merge's run its account-create in the apply
# environment.
# The factory's account-plan runs in its own environment, which the management account's plan role trusts.
PLAN_JOB = GithubContext(environment=FACTORY_PLAN_ENVIRONMENT)
APPLY_JOB = GithubContext(environment=APPLY_ENVIRONMENT)
CONFIG = """
core:
  live_repo: acme/infrastructure-live
  execution_defaults: {max_attempts: 1, retry_delay_seconds: 0, timeout_seconds: 60}
authentication:
  accounts:
    management: {account_id: "123456789012", plan_role: org-plan, apply_role: org-apply}
account_factory:
  - name: account-factory
    pipelines_repo: acme/infrastructure-pipelines
    template: account-baseline
    github_throttle: false
    poll_seconds: 0.01
"""


@pytest.fixture
def environment(
    aws_env: dict[str, str], org: Org, sts_gate: StsGate, github_server: Any, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The management account's roles exist in (moto's) IAM with the shipped trust policies, and STS checks the
    OIDC token against them (the gate), as AWS does."""
    iam = aws_client("iam", aws_env)
    iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
    )
    trust = TrustSettings(
        account_id="123456789012",
        pipelines_repo="acme/infrastructure-pipelines",
        account_name="management",
        account_factory=True,
    )
    for kind in ("plan", "apply"):
        iam.create_role(RoleName=f"org-{kind}", AssumeRolePolicyDocument=render(kind, trust))
    env = {
        **aws_env,
        "AWS_ENDPOINT_URL_STS": sts_gate.url,
        "AWS_ENDPOINT_URL_ORGANIZATIONS": org.proxy.url,
        "GITHUB_API_URL": github_server.url,
        "GWPIPELINES_ACCOUNT_FACTORY_TOKEN": "live-repo-token",
        "GITHUB_TOKEN": "must-not-reach-extensions",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    github_server.add_repo(LIVE, files=live_files())
    return env


def execute(live: GitRepo, config: Path, jobs: list[dict[str, Any]], tmp: Path, *extra: str) -> Result:
    tmp.mkdir(parents=True, exist_ok=True)
    jobs_file = tmp / "jobs.json"
    jobs_file.write_text(json.dumps(jobs))
    results = tmp / "results"
    return run(
        "execute", "--repo", str(live.path), "--jobs-file", str(jobs_file), "--config", str(config),
        "--results-dir", str(results), "--format", "json", *extra,
    )  # fmt: skip


def orchestrate(live: GitRepo, base: str, head: str, event: str) -> dict[str, Any]:
    res = run("orchestrate", "--repo", str(live.path), "--base", base, "--head", head, "--event", event, "--format",
              "json")  # fmt: skip
    assert res.code == 0, res.err
    data: dict[str, Any] = res.json()
    return data


def requested(tmp_path: Path) -> tuple[Path, GitRepo, str, str]:
    """pipelines.yml, and a live repo whose branch `add-sandbox` requests the account: (config, live, main, head)."""
    pipelines = tmp_path / "pipelines"  # the pipelines repo's checkout: pipelines.yml next to account-baseline/
    shutil.copytree(ROOT / "infrastructure-pipelines-template" / "account-baseline", pipelines / "account-baseline")
    config = pipelines / "pipelines.yml"
    config.write_text(CONFIG)
    live = GitRepo.from_tree(LIVE_TEMPLATE, tmp_path / "live")
    main = live.head()
    live.git("checkout", "-q", "-b", "add-sandbox")
    live.write("accounts.yml", REQUESTED)
    return config, live, main, live.commit("request the sandbox account")


def test_pull_request_plan_then_merge_creates_one_account_and_one_baseline_pull(
    tmp_path: Path, environment: dict[str, str], org: Org, github_server: Any, oidc_server: OidcServer
) -> None:
    config, live, main, head = requested(tmp_path)

    # The pull request: one account-plan job, which shows what will be created and creates nothing.
    oidc_server.context = PLAN_JOB  # the pipelines run dispatched for the pull request
    pr = orchestrate(live, main, head, "pull_request")
    assert [(j["action"], j["account"]) for j in pr["jobs"]] == [("account-plan", "sandbox")]
    planned = execute(live, config, pr["jobs"], tmp_path / "pr", "--pr", "7")
    assert planned.code == 0, planned.out + planned.err
    [plan] = planned.json()["results"]
    assert plan["status"] == "succeeded" and plan["summary"]["add"] == 1
    assert plan["outputs"]["organizational_unit_id"] == org.ous["workloads/non-prod"]
    assert "will create AWS account sandbox" in plan["log"]
    assert "assumed the plan role of account 'management'" in plan["log"]
    assert [a["Name"] for a in org.accounts()] == ["master"]

    # The merge: account-create at the merge commit on main.
    live.git("checkout", "-q", "main")
    live.git("merge", "-q", "--no-ff", "-m", "Merge pull request #7 from acme/add-sandbox", "add-sandbox")
    merged = live.head()
    github_server.add_pull(LIVE, 7, head, main, "add-sandbox", merged_sha=merged)
    oidc_server.context = APPLY_JOB  # the apply job of the run dispatched for the merge
    push = orchestrate(live, main, merged, "push")
    assert [(j["action"], j["account"]) for j in push["jobs"]] == [("account-create", "sandbox")]
    created = execute(live, config, push["jobs"], tmp_path / "merge")
    assert created.code == 0, created.out + created.err
    [result] = created.json()["results"]
    assert result["status"] == "succeeded" and result["summary"]["add"] == 1, result
    assert "assumed the apply role of account 'management'" in result["log"]
    [account] = [a for a in org.accounts() if a["Name"] == "sandbox"]
    assert result["outputs"]["account_id"] == account["Id"]
    [pull] = [p for p in github_server.pulls(LIVE) if p.head_ref == BRANCH]
    assert result["outputs"]["baseline_pr_number"] == pull.number and "#7" in (pull.body or "")

    # The baseline pull request's files are a live repo the orchestrator accepts.
    proposed = GitRepo.init(tmp_path / "proposed")
    for path, content in github_server.files(LIVE, BRANCH).items():
        (proposed.path / path).parent.mkdir(parents=True, exist_ok=True)
        (proposed.path / path).write_bytes(content)
    proposed.commit("baseline")
    units = run("units", "--repo", str(proposed.path), "--format", "json")
    assert units.code == 0, units.err
    assert [u for u in units.json()["units"] if u.startswith("sandbox/")] == [
        "sandbox/_global/github-oidc-provider",
        "sandbox/_global/iam-account",
        "sandbox/_global/pipelines-apply-policy",
        "sandbox/_global/pipelines-apply-role",
        "sandbox/_global/pipelines-plan-policy",
        "sandbox/_global/pipelines-plan-role",
    ]
    graph = run("graph", "--repo", str(proposed.path), "--format", "json")
    assert graph.code == 0, graph.err
    account_hcl = (proposed.path / "sandbox/account.hcl").read_text()
    assert f'aws_account_id = "{account["Id"]}"' in account_hcl

    # The same merge event again: nothing new anywhere.
    writes = len(github_server.posts)
    again = execute(live, config, push["jobs"], tmp_path / "again")
    assert again.code == 0, again.out + again.err
    [second] = again.json()["results"]
    assert second["outputs"]["account_id"] == account["Id"] and second["outputs"]["created"] is False
    assert second["outputs"]["baseline_pr_number"] == pull.number
    assert [a["Name"] for a in org.accounts()].count("sandbox") == 1 and len(org.proxy.create_calls) == 1
    assert len([p for p in github_server.pulls(LIVE) if p.head_ref == BRANCH]) == 1
    assert len(github_server.posts) == writes


def test_account_create_is_refused_for_a_commit_not_on_main(tmp_path: Path, environment: dict[str, str], org: Org):
    config, live, main, head = requested(tmp_path)
    job = dict(orchestrate(live, main, head, "pull_request")["jobs"][0], action="account-create")
    job["id"] = "account-create:sandbox"
    refused = execute(live, config, [job], tmp_path / "x")
    assert refused.code == 2 and "not on the default branch" in refused.err
    assert org.proxy.create_calls == []
