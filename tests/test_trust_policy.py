"""The shipped trust policies, checked against real tokens from the local GitHub OIDC endpoint: who may assume the
plan role and who may assume the apply role. Plus the evaluator's own IAM semantics."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest

from gwpipelines.errors import UserError
from gwpipelines.github import oidc
from gwpipelines.trust_policy import (
    APPLY_ENVIRONMENT,
    FACTORY_PLAN_ENVIRONMENT,
    PLAN_ENVIRONMENT_PREFIX,
    SUBJECT_CLAIM_KEYS,
    TrustSettings,
    plan_environment,
    policy,
    render,
    subject_customization,
)
from testing.aws_fixtures import aws_client
from testing.servers.iam_trust import UnsupportedPolicy, allows
from testing.servers.oidc import GithubContext, OidcServer

SETTINGS = TrustSettings(account_id="111111111111", pipelines_repo="acme/infrastructure-pipelines", account_name="dev")
CUSTOM_SUB = list(SUBJECT_CLAIM_KEYS)
PIPELINES = "acme/infrastructure-pipelines"


def verified_claims(server: OidcServer, context: GithubContext, audience: str = "sts.amazonaws.com") -> dict[str, Any]:
    """A token as GitHub would issue it to that job, with its signature checked like AWS checks it."""
    server.context = context
    token = oidc.request_token(server.env(), audience=audience)
    key = jwt.PyJWKClient(server.jwks_url, cache_keys=False).get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(token, key.key, algorithms=["RS256"], audience=audience)
    return claims


def can_assume(kind: str, claims: dict[str, Any], settings: TrustSettings = SETTINGS) -> bool:
    return allows(policy(kind, settings), claims=claims, provider_arn=settings.provider_arn)  # type: ignore[arg-type]


# Every pipelines run is a workflow_dispatch on the pipelines repo's main: plan jobs run in their account's plan
# environment (`gwpipelines-plan-dev` for the account `dev`), apply jobs in `gwpipelines-apply`.
PLAN_ENV = f"{PLAN_ENVIRONMENT_PREFIX}dev"
PLAN_JOB = GithubContext(environment=PLAN_ENV)
APPLY_JOB = GithubContext(environment=APPLY_ENVIRONMENT)
REUSABLE = "gwpipelines/gwpipelines/.github/workflows/pipelines.yml@refs/tags/v0.1.0"
PINNED = TrustSettings(
    account_id="111111111111", pipelines_repo=PIPELINES, job_workflow_ref=REUSABLE, account_name="dev"
)
ALLOWED_APPLY = [APPLY_JOB]
DENIED_APPLY = {
    "plan job on main": PLAN_JOB,
    "plan job on main, customized subject": GithubContext(sub_claim_keys=CUSTOM_SUB),
    "pull request run": GithubContext(event_name="pull_request", ref="refs/pull/7/merge"),
    "feature branch": GithubContext(ref="refs/heads/feature"),
    "another environment": GithubContext(environment="prod"),
    "environment with the same prefix": GithubContext(environment=f"{APPLY_ENVIRONMENT}-x"),
    "live repo in the environment": GithubContext(repository="acme/infrastructure-live", environment=APPLY_ENVIRONMENT),
    "live repo": GithubContext(repository="acme/infrastructure-live"),
    "fork in the environment": GithubContext(repository="evil/infrastructure-pipelines", environment=APPLY_ENVIRONMENT),
    "customized subject without a pinned workflow": GithubContext(
        environment=APPLY_ENVIRONMENT, sub_claim_keys=CUSTOM_SUB
    ),
}
ALLOWED_PLAN = {
    "plan job in the account's plan environment": PLAN_JOB,
}
DENIED_PLAN = {
    "plan job without an environment": GithubContext(),
    "another account's plan environment": GithubContext(environment=f"{PLAN_ENVIRONMENT_PREFIX}prod"),
    "environment with the same prefix": GithubContext(environment=f"{PLAN_ENV}-x"),
    "the apply environment": APPLY_JOB,
    "pull request run": GithubContext(event_name="pull_request", ref="refs/pull/7/merge"),
    "customized subject without a pinned workflow": GithubContext(environment=PLAN_ENV, sub_claim_keys=CUSTOM_SUB),
    "live repo in the environment": GithubContext(repository="acme/infrastructure-live", environment=PLAN_ENV),
    "live repo": GithubContext(repository="acme/infrastructure-live"),
    "fork in the environment": GithubContext(repository="evil/infrastructure-pipelines", environment=PLAN_ENV),
    "name with the same prefix": GithubContext(repository="acme/infrastructure-pipelines-copy", environment=PLAN_ENV),
    "other owner's live repo": GithubContext(repository="evil/infrastructure-live", event_name="pull_request"),
}


@pytest.mark.parametrize("context", ALLOWED_APPLY)
def test_apply_role_trusts_the_apply_environment(oidc_server: OidcServer, context: GithubContext) -> None:
    assert can_assume("apply", verified_claims(oidc_server, context))


@pytest.mark.parametrize("case", sorted(DENIED_APPLY))
def test_apply_role_refuses(oidc_server: OidcServer, case: str) -> None:
    assert not can_assume("apply", verified_claims(oidc_server, DENIED_APPLY[case]))


@pytest.mark.parametrize("case", sorted(ALLOWED_PLAN))
def test_plan_role_trusts_only_its_accounts_plan_environment(oidc_server: OidcServer, case: str) -> None:
    assert can_assume("plan", verified_claims(oidc_server, ALLOWED_PLAN[case]))


@pytest.mark.parametrize("case", sorted(DENIED_PLAN))
def test_plan_role_refuses(oidc_server: OidcServer, case: str) -> None:
    assert not can_assume("plan", verified_claims(oidc_server, DENIED_PLAN[case]))


@pytest.mark.parametrize("kind", ["plan", "apply"])
def test_both_roles_refuse_another_audience_and_provider(oidc_server: OidcServer, kind: str) -> None:
    job = APPLY_JOB if kind == "apply" else PLAN_JOB
    claims = verified_claims(oidc_server, job)
    assert can_assume(kind, claims)
    assert not can_assume(kind, verified_claims(oidc_server, job, audience="api://AzureADTokenExchange"))
    other_account = TrustSettings(account_id="999999999999", pipelines_repo=PIPELINES)
    doc = policy(kind, SETTINGS)  # type: ignore[arg-type]
    assert not allows(doc, claims=claims, provider_arn=other_account.provider_arn)
    assert not allows(doc, claims=claims, provider_arn=SETTINGS.provider_arn, action="sts:AssumeRole")


def test_a_plan_role_needs_its_account_name() -> None:
    """Without the account there is no environment to trust: refused, never widened to the whole repository."""
    with pytest.raises(UserError, match="account name"):
        policy("plan", TrustSettings(account_id="111111111111", pipelines_repo=PIPELINES))


def test_the_factorys_management_account_plan_role_also_trusts_the_factory_environment(
    oidc_server: OidcServer,
) -> None:
    management = TrustSettings(
        account_id="111111111111", pipelines_repo=PIPELINES, account_name="management", account_factory=True
    )
    factory_job = GithubContext(environment=FACTORY_PLAN_ENVIRONMENT)
    assert can_assume("plan", verified_claims(oidc_server, factory_job), management)
    assert can_assume(
        "plan", verified_claims(oidc_server, GithubContext(environment=plan_environment("management"))), management
    )
    assert not can_assume("plan", verified_claims(oidc_server, factory_job))  # other accounts' plan roles refuse it
    assert not can_assume("apply", verified_claims(oidc_server, factory_job), management)


def test_the_plan_role_pinned_to_the_reusable_workflow(oidc_server: OidcServer) -> None:
    pinned_job = GithubContext(environment=PLAN_ENV, workflow_ref_override=REUSABLE, sub_claim_keys=CUSTOM_SUB)
    assert PINNED.plan_subject == f"repo:{PIPELINES}:environment:{PLAN_ENV}:job_workflow_ref:{REUSABLE}"
    assert can_assume("plan", verified_claims(oidc_server, pinned_job), PINNED)
    assert not can_assume("plan", verified_claims(oidc_server, PLAN_JOB), PINNED)


def test_apply_pinned_to_the_reusable_workflow(oidc_server: OidcServer) -> None:
    """With the subject customization `context` is `environment:NAME`, then the job's own workflow ref."""
    pinned_job = GithubContext(environment=APPLY_ENVIRONMENT, workflow_ref_override=REUSABLE, sub_claim_keys=CUSTOM_SUB)
    assert PINNED.apply_subject == (f"repo:{PIPELINES}:environment:{APPLY_ENVIRONMENT}:job_workflow_ref:{REUSABLE}")
    assert can_assume("apply", verified_claims(oidc_server, pinned_job), PINNED)
    refused = {
        "plan job": GithubContext(workflow_ref_override=REUSABLE, sub_claim_keys=CUSTOM_SUB),
        "another release": GithubContext(
            environment=APPLY_ENVIRONMENT,
            workflow_ref_override=REUSABLE.replace("v0.1.0", "v0.2.0"),
            sub_claim_keys=CUSTOM_SUB,
        ),
        "the pipelines repo's own workflow": GithubContext(environment=APPLY_ENVIRONMENT, sub_claim_keys=CUSTOM_SUB),
        "default subject": GithubContext(environment=APPLY_ENVIRONMENT),
    }
    for case, context in refused.items():
        assert not can_assume("apply", verified_claims(oidc_server, context), PINNED), case


def test_another_apply_environment(oidc_server: OidcServer) -> None:
    settings = TrustSettings(account_id="111111111111", pipelines_repo=PIPELINES, apply_environment="prod-apply")
    assert can_assume("apply", verified_claims(oidc_server, GithubContext(environment="prod-apply")), settings)
    assert not can_assume("apply", verified_claims(oidc_server, APPLY_JOB), settings)


def test_subject_customization_body() -> None:
    assert subject_customization() == {
        "use_default": False,
        "include_claim_keys": ["repo", "context", "job_workflow_ref"],
    }


def test_rendered_policies_are_accepted_by_iam(aws_env: dict[str, str]) -> None:
    """moto's IAM parses the document like IAM: the JSON we ship round-trips through CreateRole/GetRole."""
    iam = aws_client("iam", aws_env)
    for kind in ("plan", "apply"):
        iam.create_role(RoleName=f"gw-{kind}", AssumeRolePolicyDocument=render(kind, SETTINGS))  # type: ignore[arg-type]
        stored = iam.get_role(RoleName=f"gw-{kind}")["Role"]["AssumeRolePolicyDocument"]
        stored = json.loads(stored) if isinstance(stored, str) else stored
        assert stored == policy(kind, SETTINGS)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("account_id", {"account_id": "12"}),
        ("pipelines_repo name", {"pipelines_repo": "acme"}),
        ("pipelines_repo owner", {"pipelines_repo": '"}],"Effect":"Allow/x'}),
        ("apply_environment", {"apply_environment": "gwpipelines-*"}),
        ("apply_environment", {"apply_environment": "x:job_workflow_ref:y"}),
        ("job_workflow_ref", {"job_workflow_ref": "a/b/.github/workflows/p.yml@*"}),
        ("job_workflow_ref", {"job_workflow_ref": "a/b/.github/workflows/../p.yml@refs/heads/main"}),
        ("account_name", {"account_name": "dev*"}),
        ("account_name", {"account_name": "dev:job_workflow_ref:x"}),
    ],
)
def test_settings_refuse_values_that_would_widen_the_policy(field: str, kwargs: dict[str, str]) -> None:
    values = {"account_id": "111111111111", "pipelines_repo": PIPELINES} | kwargs
    with pytest.raises(UserError, match=f"trust policy: {field}"):
        TrustSettings(**values)  # type: ignore[arg-type]


# -- the evaluator's IAM semantics, on hand-written policies ------------------------------------------------------

PROVIDER = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
KEY = "token.actions.githubusercontent.com:sub"


def statement(condition: dict[str, Any], effect: str = "Allow") -> dict[str, Any]:
    return {
        "Effect": effect,
        "Principal": {"Federated": PROVIDER},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
    }


def check(sub: str, *statements: dict[str, Any]) -> bool:
    return allows({"Statement": list(statements)}, claims={"sub": sub, "aud": "sts"}, provider_arn=PROVIDER)


def test_like_wildcards() -> None:
    like = statement({"StringLike": {KEY: "repo:a/b:ref:refs/heads/?ain"}})
    assert check("repo:a/b:ref:refs/heads/main", like)
    assert not check("repo:a/b:ref:refs/heads/mmain", like)
    star = statement({"StringLike": {KEY: "repo:a/*:pull_request"}})
    assert check("repo:a/:pull_request", star)
    assert check("repo:a/x/y:pull_request", star)
    assert not check("repo:a/x:pull_requests", star)
    assert not check("repo:A/x:pull_request", star)  # case-sensitive


def test_values_of_one_key_are_ored_and_operators_anded() -> None:
    either = statement({"StringEquals": {KEY: ["x", "y"]}})
    assert check("y", either)
    both = statement({"StringLike": {KEY: "x*"}, "StringNotEquals": {KEY: "xz"}})
    assert check("xy", both)
    assert not check("xz", both)


def test_explicit_deny_wins_and_no_statement_means_deny() -> None:
    allow = statement({"StringLike": {KEY: "*"}})
    deny = statement({"StringEquals": {KEY: "bad"}}, effect="Deny")
    assert check("good", allow, deny)
    assert not check("bad", allow, deny)
    assert not check("good", deny)


def test_missing_keys() -> None:
    other = "token.actions.githubusercontent.com:job_workflow_ref"
    assert not check("s", statement({"StringEquals": {other: "x"}}))  # AWS never has this key
    assert check("s", statement({"StringNotEquals": {other: "x"}}))
    assert check("s", statement({"StringEqualsIfExists": {other: "x"}}))


def test_unsupported_parts_are_refused_not_ignored() -> None:
    with pytest.raises(UnsupportedPolicy):
        check("s", statement({"ForAnyValue:StringLike": {KEY: "*"}}))
    with pytest.raises(UnsupportedPolicy):
        check("s", {**statement({}), "NotAction": "sts:TagSession"})
