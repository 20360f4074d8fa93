from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from gwpipelines import accounts
from gwpipelines.dispatcher.comment import render_comment
from gwpipelines.extensions.account_factory.extension import AccountFactoryConfig, AccountFactoryExtension
from gwpipelines.extensions.base import ExtensionError, Outcome, Step
from gwpipelines.models.results import JobResult, Status
from gwpipelines.orchestrator import orchestrate
from testing import LIVE_TEMPLATE, ROOT
from testing.account_fixtures import Org
from testing.gitrepo import GitRepo
from tests.extensions.account_factory.test_baseline_pr import LIVE, REQUESTED, live_files

PIPELINES = "acme/infrastructure-pipelines"


@pytest.fixture
def live(tmp_path: Path) -> GitRepo:
    repo = GitRepo.from_tree(LIVE_TEMPLATE, tmp_path / "live")
    repo.write("accounts.yml", REQUESTED)
    repo.commit("request the sandbox account")
    return repo


@pytest.fixture
def env(org: Org, github_server: Any, live: GitRepo) -> dict[str, str]:
    github_server.add_repo(LIVE, files=live_files())
    github_server.add_pull(LIVE, 7, live.head(), live.git("rev-parse", "HEAD~1"), "add-sandbox", merged_sha=live.head())
    return {
        "AWS_ENDPOINT_URL_ORGANIZATIONS": org.proxy.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "GITHUB_API_URL": github_server.url,
        "GITHUB_REPOSITORY": PIPELINES,
        "GITHUB_WORKSPACE": str(ROOT / "infrastructure-pipelines-template"),
        "GWPIPELINES_LIVE_REPO": LIVE,
        "GWPIPELINES_ACCOUNT_FACTORY_TOKEN": "live-repo-token",
    }


def baseline_pulls(github_server: Any) -> list[Any]:
    return [p for p in github_server.pulls(LIVE) if p.head_ref == "gwpipelines/account-sandbox"]


def run(
    action: str, checkout: Path, env: dict[str, str], timeout: int = 60, **settings: Any
) -> tuple[Outcome, dict[str, Any], str]:
    """The extension through its whole lifecycle, as the executor drives it."""
    config = AccountFactoryConfig(
        **{"name": "account-factory", "github_throttle": False, "poll_seconds": 0.01, **settings}
    )
    ext = AccountFactoryExtension("account-factory", config, None)
    lines: list[str] = []
    step = Step(action, None, "sandbox", checkout, env, lines.append, timeout)
    try:
        ext.initialize(step)
        outcome = ext.execute(step)
        return outcome, ext.get_output_data(), "\n".join(lines)
    finally:
        ext.cleanup()


def test_account_plan_shows_what_will_be_created_and_changes_nothing(org: Org, live: GitRepo, env: Any) -> None:
    outcome, outputs, log = run("account-plan", live.path, env)
    assert outcome.ok and outcome.summary.add == 1
    assert outcome.resources == ("aws_organizations_account.sandbox",)
    assert outputs["organizational_unit_id"] == org.ous["workloads/non-prod"] and outputs["region"] == "us-east-1"
    assert "will create AWS account sandbox (aws+sandbox@acme.example.com)" in outcome.message
    assert "  + aws_organizations_account.sandbox" in log
    assert [a["Name"] for a in org.accounts()] == ["master"] and org.proxy.create_calls == []


def test_the_sticky_comment_shows_the_account_plan(org: Org, live: GitRepo, env: Any) -> None:
    orchestration = orchestrate(live.path, "HEAD~1", "HEAD", "pull_request")
    [job] = orchestration.jobs
    assert (job.action, job.account) == ("account-plan", "sandbox")
    outcome, outputs, log = run(str(job.action), live.path, env)
    result = JobResult(job.id, None, str(job.action), Status.SUCCEEDED, outcome.summary, outputs, log)
    [body] = render_comment(orchestration, {job.id: result})
    assert "| AccountAdded | `sandbox` | account-plan | succeeded | +1 ~0 -0 |" in body
    assert "will create AWS account sandbox (aws+sandbox@acme.example.com) in organizational unit" in body
    assert "email               = aws+sandbox@acme.example.com" in body


def test_account_plan_fails_for_a_taken_email(org: Org, live: GitRepo, env: Any) -> None:
    org.direct.create_account(Email="aws+sandbox@acme.example.com", AccountName="someone-else")
    outcome, outputs, _ = run("account-plan", live.path, env)
    assert not outcome.ok and "already used by account someone-else" in outcome.message
    assert outputs["problems"] and outcome.summary.add == 0


def test_account_create_makes_one_account_and_one_baseline_pull_and_is_idempotent(
    org: Org, live: GitRepo, env: Any, github_server: Any
) -> None:
    org.proxy.in_progress_polls = 2
    outcome, outputs, log = run("account-create", live.path, env)
    assert outcome.ok, outcome.message
    assert outcome.summary.add == 1 and outputs["created"] is True
    [made] = [a for a in org.accounts() if a["Name"] == "sandbox"]
    assert outputs["account_id"] == made["Id"]
    assert org.direct.list_parents(ChildId=made["Id"])["Parents"][0]["Id"] == org.ous["workloads/non-prod"]
    [pull] = baseline_pulls(github_server)
    assert outputs["baseline_pr_number"] == pull.number and "#7" in (pull.body or "")
    files = github_server.files(LIVE, "gwpipelines/account-sandbox")
    assert f'aws_account_id = "{made["Id"]}"' in files["sandbox/account.hcl"].decode()
    apply_role = files["sandbox/_global/pipelines-apply-role/terragrunt.hcl"].decode()
    assert f'"repo:{PIPELINES}:environment:gwpipelines-apply"' in apply_role
    assert f"arn:aws:iam::{made['Id']}:oidc-provider/token.actions.githubusercontent.com" in apply_role
    assert "baseline pull request opened" in log

    writes = len(github_server.posts)
    again, again_outputs, again_log = run("account-create", live.path, env)
    assert again.ok and again.summary.add == 0
    assert again_outputs["account_id"] == made["Id"] and again_outputs["created"] is False
    assert again_outputs["baseline_pr_number"] == pull.number
    assert len(org.proxy.create_calls) == 1 and len(baseline_pulls(github_server)) == 1
    assert len(github_server.posts) == writes
    assert "already open" in again_log


def test_account_create_surfaces_the_failure_reason(org: Org, live: GitRepo, env: Any, github_server: Any) -> None:
    org.proxy.foreign_emails.add("aws+sandbox@acme.example.com")
    outcome, _, _ = run("account-create", live.path, env)
    assert not outcome.ok and not outcome.transient
    assert "EMAIL_ALREADY_EXISTS" in outcome.message and baseline_pulls(github_server) == []


def test_account_create_without_a_live_repo_token_says_what_to_set(org: Org, live: GitRepo, env: Any) -> None:
    del env["GWPIPELINES_ACCOUNT_FACTORY_TOKEN"]
    with pytest.raises(ExtensionError, match=r"a token in \$GWPIPELINES_ACCOUNT_FACTORY_TOKEN"):
        run("account-create", live.path, env)
    assert org.proxy.create_calls == []  # refused before anything was created


def test_an_existing_account_added_with_its_id_is_checked_never_created(
    org: Org, live: GitRepo, env: Any, github_server: Any
) -> None:
    made = org.direct.create_account(Email="aws+sandbox@acme.example.com", AccountName="sandbox")
    account_id = made["CreateAccountStatus"]["AccountId"]
    live.write("accounts.yml", accounts.with_id(REQUESTED, "sandbox", account_id))
    live.commit("import the sandbox account")
    outcome, outputs, _ = run("account-plan", live.path, env)
    assert outcome.ok and outcome.summary.add == 0 and outputs["existing_account_id"] == account_id
    created, _, _ = run("account-create", live.path, env)
    assert created.ok and org.proxy.create_calls == [] and baseline_pulls(github_server) == []

    live.write("accounts.yml", accounts.with_id(REQUESTED, "sandbox", "999999999999"))
    live.commit("a wrong id")
    wrong, _, _ = run("account-plan", live.path, env)
    assert not wrong.ok and "account 999999999999 is not in the organization" in wrong.message


def test_a_creation_slower_than_the_jobs_time_limit_fails_clearly(org: Org, live: GitRepo, env: Any) -> None:
    org.proxy.in_progress_polls = 10**6
    outcome, _, _ = run("account-create", live.path, env, timeout=1, poll_seconds=0.05)
    assert not outcome.ok and "still IN_PROGRESS after 1s" in outcome.message and "run the job again" in outcome.message
    assert len(org.proxy.create_calls) == 1


def test_the_template_is_found_as_the_pipelines_workflow_lays_it_out(
    org: Org, live: GitRepo, env: Any, github_server: Any, tmp_path: Path
) -> None:
    """The workflow checks the pipelines repo out under pipelines/ and names `pipelines/account-baseline`."""
    workspace = tmp_path / "workspace"
    shutil.copytree(ROOT / "infrastructure-pipelines-template" / "account-baseline", workspace / "pipelines" / "b")
    env = {**env, "GITHUB_WORKSPACE": str(workspace), "GWPIPELINES_CONFIG_DIR": str(workspace / "pipelines")}
    outcome, _, _ = run("account-create", live.path, env, template="pipelines/b")
    assert outcome.ok, outcome.message
    outcome, _, _ = run("account-create", live.path, env, template="b")  # beside pipelines.yml
    assert outcome.ok, outcome.message
    with pytest.raises(ExtensionError, match=r"account baseline template .*nowhere.* is missing"):
        run("account-create", live.path, env, template="nowhere")


def test_a_malformed_request_names_the_file_line_and_field(live: GitRepo, env: Any) -> None:
    # Only the requested account's line: the template's accounts have the same organizational unit.
    head, _, tail = REQUESTED.rpartition("organizational_unit: workloads/non-prod")
    live.write("accounts.yml", head + "region: Mars" + tail)
    live.commit("bad region")
    with pytest.raises(ExtensionError, match=r"accounts.yml:\d+: sandbox.region: must be an AWS region"):
        run("account-plan", live.path, env)
