"""infrastructure-live-template/ is the demo and the main fixture: check it is what its README promises.

Every `.hcl` file parses (with python-hcl2, independent of our own scanner), the layout is
<account>/<region>/<env>/<unit>, the accounts in accounts.yml are the top-level folders, units include root.hcl
and their _envcommon component, their dependency blocks form the intended DAG, and the local module, the data
files and the tool pins exist.
"""

from __future__ import annotations

import json
import re
import tomllib
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml

from testing import LIVE_TEMPLATE
from testing.cli import run

OPTIONS = hcl2.SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, with_comments=False, preserve_heredocs=False
)
ENVIRONMENTS = {"non-prod": {"dev", "qa"}, "prod": {"staging", "prod"}}
REGION = "us-east-1"
COMPONENTS = {"vpc", "mysql", "redis", "app", "bastion"}
# Each component's dependencies inside its environment: vpc -> {mysql, redis, bastion}; {vpc, mysql, redis} -> app.
COMPONENT_DEPENDENCIES = {
    "vpc": set(),
    "mysql": {"vpc"},
    "redis": {"vpc"},
    "bastion": {"vpc"},
    "app": {"vpc", "mysql", "redis"},
}
ENVCOMMON_INCLUDE = '${dirname(find_in_parent_folders("root.hcl"))}/_envcommon/%s.hcl'


def parse(path: Path) -> dict[str, Any]:
    parsed: dict[str, Any] = hcl2.loads(path.read_text(), serialization_options=OPTIONS)
    return parsed


def blocks(parsed: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Labelled blocks (include "x" {...}, dependency "x" {...}) as {label: body}."""
    return {label: body for entry in parsed.get(kind, []) for label, body in entry.items()}


def unit_dirs() -> list[Path]:
    return sorted(p.parent for p in LIVE_TEMPLATE.rglob("terragrunt.hcl"))


def rel(path: Path) -> str:
    return path.relative_to(LIVE_TEMPLATE).as_posix()


def dependency_paths(unit: Path) -> set[str]:
    """The units a unit depends on, from its own dependency blocks and those of its envcommon include.

    The only expressions the template uses in config_path are a relative path and
    "${get_terragrunt_dir()}/..", which Terragrunt evaluates in the including unit's directory.
    """
    parsed = parse(unit / "terragrunt.hcl")
    deps = dict(blocks(parsed, "dependency"))
    component = unit.name
    deps.update(blocks(parse(LIVE_TEMPLATE / "_envcommon" / f"{component}.hcl"), "dependency"))
    out = set()
    for body in deps.values():
        config_path = str(body["config_path"]).replace("${get_terragrunt_dir()}", str(unit))
        assert "${" not in config_path, f"{rel(unit)}: unexpected expression in config_path {config_path!r}"
        out.add(rel((unit / config_path).resolve()))
    return out


@pytest.mark.parametrize("path", sorted(LIVE_TEMPLATE.rglob("*.hcl")), ids=lambda p: rel(p))
def test_every_hcl_file_parses(path: Path) -> None:
    assert parse(path), f"{rel(path)} is empty"


def test_accounts_yml_names_the_top_level_account_folders() -> None:
    accounts = yaml.safe_load((LIVE_TEMPLATE / "accounts.yml").read_text())
    assert set(accounts) == set(ENVIRONMENTS)
    for name, entry in accounts.items():
        assert set(entry) == {"id", "email", "organizational_unit", "region", "tags"}, name
        # A quoted string: an unquoted 12-digit id with a leading zero would be read as a number by YAML.
        assert isinstance(entry["id"], str) and re.fullmatch(r"\d{12}", entry["id"]), name
        assert "@" in entry["email"] and entry["region"] == REGION
        assert isinstance(entry["tags"], dict)
        # account.hcl carries the same id: the provider's allowed_account_ids comes from it.
        account_locals = parse(LIVE_TEMPLATE / name / "account.hcl")["locals"][0]
        assert account_locals == {"account_name": name, "aws_account_id": entry["id"]}


def test_layout_is_account_region_environment_unit() -> None:
    found: dict[str, dict[str, set[str]]] = {}
    for unit in unit_dirs():
        parts = rel(unit).split("/")
        assert len(parts) == 4, f"unit {rel(unit)} is not <account>/<region>/<env>/<unit>"
        account, region, env, component = parts
        assert region == REGION
        found.setdefault(account, {}).setdefault(env, set()).add(component)
    assert {a: set(envs) for a, envs in found.items()} == ENVIRONMENTS
    for account, envs in found.items():
        assert (LIVE_TEMPLATE / account / "account.hcl").is_file()
        assert (LIVE_TEMPLATE / account / REGION / "region.hcl").is_file()
        for env, components in envs.items():
            assert components == COMPONENTS, f"{account}/{env}"
            env_locals = parse(LIVE_TEMPLATE / account / REGION / env / "env.hcl")
            assert set(env_locals) == {"locals"}, "env.hcl holds locals only"
            assert env_locals["locals"][0]["environment"] == env


def test_units_include_root_and_their_envcommon_component() -> None:
    for unit in unit_dirs():
        includes = blocks(parse(unit / "terragrunt.hcl"), "include")
        assert includes["root"] == {"path": '${find_in_parent_folders("root.hcl")}'}, rel(unit)
        assert includes["envcommon"] == {"path": ENVCOMMON_INCLUDE % unit.name, "expose": True}, rel(unit)
        assert (LIVE_TEMPLATE / "_envcommon" / f"{unit.name}.hcl").is_file()


def test_root_reads_account_region_and_env_through_find_in_parent_folders() -> None:
    root = parse(LIVE_TEMPLATE / "root.hcl")
    local_values = root["locals"][0]
    for name in ("account", "region", "env"):
        call = f'${{read_terragrunt_config(find_in_parent_folders("{name}.hcl"))}}'
        assert local_values[f"{name}_vars"] == call
    assert root["remote_state"][0]["backend"] == "s3"
    assert "path_relative_to_include()" in root["remote_state"][0]["config"]["key"]
    assert "provider" in blocks(root, "generate")
    assert str(root["inputs"]).startswith("${merge(")


def test_dependencies_form_the_intended_dag() -> None:
    graph = {rel(unit): dependency_paths(unit) for unit in unit_dirs()}
    for unit, deps in graph.items():
        env = unit.rsplit("/", 1)[0]
        assert deps == {f"{env}/{d}" for d in COMPONENT_DEPENDENCIES[unit.rsplit("/", 1)[1]]}, unit
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as e:
        pytest.fail(f"dependency cycle: {e.args[1]}")
    assert len(order) == len(graph)


def test_dependencies_have_mock_outputs_for_plan() -> None:
    """A plan of a unit whose dependency was never applied needs mock outputs (new environments, PRs)."""
    files = [*(u / "terragrunt.hcl" for u in unit_dirs()), *(LIVE_TEMPLATE / "_envcommon").glob("*.hcl")]
    for path in files:
        for label, body in blocks(parse(path), "dependency").items():
            assert body.get("mock_outputs"), f"{rel(path)}: dependency {label} has no mock_outputs"
            assert "plan" in body["mock_outputs_allowed_terraform_commands"]


def test_components_use_pinned_remote_modules_or_the_local_bastion_module() -> None:
    for path in sorted((LIVE_TEMPLATE / "_envcommon").glob("*.hcl")):
        source = parse(path)["terraform"][0]["source"]
        if path.stem == "bastion":
            assert source == '${dirname(find_in_parent_folders("root.hcl"))}/modules//bastion'
        else:
            assert re.fullmatch(r"git::https://github\.com/[\w.-]+/[\w.-]+\.git(//[\w/-]+)?\?ref=v[\d.]+", source)
    module = LIVE_TEMPLATE / "modules" / "bastion"
    assert {p.name for p in module.glob("*.tf")} == {"main.tf", "variables.tf", "outputs.tf", "versions.tf"}
    assert 'resource "aws_instance" "bastion"' in (module / "main.tf").read_text()


def test_data_files_read_with_file_exist_and_are_valid_json() -> None:
    reads = set()
    for path in (LIVE_TEMPLATE / "_envcommon").glob("*.hcl"):
        reads.update(re.findall(r'file\("\$\{get_repo_root\(\)\}/([^"]+)"\)', path.read_text()))
    assert reads == {"data/app/container-definitions.json", "data/bastion-allowed-cidrs.json"}
    for name in reads:
        json.loads((LIVE_TEMPLATE / name).read_text())


def test_mise_pins_exact_terragrunt_and_opentofu_versions() -> None:
    tools = tomllib.loads((LIVE_TEMPLATE / ".mise.toml").read_text())["tools"]
    assert set(tools) == {"terragrunt", "opentofu"}
    for version in tools.values():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version)


def test_gwpipelines_sees_the_same_units_and_graph() -> None:
    """The orchestrator's view of the template agrees with the independent reading above."""
    units = run("units", "--repo", str(LIVE_TEMPLATE), "--format", "json")
    assert units.code == 0, units.err
    assert units.json() == {"units": [rel(u) for u in unit_dirs()]}
    graph = run("graph", "--repo", str(LIVE_TEMPLATE), "--format", "json")
    assert graph.code == 0, graph.err
    expected = [{"path": rel(u), "dependencies": sorted(dependency_paths(u))} for u in unit_dirs()]
    assert graph.json() == {"units": expected}
