"""The baseline roles' state-backend policies, as a plan and an apply use them: the policy text of the rendered
`_global/pipelines-{plan,apply}-policy` units, with the names root.hcl gives the bucket and the lock table, stored in
moto's IAM and evaluated by moto's IAM policy engine (the one its access control enforces). A plan must be able to
take the DynamoDB state lock (ReadOnlyAccess cannot: every plan in a new account failed on the lock)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult

from gwpipelines.extensions.account_factory import baseline
from testing import LIVE_TEMPLATE
from testing.aws_fixtures import aws_client
from tests.extensions.account_factory.test_baseline import TEMPLATE, VALUES

ACCOUNT = VALUES.account_id
REGION = VALUES.region


def root_locals() -> dict[str, str]:
    """The state backend's names as the live template's root.hcl defines them, for the sandbox account."""
    text = (LIVE_TEMPLATE / "root.hcl").read_text()
    values = {}
    for name in ("state_bucket_prefix", "state_lock_table"):
        found = re.search(rf'^\s*{name}\s*=\s*"([^"]*)"', text, re.M)
        assert found, f"root.hcl defines no {name}"
        values[name] = found.group(1).replace("${local.account_name}", VALUES.account_name)
    return values


def rendered_policy(kind: str) -> str:
    """The policy heredoc of the rendered unit, interpolated as Terragrunt would with root.hcl's locals."""
    unit = baseline.render(TEMPLATE, VALUES)[f"sandbox/_global/pipelines-{kind}-policy/terragrunt.hcl"]
    assert "expose = true" in unit  # the interpolations below read the exposed include
    found = re.search(r"policy\s*=\s*<<-EOT\n(.*?)\n\s*EOT\n", unit, re.S)
    assert found, unit
    text = found.group(1)
    for name, value in root_locals().items():
        text = text.replace(f"${{include.root.locals.{name}}}", value)
    assert "${" not in text
    return text


def allowed(document: str, action: str, resource: str) -> bool:
    return IAMPolicy(document).is_action_permitted(action, resource) == PermissionResult.PERMITTED


@pytest.fixture
def stored(aws_env: dict[str, str]) -> dict[str, str]:
    """Each kind's policy as IAM stores it (CreatePolicy validates the document), attached to its role."""
    iam = aws_client("iam", aws_env)
    documents = {}
    for kind in ("plan", "apply"):
        arn = iam.create_policy(PolicyName=f"gwpipelines-{kind}-state", PolicyDocument=rendered_policy(kind))["Policy"]
        iam.create_role(RoleName=f"gwpipelines-{kind}", AssumeRolePolicyDocument=json.dumps(_trust()))
        iam.attach_role_policy(RoleName=f"gwpipelines-{kind}", PolicyArn=arn["Arn"])
        version = iam.get_policy_version(PolicyArn=arn["Arn"], VersionId=arn["DefaultVersionId"])
        document = version["PolicyVersion"]["Document"]
        documents[kind] = document if isinstance(document, str) else json.dumps(document)
        attached = iam.list_attached_role_policies(RoleName=f"gwpipelines-{kind}")["AttachedPolicies"]
        assert [p["PolicyName"] for p in attached] == [f"gwpipelines-{kind}-state"]
    return documents


def _trust() -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "sts.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}  # fmt: skip


def test_a_plan_takes_the_state_lock_and_reads_the_state_but_writes_no_state(stored: dict[str, str]) -> None:
    names = root_locals()
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{names['state_lock_table']}"
    bucket = f"arn:aws:s3:::{names['state_bucket_prefix']}-{REGION}"
    state = f"{bucket}/sandbox/{REGION}/app/tofu.tfstate"
    plan = stored["plan"]
    for action in ("dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"):
        assert allowed(plan, action, table), action  # the lock: taken and released by every plan
    assert allowed(plan, "s3:ListBucket", bucket) and allowed(plan, "s3:GetObject", state)
    assert allowed(plan, "s3:PutObject", f"{state}.tflock")  # S3-native locking (use_lockfile) too
    for action in ("s3:PutObject", "s3:DeleteObject"):
        assert not allowed(plan, action, state), action  # a plan never writes the state
    assert not allowed(plan, "dynamodb:PutItem", f"arn:aws:dynamodb:{REGION}:999999999999:table/tofu-locks")
    assert not allowed(plan, "dynamodb:PutItem", f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/other")
    assert not allowed(plan, "s3:GetObject", "arn:aws:s3:::acme-tofu-state-prod-eu-west-1/x/tofu.tfstate")


def test_an_apply_reads_and_writes_the_state_and_takes_the_lock(stored: dict[str, str]) -> None:
    names = root_locals()
    state = f"arn:aws:s3:::{names['state_bucket_prefix']}-us-east-1/sandbox/us-east-1/vpc/tofu.tfstate"
    table = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{names['state_lock_table']}"
    apply = stored["apply"]
    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        assert allowed(apply, action, state), action
    assert allowed(apply, "dynamodb:PutItem", table) and allowed(apply, "dynamodb:DeleteItem", table)


def test_the_roles_attach_their_state_policy_by_the_name_the_policy_unit_creates() -> None:
    files = baseline.render(TEMPLATE, VALUES)
    for kind in ("plan", "apply"):
        role = files[f"sandbox/_global/pipelines-{kind}-role/terragrunt.hcl"]
        unit = files[f"sandbox/_global/pipelines-{kind}-policy/terragrunt.hcl"]
        name = re.search(r'^\s*name\s*=\s*"([^"]+)"', unit, re.M)
        assert name and f'"arn:aws:iam::{ACCOUNT}:policy/{name.group(1)}"' in role
        assert f'"../pipelines-{kind}-policy"' in role  # applied after the policy exists
