"""Terragrunt Stacks through `gwpipelines orchestrate`, on real git history, in the layouts of Terragrunt's own
fixtures (test/fixtures/stacks/basic, nested, no-dot-terragrunt-stack, enabled) and of Gruntwork's stacks example
live repo (remote catalog units under account/region folders)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from testing.cli import orchestrate_json, run
from testing.gitrepo import GitRepo

CHICKEN = 'terraform {\n  source = "."\n}\n'
BASIC_STACK = """unit "mother" {
  source = "../units/chicken"
  path   = "mother"
}

unit "father" {
  source = "../units/chicken"
  path   = "father"
}

unit "chick_1" {
  source = "../units/chick"
  path   = "chicks/chick-1"
}

unit "chick_2" {
  source = "../units/chick"
  path   = "chicks/chick-2"
}
"""


def jobs(data: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(j["action"], j["unit"]) for j in data["jobs"]]


def changes(data: dict[str, Any]) -> set[tuple[str, str | None]]:
    return {(c["type"], c["unit"] or c["account"]) for c in data["changes"]}


@pytest.fixture
def basic(tmp_path: Path) -> GitRepo:
    """Terragrunt's stacks/basic fixture: a live stack of four units from a local catalog of two."""
    repo = GitRepo.init(tmp_path / "live")
    repo.write("live/terragrunt.stack.hcl", BASIC_STACK)
    for name in ("chicken", "chick"):
        repo.write(f"units/{name}/terragrunt.hcl", CHICKEN)
        repo.write(f"units/{name}/main.tf", 'resource "null_resource" "x" {}\n')
    repo.write(".gitignore", ".terragrunt-stack\n")
    repo.commit("initial")
    return repo


GENERATED = ["live/.terragrunt-stack/chicks/chick-1", "live/.terragrunt-stack/chicks/chick-2"]
PARENTS = ["live/.terragrunt-stack/father", "live/.terragrunt-stack/mother"]


def test_units_lists_the_generated_units_not_the_catalog(basic: GitRepo) -> None:
    got = run("units", "--repo", str(basic.path), "--format", "json")
    assert got.code == 0, got.err
    assert got.json()["units"] == [*GENERATED, *PARENTS]


def test_a_first_push_applies_every_generated_unit(basic: GitRepo) -> None:
    data = orchestrate_json(basic.path, "0" * 40, basic.head(), "push")
    assert sorted(jobs(data)) == [("apply", u) for u in [*GENERATED, *PARENTS]]


def test_a_changed_catalog_unit_plans_every_copy_of_it(basic: GitRepo) -> None:
    base = basic.head()
    basic.append("units/chick/main.tf", "# tuned\n")
    data = orchestrate_json(basic.path, base, basic.commit("tune chick"), "pull_request")
    assert sorted(jobs(data)) == [("plan", u) for u in GENERATED]
    assert data["ignored"] == []


def test_values_changed_for_one_unit_plan_that_unit_only(basic: GitRepo) -> None:
    with_values = BASIC_STACK.replace('path   = "father"\n', 'path   = "father"\n  values = {}\n')
    basic.write("live/terragrunt.stack.hcl", with_values)
    base = basic.commit("values")
    text = basic.read("live/terragrunt.stack.hcl").replace("values = {}", 'values = { name = "dad" }')
    basic.write("live/terragrunt.stack.hcl", text)
    data = orchestrate_json(basic.path, base, basic.commit("name the father"), "pull_request")
    assert jobs(data) == [("plan", "live/.terragrunt-stack/father")]
    assert changes(data) == {("StackChanged", "live/.terragrunt-stack/father")}


def test_a_removed_unit_block_is_destroyed_at_base_and_an_added_one_applied(basic: GitRepo) -> None:
    base = basic.head()
    text = BASIC_STACK.replace('unit "chick_2" {\n  source = "../units/chick"\n  path   = "chicks/chick-2"\n}\n', "")
    text += 'unit "chick_3" {\n  source = "../units/chick"\n  path   = "chicks/chick-3"\n}\n'
    basic.write("live/terragrunt.stack.hcl", text)
    data = orchestrate_json(basic.path, base, basic.commit("swap a chick"), "push")
    assert sorted(jobs(data)) == [
        ("apply", "live/.terragrunt-stack/chicks/chick-3"),
        ("destroy", "live/.terragrunt-stack/chicks/chick-2"),
    ]
    destroy = next(j for j in data["jobs"] if j["action"] == "destroy")
    assert destroy["ref"] == base


def test_a_deleted_stack_destroys_every_unit_it_generated(basic: GitRepo) -> None:
    base = basic.head()
    basic.delete("live/terragrunt.stack.hcl")
    data = orchestrate_json(basic.path, base, basic.commit("drop the stack"), "push")
    assert sorted(jobs(data)) == [("destroy", u) for u in [*GENERATED, *PARENTS]]


def test_enabled_false_and_no_dot_terragrunt_stack(basic: GitRepo) -> None:
    base = basic.head()
    text = BASIC_STACK.replace('path   = "mother"\n', 'path   = "mother"\n  enabled = false\n')
    text = text.replace('path   = "father"\n', 'path   = "father"\n  no_dot_terragrunt_stack = true\n')
    basic.write("live/terragrunt.stack.hcl", text)
    data = orchestrate_json(basic.path, base, basic.commit("disable mother, father in place"), "push")
    assert sorted(jobs(data)) == [
        ("apply", "live/father"),
        ("destroy", "live/.terragrunt-stack/father"),
        ("destroy", "live/.terragrunt-stack/mother"),
    ]


NESTED_LIVE = """stack "dev" {
  source = "${get_repo_root()}/stacks/dev"
  path   = "dev"
}

stack "prod" {
  source = "${get_repo_root()}/stacks/prod"
  path   = "prod"
}
"""
NESTED_STACK = """unit "%(env)s-api" {
  source = "${get_repo_root()}/units/api"
  path   = "api"
  values = {
    ver = "%(env)s-api 1.0.0"
  }
}

unit "%(env)s-db" {
  source = "${get_repo_root()}/units/db"
  path   = "db"
  values = {
    ver = "%(env)s-db 1.0.0"
  }
}
"""
API = """inputs = {
  ver = values.ver
}

dependency "db" {
  config_path = "../db"
}
"""


@pytest.fixture
def nested(tmp_path: Path) -> GitRepo:
    """Terragrunt's stacks/nested fixture: a live stack of two catalog stacks, each of two catalog units."""
    repo = GitRepo.init(tmp_path / "live")
    repo.write("live/terragrunt.stack.hcl", NESTED_LIVE)
    for env in ("dev", "prod"):
        repo.write(f"stacks/{env}/terragrunt.stack.hcl", NESTED_STACK % {"env": env})
    repo.write("units/api/terragrunt.hcl", API)
    repo.write("units/db/terragrunt.hcl", "inputs = {\n  ver = values.ver\n}\n")
    repo.commit("initial")
    return repo


def _nested(env: str, unit: str) -> str:
    return f"live/.terragrunt-stack/{env}/.terragrunt-stack/{unit}"


def test_nested_stacks_generate_their_units_with_dependencies(nested: GitRepo) -> None:
    got = run("graph", "--repo", str(nested.path), "--format", "json")
    assert got.code == 0, got.err
    assert got.json()["units"] == [
        {"path": _nested(env, unit), "dependencies": [_nested(env, "db")] if unit == "api" else []}
        for env in ("dev", "prod")
        for unit in ("api", "db")
    ]


def test_a_changed_catalog_stack_plans_its_copies_in_dependency_order(nested: GitRepo) -> None:
    base = nested.head()
    nested.write("stacks/prod/terragrunt.stack.hcl", (NESTED_STACK % {"env": "prod"}).replace("1.0.0", "1.1.0"))
    data = orchestrate_json(nested.path, base, nested.commit("prod 1.1"), "push")
    assert jobs(data) == [("apply", _nested("prod", "db")), ("apply", _nested("prod", "api"))]
    assert data["jobs"][1]["needs"] == [f"apply:{_nested('prod', 'db')}"]


EXAMPLE_STACK = """locals {
  name = "stateful-lambda-service-%(env)s"
}

unit "service" {
  source = "github.com/gruntwork-io/terragrunt-infrastructure-catalog-example//units/js-lambda-stateful-service"
  path   = "service"
  values = {
    version = "main"
    name    = local.name
  }
}

unit "db" {
  source = "github.com/gruntwork-io/terragrunt-infrastructure-catalog-example//units/dynamodb-table"
  path   = "db"
  values = {
    version = "main"
    name    = "${local.name}-db"
  }
}
"""


@pytest.fixture
def example(tmp_path: Path) -> GitRepo:
    """Gruntwork's terragrunt-infrastructure-live-stacks-example: remote catalog units, account/region files."""
    repo = GitRepo.init(tmp_path / "live")
    repo.write("root.hcl", 'locals {\n  account = read_terragrunt_config(find_in_parent_folders("account.hcl"))\n}\n')
    for env, acct in (("non-prod", "dev"), ("prod", "prod")):
        repo.write(f"{env}/account.hcl", f'locals {{\n  account_name = "{acct}"\n}}\n')
        repo.write(f"{env}/us-east-1/region.hcl", 'locals {\n  aws_region = "us-east-1"\n}\n')
        repo.write(f"{env}/us-east-1/stateful-lambda-service/terragrunt.stack.hcl", EXAMPLE_STACK % {"env": acct})
    repo.write("README.md", "# live\n")
    repo.commit("initial")
    return repo


def _example(env: str, unit: str) -> str:
    return f"{env}/us-east-1/stateful-lambda-service/.terragrunt-stack/{unit}"


def test_remote_units_are_planned_with_one_warning(example: GitRepo) -> None:
    base = example.head()
    example.append("prod/us-east-1/region.hcl", "# tuned\n")
    data = orchestrate_json(example.path, base, example.commit("tune prod region"), "pull_request")
    assert sorted(jobs(data)) == [("plan", _example("prod", "db")), ("plan", _example("prod", "service"))]
    remote = [w for w in data["warnings"] if "remote source" in w]
    assert len(remote) == 1 and remote[0].startswith("prod/us-east-1/stateful-lambda-service/terragrunt.stack.hcl:")
    assert "unit 'db', unit 'service'" in remote[0]


def test_the_example_repo_on_every_kind_of_commit(example: GitRepo) -> None:
    c0 = example.head()
    example.append("root.hcl", "# everyone\n")
    c1 = example.commit("root")
    assert len(orchestrate_json(example.path, c0, c1, "push")["jobs"]) == 4
    example.write(
        "prod/us-east-1/stateful-lambda-service/terragrunt.stack.hcl",
        (EXAMPLE_STACK % {"env": "prod"}).replace('name    = "${local.name}-db"', 'name    = "${local.name}-table"'),
    )
    c2 = example.commit("rename the prod table")
    assert jobs(orchestrate_json(example.path, c1, c2, "push")) == [("apply", _example("prod", "db"))]
    example.delete("prod/us-east-1/stateful-lambda-service/terragrunt.stack.hcl")
    example.delete("non-prod/us-east-1/stateful-lambda-service/terragrunt.stack.hcl")
    c3 = example.commit("drop both stacks")
    data = orchestrate_json(example.path, c2, c3, "push")
    assert sorted(jobs(data)) == [
        ("destroy", _example(env, unit)) for env in ("non-prod", "prod") for unit in ("db", "service")
    ]
    assert {j["ref"] for j in data["jobs"]} == {c2}
    example.append("README.md", "more\n")
    data = orchestrate_json(example.path, c3, example.commit("docs"), "push")
    assert data["jobs"] == [] and data["ignored"] == ["README.md"]


def test_a_moved_stack_moves_its_units_and_destroys_nothing(basic: GitRepo) -> None:
    base = basic.head()
    basic.move("live/terragrunt.stack.hcl", "prod/terragrunt.stack.hcl")
    basic.write("prod/terragrunt.stack.hcl", BASIC_STACK.replace("../units", "../units"))
    data = orchestrate_json(basic.path, base, basic.commit("live is prod now"), "push")
    assert all(j["action"] == "apply" for j in data["jobs"]), data["jobs"]
    assert {c["type"] for c in data["changes"]} == {"ModuleMoved"}


def test_a_stack_file_include_brings_its_units(basic: GitRepo) -> None:
    base = basic.head()
    basic.write("live/common.stack.hcl", 'unit "shared" {\n  source = "../units/chick"\n  path   = "shared"\n}\n')
    basic.write("live/terragrunt.stack.hcl", 'include "common" {\n  path = "common.stack.hcl"\n}\n' + BASIC_STACK)
    data = orchestrate_json(basic.path, base, basic.commit("include a common stack file"), "push")
    assert jobs(data) == [("apply", "live/.terragrunt-stack/shared")]
    base = basic.head()
    basic.write("live/common.stack.hcl", basic.read("live/common.stack.hcl").replace("chick", "chicken"))
    data = orchestrate_json(basic.path, base, basic.commit("the shared unit is a chicken"), "push")
    assert jobs(data) == [("apply", "live/.terragrunt-stack/shared")]
