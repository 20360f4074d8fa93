"""The whole chain as in production, with AWS's checks in place: the roles are created in (moto's) IAM with the
shipped trust policies and GitHub's OIDC provider; gwpipelines asks the local GitHub endpoint for a token and STS
(behind a gate that verifies the token and evaluates the trust policy like AWS) for credentials."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import pytest

from gwpipelines.config import AuthenticationConfig
from gwpipelines.executor.credentials import CredentialsError, assume_role_env, secrets_of, session_name
from gwpipelines.trust_policy import APPLY_ENVIRONMENT, TrustSettings, plan_environment, render
from testing.aws_fixtures import aws_client
from testing.servers.oidc import GithubContext, OidcServer
from testing.servers.sts_gate import StsGate

ACCOUNT = "123456789012"  # moto's default account: where its IAM API writes without assuming anything
SETTINGS = TrustSettings(account_id=ACCOUNT, pipelines_repo="acme/infrastructure-pipelines", account_name="prod")
AUTH = AuthenticationConfig.model_validate(
    {
        "region": "eu-central-1",
        "accounts": {"prod": {"account_id": ACCOUNT, "plan_role": "gw-plan", "apply_role": "gw-apply"}},
    }
)
# Every pipelines run is a workflow_dispatch on the pipelines repo's main, for a pull request's plans and for a merge's
# applies alike; plan jobs run in their account's plan environment, apply jobs in `gwpipelines-apply`.
PLAN_JOB = GithubContext(environment=plan_environment("prod"))
APPLY_JOB = GithubContext(environment=APPLY_ENVIRONMENT)


@pytest.fixture
def aws(aws_env: dict[str, str], sts_gate: StsGate) -> dict[str, str]:
    """IAM set up as an operator would from our templates; STS through the gate."""
    iam = aws_client("iam", aws_env)
    iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
    )
    for kind in ("plan", "apply"):
        iam.create_role(RoleName=f"gw-{kind}", AssumeRolePolicyDocument=render(kind, SETTINGS))  # type: ignore[arg-type]
    return {**aws_env, "AWS_ENDPOINT_URL_STS": sts_gate.url}


def assume(env: dict[str, str], action: str, *, pr: int | None = None) -> dict[str, str]:
    name = session_name(actor="octocat", ref="refs/heads/main", pr=pr, job_id=f"{action}:live/prod/vpc")
    return assume_role_env(action=action, account="prod", auth=AUTH, session_name=name, environ=env)


def identity(creds: dict[str, str], env: dict[str, str]) -> Any:
    return aws_client("sts", {**creds, "AWS_ENDPOINT_URL_STS": env["AWS_ENDPOINT_URL_STS"]}).get_caller_identity()


def test_apply_job_gets_the_apply_role(aws: dict[str, str], oidc_server: OidcServer) -> None:
    oidc_server.context = APPLY_JOB
    creds = assume(aws, "apply")
    arn = identity(creds, aws)["Arn"]
    assert arn.startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/gw-apply/gw-octocat-main-")
    assert creds["AWS_REGION"] == "eu-central-1"


def test_plan_job_gets_the_plan_role(aws: dict[str, str], oidc_server: OidcServer) -> None:
    oidc_server.context = PLAN_JOB
    creds = assume(aws, "plan", pr=7)
    assert identity(creds, aws)["Arn"].startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/gw-plan/gw-octocat-pr7-")


@pytest.mark.parametrize(
    ("job", "sub"),
    [
        (PLAN_JOB, "repo:acme/infrastructure-pipelines:environment:gwpipelines-plan-prod"),
        (GithubContext(environment="production"), "repo:acme/infrastructure-pipelines:environment:production"),
        (
            GithubContext(repository="acme/infrastructure-live", environment=APPLY_ENVIRONMENT),
            "repo:acme/infrastructure-live:environment:gwpipelines-apply",
        ),
    ],
    ids=["plan job on main", "another environment", "live repo in the apply environment"],
)
def test_only_the_apply_environment_gets_the_apply_role(
    aws: dict[str, str], oidc_server: OidcServer, sts_gate: StsGate, job: GithubContext, sub: str
) -> None:
    """A plan job's token is a real token of the pipelines repo on main: the apply role must still refuse it."""
    oidc_server.context = job
    with pytest.raises(CredentialsError) as e:
        assume(aws, "apply", pr=7)
    message = str(e.value)
    assert f"arn:aws:iam::{ACCOUNT}:role/gw-apply" in message
    assert "AccessDenied" in message
    assert f"sub={sub}" in message
    assert "\n" not in message
    assert sts_gate.refusals == ["AccessDenied"]


def test_the_live_repo_gets_no_role_at_all(aws: dict[str, str], oidc_server: OidcServer) -> None:
    oidc_server.context = GithubContext(repository="acme/infrastructure-live", event_name="pull_request")
    for action in ("plan", "apply"):
        with pytest.raises(CredentialsError, match="AccessDenied"):
            assume(aws, action)


def test_a_token_for_another_audience_is_refused(aws: dict[str, str], oidc_server: OidcServer) -> None:
    oidc_server.context = PLAN_JOB
    other = AuthenticationConfig.model_validate({**AUTH.model_dump(), "audience": "https://github.com/acme"})
    with pytest.raises(CredentialsError, match=r"InvalidIdentityToken: Incorrect token audience.*OIDC provider"):
        assume_role_env(action="plan", account="prod", auth=other, session_name="gw-x", environ=aws)


def test_inside_actions_the_token_and_credentials_are_masked_before_use(
    aws: dict[str, str], oidc_server: OidcServer
) -> None:
    oidc_server.context = APPLY_JOB
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        creds = assume({**aws, "GITHUB_ACTIONS": "true"}, "apply")
    assert out.getvalue() == ""  # stdout stays the JSON channel
    masked = {line.removeprefix("::add-mask::") for line in err.getvalue().splitlines()}
    assert set(secrets_of(creds)) <= masked
    [token] = masked - set(secrets_of(creds))
    assert token.count(".") == 2  # the OIDC JWT itself


def test_outside_actions_nothing_is_printed(aws: dict[str, str], oidc_server: OidcServer) -> None:
    oidc_server.context = PLAN_JOB
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        assume(aws, "plan")
    assert out.getvalue() == err.getvalue() == ""


def test_a_session_longer_than_the_role_allows_says_which_setting(aws: dict[str, str], oidc_server: OidcServer) -> None:
    oidc_server.context = APPLY_JOB
    long = AuthenticationConfig.model_validate({**AUTH.model_dump(), "session_duration_seconds": 7200})
    with pytest.raises(CredentialsError, match=r"lower authentication\.session_duration_seconds"):
        assume_role_env(action="apply", account="prod", auth=long, session_name="gw-x", environ=aws)
    aws_client("iam", aws).update_role(RoleName="gw-apply", MaxSessionDuration=7200)
    assert assume_role_env(action="apply", account="prod", auth=long, session_name="gw-x", environ=aws)
