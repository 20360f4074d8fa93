"""The apply role is out of reach of a plan, end to end: the pipelines workflow runs applies, and only applies, in the
`gwpipelines-apply` environment, and GitHub puts the environment into the OIDC token's `sub`. With the roles' trust
policies as `gwpipelines trust-policy` renders them (plan role: any run of the pipelines repo; apply role: its
`gwpipelines-apply` environment only), created in IAM and enforced by the STS gate (which verifies the token and
evaluates the trust policy as AWS does), a pull request's plans and a merge's applies both get their role, and a
plan job's token is refused by the apply role (and taken by the plan role).

Every pipelines run is a workflow_dispatch on the pipelines repo's main branch, plans and applies alike: without the
environment their tokens would be identical, and any code a plan runs (a pull request's Terragrunt code) could ask
for a token and assume the apply role."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gwpipelines.trust_policy import APPLY_ENVIRONMENT, TrustSettings, plan_environment, render
from testing.aws_fixtures import aws_client
from testing.e2e import DEV, DEV_UNITS, LIVE_REPO, PIPELINES_REPO, ZERO, World, results
from testing.servers.oidc import GithubContext, OidcServer
from testing.servers.sts_gate import StsGate

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"  # moto's default account, where its IAM API writes
SETTINGS = TrustSettings(account_id=ACCOUNT, pipelines_repo=PIPELINES_REPO, account_name="non-prod")
# Another account's plan role (in the same moto account, under another name): it must refuse non-prod's plan token.
OTHER = TrustSettings(account_id=ACCOUNT, pipelines_repo=PIPELINES_REPO, account_name="prod")


@pytest.fixture
def environments() -> list[str | None]:
    """The environment of every job that got an OIDC token, in order."""
    return []


@pytest.fixture
def world(
    tmp_path: Path,
    aws_env: dict[str, str],
    sts_gate: StsGate,
    oidc_server: OidcServer,
    environments: list[str | None],
) -> World:
    iam = aws_client("iam", aws_env)
    iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
    )
    for kind in ("plan", "apply"):  # exactly what `gwpipelines trust-policy plan|apply` prints
        iam.create_role(RoleName=f"gwpipelines-{kind}", AssumeRolePolicyDocument=render(kind, SETTINGS))
    iam.create_role(RoleName="prod-gwpipelines-plan", AssumeRolePolicyDocument=render("plan", OTHER))
    world = World.make(tmp_path, {**aws_env, "AWS_ENDPOINT_URL_STS": sts_gate.url}, account_id=ACCOUNT)
    world.runner.env["AWS_ENDPOINT_URL_STS"] = sts_gate.url

    def job_token(environment: str | None, job_workflow_ref: str) -> None:
        # What GitHub issues to this job: the pipelines repo's workflow_dispatch on main, in the job's environment.
        environments.append(environment)
        oidc_server.context = GithubContext(
            repository=PIPELINES_REPO, environment=environment, workflow_ref_override=job_workflow_ref
        )

    world.runner.on_oidc_job = job_token
    return world


def dispatch(world: World, jobs: list[dict[str, Any]], pr: str = "") -> Any:
    return world.pipelines_run({"correlation_id": "c", "jobs": json.dumps(jobs), "live_repo": LIVE_REPO, "pr": pr})


def assume(sts_gate: StsGate, role_name: str, token: str) -> Any:
    sts = aws_client(
        "sts", {"AWS_ENDPOINT_URL_STS": sts_gate.url, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    )
    role = f"arn:aws:iam::{ACCOUNT}:role/{role_name}"
    return sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="stolen", WebIdentityToken=token)


def test_applies_get_the_apply_role_plans_the_plan_role_and_nothing_else(
    world: World, sts_gate: StsGate, oidc_server: OidcServer, environments: list[str | None]
) -> None:
    applied = dispatch(world, world.unit_jobs(ZERO, world.live.head(), "push"))
    assert applied.conclusion == "success", applied.text()
    assert environments and set(environments) == {APPLY_ENVIRONMENT}  # the workflow puts applies in the environment
    environments.clear()
    assert all(
        "credentials: assumed the apply role of account 'non-prod'" in r["log"] for r in results(applied).values()
    )
    assert world.applied() == DEV_UNITS

    base = world.live.head()
    world.live.git("checkout", "-q", "-b", "change")
    world.live.write(f"{DEV}/env.hcl", world.live.read(f"{DEV}/env.hcl").replace("db.t4g.micro", "db.t4g.small"))
    head = world.live.commit("dev: bigger database")
    planned = dispatch(world, world.orchestrate(base, head, "pull_request")["jobs"], pr="7")
    assert planned.conclusion == "success", planned.text()
    assert {r["status"] for r in results(planned).values()} == {"succeeded"}
    assert all(
        "credentials: assumed the plan role of account 'non-prod'" in r["log"] for r in results(planned).values()
    )
    # and plans in their account's plan environment
    assert environments and set(environments) == {plan_environment("non-prod")}
    assert sts_gate.refusals == []

    # The token a plan job gets (its account's plan environment, same repo, same ref) is refused by the apply role
    # and by every other account's plan role, whatever code asks for it; its own account's plan role takes it.
    assert oidc_server.context.environment == plan_environment("non-prod")  # the last token job was a plan
    stolen = oidc_server.issue()
    for role in ("gwpipelines-apply", "prod-gwpipelines-plan"):
        with pytest.raises(Exception, match="AccessDenied"):
            assume(sts_gate, role, stolen)
    assert sts_gate.refusals == ["AccessDenied", "AccessDenied"]
    assert assume(sts_gate, "gwpipelines-plan", stolen)["Credentials"]["AccessKeyId"]
