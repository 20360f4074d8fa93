"""env -> GitHub OIDC token (local endpoint) -> STS AssumeRoleWithWebIdentity (moto server) -> the extension's env."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from gwpipelines.errors import UserError
from gwpipelines.executor.credentials import (
    AuthenticationConfig,
    CredentialsError,
    assume_role_env,
    role_arn_for,
    session_name,
)
from gwpipelines.github.oidc import OidcError, OidcNotConfigured
from testing.aws_fixtures import MotoServer, aws_client
from testing.servers.oidc import OidcServer

AUTH = AuthenticationConfig.model_validate(
    {
        "region": "eu-west-1",
        "session_duration_seconds": 1800,
        "accounts": {
            "prod": {"account_id": "111111111111", "plan_role": "gw-plan", "apply_role": "gw-apply"},
            "dev": {
                "account_id": "222222222222",
                "plan_role": "arn:aws:iam::222222222222:role/team/reader",
                "apply_role": "arn:aws:iam::333333333333:role/deployer",
            },
        },
    }
)


def caller_arn(env: dict[str, str], endpoint: str) -> str:
    """Who AWS thinks these credentials are: moto answers GetCallerIdentity for the assumed role."""
    arn: str = aws_client("sts", {**env, "AWS_ENDPOINT_URL_STS": endpoint}).get_caller_identity()["Arn"]
    return arn


@pytest.mark.parametrize(
    ("action", "account", "assumed"),
    [
        ("plan", "prod", "arn:aws:sts::111111111111:assumed-role/gw-plan/"),
        ("plan-destroy", "prod", "arn:aws:sts::111111111111:assumed-role/gw-plan/"),
        ("account-plan", "prod", "arn:aws:sts::111111111111:assumed-role/gw-plan/"),
        ("apply", "prod", "arn:aws:sts::111111111111:assumed-role/gw-apply/"),
        ("destroy", "prod", "arn:aws:sts::111111111111:assumed-role/gw-apply/"),
        ("account-create", "prod", "arn:aws:sts::111111111111:assumed-role/gw-apply/"),
        ("plan", "dev", "arn:aws:sts::222222222222:assumed-role/reader/"),
        ("apply", "dev", "arn:aws:sts::333333333333:assumed-role/deployer/"),
    ],
)
def test_each_action_assumes_its_role(aws_env: dict[str, str], action: str, account: str, assumed: str) -> None:
    name = session_name(actor="octocat", ref="refs/heads/main", pr=None, job_id=f"{action}:live/prod/vpc")
    env = assume_role_env(action=action, account=account, auth=AUTH, session_name=name, environ=aws_env)

    assert set(env) == {
        *("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION")
    }
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["AWS_ACCESS_KEY_ID"] != aws_env["AWS_ACCESS_KEY_ID"]
    assert caller_arn(env, aws_env["AWS_ENDPOINT_URL_STS"]) == assumed + name


def test_the_token_is_requested_as_github_documents(aws_env: dict[str, str], oidc_server: OidcServer) -> None:
    assume_role_env(action="plan", account="prod", auth=AUTH, session_name="gw-test", environ=aws_env)

    [request] = oidc_server.requests
    assert request["authorization"] == f"bearer {oidc_server.request_token}"
    assert request["query"] == {"api-version": ["2.0"], "audience": ["sts.amazonaws.com"]}


def test_session_duration_comes_from_config(aws_env: dict[str, str], moto_server: MotoServer) -> None:
    # moto reports the expiry it granted; read it back through the raw API to check DurationSeconds was sent.
    from gwpipelines.github import oidc

    token = oidc.request_token(aws_env)
    sts = boto3.client("sts", region_name="eu-west-1", endpoint_url=moto_server.url)
    before = datetime.now(UTC)
    answer: Any = sts.assume_role_with_web_identity(
        RoleArn=role_arn_for(action="plan", account="prod", auth=AUTH),
        RoleSessionName="gw-probe",
        WebIdentityToken=token,
        DurationSeconds=AUTH.session_duration_seconds,
    )
    granted = answer["Credentials"]["Expiration"] - before
    assert timedelta(seconds=1790) < granted <= timedelta(seconds=1810)


def test_unknown_account_is_a_user_error_naming_it(aws_env: dict[str, str], oidc_server: OidcServer) -> None:
    with pytest.raises(UserError, match=r"'staging'.*authentication\.accounts\.staging") as e:
        assume_role_env(action="plan", account="staging", auth=AUTH, session_name="gw-x", environ=aws_env)
    assert "\n" not in str(e.value)
    assert oidc_server.requests == []  # refused before asking GitHub for anything


def test_missing_id_token_permission_says_what_to_add(aws_env: dict[str, str]) -> None:
    env = {k: v for k, v in aws_env.items() if not k.startswith("ACTIONS_ID_TOKEN")}
    with pytest.raises(OidcNotConfigured, match="permissions: id-token: write") as e:
        assume_role_env(action="plan", account="prod", auth=AUTH, session_name="gw-x", environ=env)
    assert e.value.exit_code == 2
    assert "\n" not in str(e.value)


def test_sts_unreachable_is_a_credentials_error(aws_env: dict[str, str]) -> None:
    env = {**aws_env, "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:9"}
    with pytest.raises(CredentialsError, match="could not reach AWS STS"):
        assume_role_env(action="apply", account="prod", auth=AUTH, session_name="gw-x", environ=env)


def test_token_endpoint_refusal_is_not_retried(aws_env: dict[str, str], oidc_server: OidcServer) -> None:
    env = {**aws_env, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "not-the-runner-token"}
    with pytest.raises(OidcError, match="HTTP 401"):
        assume_role_env(action="plan", account="prod", auth=AUTH, session_name="gw-x", environ=env)
    assert len(oidc_server.requests) == 1
