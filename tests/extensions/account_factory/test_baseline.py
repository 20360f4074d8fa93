from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from gwpipelines import accounts
from gwpipelines.errors import UserError
from gwpipelines.extensions.account_factory import baseline
from gwpipelines.extensions.account_factory.extension import AccountFactoryConfig
from gwpipelines.trust_policy import APPLY_ENVIRONMENT, SUBJECT_CLAIM_KEYS, TrustSettings, plan_environment, policy
from testing import LIVE_TEMPLATE, ROOT
from testing.cli import run
from testing.gitrepo import GitRepo
from testing.servers.iam_trust import allows
from testing.servers.oidc import GithubContext, OidcServer
from tests.test_trust_policy import verified_claims

TEMPLATE = ROOT / "infrastructure-pipelines-template" / "account-baseline"
VALUES = baseline.BaselineValues(
    account_name="sandbox",
    account_id="777788889999",
    region="eu-west-1",
    pipelines_repo="acme/infrastructure-pipelines",
    plan_role="gwpipelines-plan",
    apply_role="gwpipelines-apply",
    account_alias="acme-sandbox",
)
SETTINGS = TrustSettings(account_id=VALUES.account_id, pipelines_repo=VALUES.pipelines_repo, account_name="sandbox")
UNITS = [
    "sandbox/_global/github-oidc-provider",
    "sandbox/_global/iam-account",
    "sandbox/_global/pipelines-apply-policy",
    "sandbox/_global/pipelines-apply-role",
    "sandbox/_global/pipelines-plan-policy",
    "sandbox/_global/pipelines-plan-role",
]


def test_render_fills_the_account_and_keeps_the_live_layout() -> None:
    files = baseline.render(TEMPLATE, VALUES)
    assert sorted(files) == [
        "sandbox/_global/env.hcl",
        "sandbox/_global/github-oidc-provider/terragrunt.hcl",
        "sandbox/_global/iam-account/terragrunt.hcl",
        "sandbox/_global/pipelines-apply-policy/terragrunt.hcl",
        "sandbox/_global/pipelines-apply-role/terragrunt.hcl",
        "sandbox/_global/pipelines-plan-policy/terragrunt.hcl",
        "sandbox/_global/pipelines-plan-role/terragrunt.hcl",
        "sandbox/_global/region.hcl",
        "sandbox/account.hcl",
        "sandbox/eu-west-1/region.hcl",
    ]
    assert 'aws_account_id = "777788889999"' in files["sandbox/account.hcl"]
    assert 'account_name   = "sandbox"' in files["sandbox/account.hcl"]
    assert 'aws_region = "eu-west-1"' in files["sandbox/eu-west-1/region.hcl"]
    for kind in ("plan", "apply"):
        role = files[f"sandbox/_global/pipelines-{kind}-role/terragrunt.hcl"]
        assert f'role_name            = "gwpipelines-{kind}"' in role
        assert trust_of(role) == policy(kind, SETTINGS)  # what `gwpipelines trust-policy` prints for the account
    assert not any("{{" in text or "{%" in text for text in files.values())


def trust_of(unit_text: str) -> Any:
    """The trust policy in a rendered role unit's `custom_role_trust_policy` heredoc."""
    found = re.search(r"custom_role_trust_policy\s*=\s*<<-EOT\n(.*?)\n\s*EOT\n", unit_text, re.S)
    assert found, unit_text
    return json.loads(found.group(1))


@pytest.mark.parametrize(
    ("kind", "context", "allowed"),
    [
        ("apply", GithubContext(environment=APPLY_ENVIRONMENT), True),
        ("apply", GithubContext(), False),  # a plan job: the same workflow_dispatch on main, no environment
        ("apply", GithubContext(sub_claim_keys=list(SUBJECT_CLAIM_KEYS)), False),
        ("apply", GithubContext(environment="production"), False),
        ("apply", GithubContext(repository="acme/infrastructure-live", environment=APPLY_ENVIRONMENT), False),
        ("plan", GithubContext(environment=plan_environment("sandbox")), True),
        ("plan", GithubContext(), False),  # a plan job outside the account's plan environment
        ("plan", GithubContext(environment=plan_environment("prod")), False),  # another account's plan
        ("plan", GithubContext(environment=APPLY_ENVIRONMENT), False),
        ("plan", GithubContext(repository="acme/infrastructure-live", environment=plan_environment("sandbox")), False),
    ],
)
def test_the_new_accounts_roles_trust_only_the_pipelines_repo(
    oidc_server: OidcServer, kind: str, context: GithubContext, allowed: bool
) -> None:
    role = baseline.render(TEMPLATE, VALUES)[f"sandbox/_global/pipelines-{kind}-role/terragrunt.hcl"]
    claims = verified_claims(oidc_server, context)
    assert allows(trust_of(role), claims=claims, provider_arn=SETTINGS.provider_arn) is allowed


def test_the_apply_role_follows_the_factorys_environment_and_pinned_workflow(oidc_server: OidcServer) -> None:
    ref = "gwpipelines/gwpipelines/.github/workflows/pipelines.yml@refs/tags/v0.1.0"
    values = dataclasses.replace(VALUES, apply_environment="prod-apply", job_workflow_ref=ref)
    role = baseline.render(TEMPLATE, values)["sandbox/_global/pipelines-apply-role/terragrunt.hcl"]
    assert "environment\n# prod-apply" in role  # the unit's comment names what its role trusts
    pinned = GithubContext(environment="prod-apply", workflow_ref_override=ref, sub_claim_keys=list(SUBJECT_CLAIM_KEYS))
    for context, allowed in (
        (pinned, True),
        (GithubContext(environment="prod-apply"), False),
        (GithubContext(), False),
    ):
        claims = verified_claims(oidc_server, context)
        assert allows(trust_of(role), claims=claims, provider_arn=SETTINGS.provider_arn) is allowed


def test_the_factory_refuses_an_environment_name_that_could_widen_the_trust() -> None:
    assert AccountFactoryConfig.model_validate({"name": "factory"}).apply_environment == APPLY_ENVIRONMENT
    for bad in ("gwpipelines-*", "a:job_workflow_ref:b", ""):
        with pytest.raises(ValidationError, match="apply_environment"):
            AccountFactoryConfig.model_validate({"name": "factory", "apply_environment": bad})


def test_rendered_baseline_passes_units_graph_and_orchestrate(tmp_path: Path) -> None:
    live = GitRepo.from_tree(LIVE_TEMPLATE, tmp_path / "live")
    live.append("accounts.yml", "\nsandbox:\n  email: aws+sandbox@acme.example.com\n  region: eu-west-1\n")
    base = live.commit("request sandbox")
    for path, text in baseline.render(TEMPLATE, VALUES).items():
        live.write(path, text)
    live.write("accounts.yml", accounts.with_id(live.read("accounts.yml"), "sandbox", VALUES.account_id))
    head = live.commit("sandbox baseline")

    units = run("units", "--repo", str(live.path), "--format", "json")
    assert units.code == 0, units.err
    assert [u for u in units.json()["units"] if u.startswith("sandbox/")] == UNITS
    graph = run("graph", "--repo", str(live.path), "--format", "json")
    assert graph.code == 0, graph.err
    deps = {u["path"]: u["dependencies"] for u in graph.json()["units"] if u["path"].startswith("sandbox/")}
    for kind in ("plan", "apply"):
        assert deps[f"sandbox/_global/pipelines-{kind}-role"] == [
            "sandbox/_global/github-oidc-provider",
            f"sandbox/_global/pipelines-{kind}-policy",
        ]
    reading = run("units", "--repo", str(live.path), "--format", "json", "--reading", "sandbox/account.hcl")
    assert reading.json()["units"] == UNITS  # root.hcl reads the account's account.hcl for every unit

    merged = run(
        "orchestrate", "--repo", str(live.path), "--base", base, "--head", head, "--event", "push", "--format", "json"
    )
    assert merged.code == 0, merged.err
    applies = {j["unit"]: j for j in merged.json()["jobs"] if j["action"] == "apply"}
    assert sorted(applies) == UNITS
    provider = applies["sandbox/_global/github-oidc-provider"]["id"]
    assert provider in applies["sandbox/_global/pipelines-apply-role"]["needs"]
    assert {(c["type"], c["account"]) for c in merged.json()["changes"] if c["unit"] is None} == {
        ("AccountChanged", "sandbox")
    }


def test_a_broken_template_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "account.hcl.j2").write_text('locals {\n  x = "{{ no_such_value }}"\n}\n')
    with pytest.raises(UserError, match=r"account.hcl.j2.*no_such_value"):
        baseline.render(tmp_path, VALUES)
    with pytest.raises(UserError, match="baseline template is missing"):
        baseline.render(tmp_path / "absent", VALUES)
