"""The apply role is out of reach of a plan, end to end: the pipelines workflow runs applies, and only applies, in the
`gwpipelines-apply` environment, and GitHub puts the environment into the OIDC token's `sub`. With the roles' trust
policies as the pipelines README documents them (plan role: the pipelines repo on main; apply role: its
`gwpipelines-apply` environment), created in IAM and enforced by the STS gate (which verifies the token and evaluates
the trust policy as AWS does), a pull request's plans and a merge's applies both get their role, and a plan job's
token is refused by the apply role.

Every pipelines run is a workflow_dispatch on the pipelines repo's main branch, plans and applies alike: without the
environment their tokens would be identical, and any code a plan runs (a pull request's Terragrunt code) could ask
for a token and assume the apply role."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.actions.e2e import DEV, DEV_UNITS, LIVE_REPO, PIPELINES_REPO, ZERO, World, results
from tests.aws_fixtures import aws_client
from tests.servers.oidc import GithubContext, OidcServer
from tests.servers.sts_gate import StsGate

pytestmark = pytest.mark.slow

ACCOUNT = "123456789012"  # moto's default account, where its IAM API writes
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"


def trust(subject: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": PROVIDER},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {
                            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                            "token.actions.githubusercontent.com:sub": subject,
                        }
                    },
                }
            ],
        }
    )


@pytest.fixture
def world(tmp_path: Path, aws_env: dict[str, str], sts_gate: StsGate, oidc_server: OidcServer) -> World:
    iam = aws_client("iam", aws_env)
    iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
    )
    iam.create_role(
        RoleName="gwpipelines-plan", AssumeRolePolicyDocument=trust(f"repo:{PIPELINES_REPO}:ref:refs/heads/main")
    )
    iam.create_role(
        RoleName="gwpipelines-apply",
        AssumeRolePolicyDocument=trust(f"repo:{PIPELINES_REPO}:environment:gwpipelines-apply"),
    )
    world = World.make(tmp_path, {**aws_env, "AWS_ENDPOINT_URL_STS": sts_gate.url}, account_id=ACCOUNT)
    world.runner.env["AWS_ENDPOINT_URL_STS"] = sts_gate.url

    def job_token(environment: str | None, job_workflow_ref: str) -> None:
        # What GitHub issues to this job: the pipelines repo's workflow_dispatch on main, in the job's environment.
        oidc_server.context = GithubContext(
            repository=PIPELINES_REPO, environment=environment, workflow_ref_override=job_workflow_ref
        )

    world.runner.on_oidc_job = job_token
    return world


def dispatch(world: World, jobs: list[dict[str, Any]], pr: str = "") -> Any:
    return world.pipelines_run({"correlation_id": "c", "jobs": json.dumps(jobs), "live_repo": LIVE_REPO, "pr": pr})


def test_applies_get_the_apply_role_plans_the_plan_role_and_nothing_else(
    world: World, sts_gate: StsGate, oidc_server: OidcServer
) -> None:
    applied = dispatch(world, world.unit_jobs(ZERO, world.live.head(), "push"))
    assert applied.conclusion == "success", applied.text()
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
    assert sts_gate.refusals == []

    # The token a plan job gets (no environment) is refused by the apply role, whatever code asks for it.
    assert oidc_server.context.environment is None  # the last job that could ask for a token was a plan
    sts = aws_client(
        "sts", {"AWS_ENDPOINT_URL_STS": sts_gate.url, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    )
    with pytest.raises(Exception, match="AccessDenied"):
        sts.assume_role_with_web_identity(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/gwpipelines-apply",
            RoleSessionName="stolen",
            WebIdentityToken=oidc_server.issue(),
        )
    assert sts_gate.refusals == ["AccessDenied"]
