"""pipelines.yml: strict validation with file, line and key; defaults; the schema; `config validate|schema`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gwpipelines import config
from gwpipelines.errors import UserError
from testing.cli import run

FULL = """\
core:
  live_repo: acme/infrastructure-live
  default_branch: main
  execution_defaults:
    max_attempts: 3
    parallelism: 8
    timeout_seconds: 1800
  steps: [tg, policy]
terragrunt:
  - name: tg
    tf_path: terraform
    timeout_seconds: 600
command:
  - name: policy
    argv: [conftest, test, plan.json]
    depends_on: [tg]
    actions: [plan]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pipelines.yml"
    path.write_text(text)
    return path


def test_full_config_resolves_instances_with_defaults(tmp_path: Path) -> None:
    cfg = config.load(write(tmp_path, FULL))
    assert cfg.core.execution_defaults.parallelism == 8
    tg, policy = cfg.steps_for("plan")
    assert (tg.name, tg.extension, tg.config.timeout_seconds, tg.config.max_attempts) == ("tg", "terragrunt", 600, 3)
    assert (policy.name, policy.config.timeout_seconds, policy.config.depends_on) == ("policy", 1800, ("tg",))
    assert [i.name for i in cfg.steps_for("apply")] == ["tg"]  # policy is limited to plan
    # Account jobs go to the account factory (a built-in, installed with the package) with its defaults.
    assert [(i.name, i.extension) for i in cfg.steps_for("account-plan")] == [("account-factory", "account-factory")]


def test_no_file_means_terragrunt_with_defaults() -> None:
    cfg = config.load(None)
    (step,) = cfg.steps_for("apply")
    assert (step.name, step.extension, step.config.max_attempts) == ("terragrunt", "terragrunt", 2)
    assert cfg.authentication is None


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("core:\n  live_repo: a/b\n  paralelism: 3\n", "pipelines.yml:3: core.paralelism: unknown key"),
        ("core:\n  execution_defaults:\n    parallelism: 0\n", "pipelines.yml:3: core.execution_defaults.parallelism:"),
        ("core: {}\nterragrunt:\n  - name: a\n    tf_pth: tofu\n", "pipelines.yml:4: terragrunt.0.tf_pth: unknown key"),
        ("core: {}\nkubernetes: []\n", "pipelines.yml:2: kubernetes: unknown key; remove it or check its spelling"),
        ("core: {}\ncommand:\n  - name: x\n", "pipelines.yml:3: command.0.argv: Field required"),
        ("core:\n  live_repo: not a repo\n", "pipelines.yml:2: core.live_repo: String should match pattern"),
        ("core: [\n", "pipelines.yml:2: not valid YAML"),
        ("- a\n", "pipelines.yml:1: must be a mapping"),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, text: str, where: str) -> None:
    with pytest.raises(UserError) as e:
        config.load(write(tmp_path, text))
    assert str(e.value).replace(str(tmp_path) + "/", "").startswith(where), str(e.value)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("core:\n  steps: [nope]\n", "core.steps: 'nope' is neither a configured instance nor an installed extension"),
        ("terragrunt:\n  - name: x\ncommand:\n  - name: x\n    argv: [a]\n", "instance name 'x' is used twice"),
        ("terragrunt:\n  - name: x\n    depends_on: [y]\n", "terragrunt.x.depends_on: no instance 'y'"),
    ],
)
def test_cross_checks(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(UserError, match=says):
        config.load(write(tmp_path, text))


def test_validate_and_schema_commands(tmp_path: Path) -> None:
    ok = run("config", "validate", str(write(tmp_path, FULL)))
    assert ok.code == 0 and "valid (3 extension instance(s); unit jobs run: tg, policy)" in ok.out
    bad = run("config", "validate", str(write(tmp_path, "core:\n  nope: 1\n")))
    assert bad.code == 2 and len(bad.err.strip().splitlines()) == 1 and "core.nope: unknown key" in bad.err
    missing = run("config", "validate", str(tmp_path / "missing.yml"))
    assert missing.code == 2 and "cannot read" in missing.err
    schema = run("config", "schema").json()
    assert schema["additionalProperties"] is False
    assert {"core", "authentication", "terragrunt", "command", "opentofu", "terraform"} <= set(schema["properties"])
    # The schema is what a YAML-aware editor checks against: the full example passes it, a typo fails it.
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    jsonschema.validate(yaml.safe_load(FULL), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"core": {"paralelism": 1}}, schema)
    assert json.dumps(schema)
