"""`gwpipelines init pipelines` refuses, on one line naming the option, the region and roles that pipelines.yml's
`authentication` section would refuse: it never writes a config that `config validate` rejects."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.cli import run

INIT = ["init", "pipelines", "--org", "acme", "--accounts", "dev=123456789012"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "Europe"], "--region 'Europe': String should match pattern"),
        (["--plan-role", "arn:foo"], "--plan-role 'arn:foo': must be a role name or an ARN"),
        (["--apply-role", "bad*name"], "--apply-role 'bad*name': must be an IAM role name"),
    ],
)
def test_values_authentication_refuses_are_exit_2_naming_the_option(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = run(*INIT[:2], str(tmp_path / "out"), *INIT[2:], *args)
    assert result.code == 2, result
    assert message in result.err and len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_what_init_accepts_config_validate_accepts(tmp_path: Path) -> None:
    role = "arn:aws:iam::210987654321:role/ops/deployer"
    result = run(*INIT[:2], str(tmp_path), *INIT[2:], "--region", "eu-west-1", "--plan-role", role)
    assert result.code == 0, result.err
    validated = run("config", "validate", str(tmp_path / "pipelines.yml"))
    assert validated.code == 0, validated.err + validated.out
