"""`gwpipelines trust-policy` via the CLI: its JSON is the policy the evaluator checks; bad input exits 2."""

from __future__ import annotations

from typing import Any

import pytest

from gwpipelines.trust_policy import TrustSettings, policy
from testing.cli import run
from testing.servers.iam_trust import allows

REPO = ["--account-id", "111111111111", "--pipelines-repo", "acme/infrastructure-pipelines"]
APPLY_SUB = "repo:acme/infrastructure-pipelines:environment:gwpipelines-apply"
PLAN_SUB = "repo:acme/infrastructure-pipelines:environment:gwpipelines-plan-dev"  # a plan job for the account dev
NO_ENV_SUB = "repo:acme/infrastructure-pipelines:ref:refs/heads/main"  # a job of the same run, no environment
PROVIDER = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"


def sub_of(document: dict[str, Any]) -> str:
    sub: str = document["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
    return sub


def can_assume(document: dict[str, Any], sub: str) -> bool:
    return allows(document, claims={"aud": "sts.amazonaws.com", "sub": sub}, provider_arn=PROVIDER)


def test_plan_and_apply_policies_as_json() -> None:
    settings = TrustSettings(
        account_id="111111111111", pipelines_repo="acme/infrastructure-pipelines", account_name="dev"
    )
    plan = run("trust-policy", "plan", *REPO, "--account", "dev", "--format", "text")
    assert plan.code == 0, plan.err
    assert plan.json() == policy("plan", settings)
    assert "'gwpipelines-plan-dev'" in plan.err
    apply = run("trust-policy", "apply", *REPO)
    assert apply.code == 0, apply.err
    assert apply.json() == policy("apply", settings)
    assert can_assume(plan.json(), PLAN_SUB) and can_assume(apply.json(), APPLY_SUB)
    for sub in (APPLY_SUB, NO_ENV_SUB, PLAN_SUB.replace("-dev", "-prod")):
        assert not can_assume(plan.json(), sub), sub
    assert not can_assume(apply.json(), PLAN_SUB)


def test_a_plan_policy_needs_the_account() -> None:
    result = run("trust-policy", "plan", *REPO)
    assert result.code == 2 and "--account NAME is required" in result.err


def test_apply_policy_for_another_environment_and_a_pinned_workflow() -> None:
    result = run("trust-policy", "apply", *REPO, "--environment", "prod-apply", "--format", "text")
    assert result.code == 0, result.err
    assert sub_of(result.json()) == "repo:acme/infrastructure-pipelines:environment:prod-apply"
    assert "'prod-apply'" in result.err
    ref = "gwpipelines/gwpipelines/.github/workflows/pipelines.yml@refs/tags/v0.1.0"
    pinned = run("trust-policy", "apply", *REPO, "--job-workflow-ref", ref, "--format", "text")
    assert sub_of(pinned.json()) == f"{APPLY_SUB}:job_workflow_ref:{ref}"
    assert "gwpipelines trust-policy subject" in pinned.err


@pytest.mark.parametrize(
    ("flag", "advice"),
    [
        (["--branch", "main"], "deployment branches"),
        (["--workflow", ".github/workflows/pipelines.yml"], "--job-workflow-ref"),
        (["--pin-workflow"], "--job-workflow-ref"),
        (["--no-pin-workflow"], "default subject"),
    ],
)
def test_removed_flags_exit_2_saying_what_to_use(flag: list[str], advice: str) -> None:
    result = run("trust-policy", "apply", *REPO, *flag)
    assert result.code == 2, result
    assert result.out == ""
    assert len(result.err.strip().splitlines()) == 1
    assert "was removed" in result.err or "were removed" in result.err
    assert advice in result.err


def test_subject_customization() -> None:
    result = run("trust-policy", "subject", "--format", "text", "--pipelines-repo", "acme/p")
    assert result.json() == {"use_default": False, "include_claim_keys": ["repo", "context", "job_workflow_ref"]}
    assert "/repos/acme/p/actions/oidc/customization/sub" in result.err


def test_bad_values_exit_2_with_one_line() -> None:
    for args in (
        ["--account-id", "12", "--pipelines-repo", "a/b"],
        ["--account-id", "111111111111", "--pipelines-repo", "a"],
        ["--account-id", "111111111111", "--pipelines-repo", "a/b", "--environment", "*"],
        ["--account-id", "111111111111", "--pipelines-repo", "a/b", "--job-workflow-ref", "a/b@main"],
        [],
    ):
        result = run(
            "trust-policy", "apply" if "--environment" in args or "--job-workflow-ref" in args else "plan", *args
        )
        assert result.code == 2, result
        assert result.out == ""
        assert len(result.err.strip().splitlines()) == 1
        assert result.err.startswith("gwpipelines: error: trust")
