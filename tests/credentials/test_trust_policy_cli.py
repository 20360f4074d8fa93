"""`gwpipelines trust-policy` via the CLI: its JSON is the policy the evaluator checks; bad input exits 2."""

from __future__ import annotations

from gwpipelines.trust_policy import TrustSettings, policy
from tests.cli import run
from tests.servers.iam_trust import allows

REPO = ["--account-id", "111111111111", "--pipelines-repo", "acme/infrastructure-pipelines"]
MAIN_SUB = (
    "repo:acme/infrastructure-pipelines:ref:refs/heads/main:job_workflow_ref:"
    "acme/infrastructure-pipelines/.github/workflows/pipelines.yml@refs/heads/main"
)
PROVIDER = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"


def test_plan_and_apply_policies_as_json() -> None:
    for kind in ("plan", "apply"):
        result = run("trust-policy", kind, *REPO)
        assert result.code == 0, result.err
        settings = TrustSettings(account_id="111111111111", pipelines_repo="acme/infrastructure-pipelines")
        assert result.json() == policy(kind, settings)  # type: ignore[arg-type]
        assert allows(result.json(), claims={"aud": "sts.amazonaws.com", "sub": MAIN_SUB}, provider_arn=PROVIDER)


def test_apply_policy_for_another_branch_and_workflow() -> None:
    result = run("trust-policy", "apply", *REPO, "--branch", "trunk", "--workflow", ".github/workflows/gw.yml")
    sub = result.json()["Statement"][0]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"]
    assert sub == (
        "repo:acme/infrastructure-pipelines:ref:refs/heads/trunk:job_workflow_ref:"
        "acme/infrastructure-pipelines/.github/workflows/gw.yml@refs/heads/trunk"
    )
    loose = run("trust-policy", "apply", *REPO, "--no-pin-workflow").json()
    assert allows(
        loose,
        claims={"aud": "sts.amazonaws.com", "sub": "repo:acme/infrastructure-pipelines:ref:refs/heads/main"},
        provider_arn=PROVIDER,
    )


def test_subject_customization() -> None:
    result = run("trust-policy", "subject", "--format", "text", "--pipelines-repo", "acme/p")
    assert result.json() == {"use_default": False, "include_claim_keys": ["repo", "context", "job_workflow_ref"]}
    assert "/repos/acme/p/actions/oidc/customization/sub" in result.err


def test_bad_values_exit_2_with_one_line() -> None:
    for args in (
        ["--account-id", "12", "--pipelines-repo", "a/b"],
        ["--account-id", "111111111111", "--pipelines-repo", "a"],
        [],
    ):
        result = run("trust-policy", "plan", *args)
        assert result.code == 2, result
        assert result.out == ""
        assert len(result.err.strip().splitlines()) == 1
        assert result.err.startswith("gwpipelines: error: trust")
