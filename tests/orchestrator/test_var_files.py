"""Var files passed through `terraform { extra_arguments { ... } }` are reads: a change to one plans every unit that
passes it (`required_var_files`, `optional_var_files`, `-var-file=` in `arguments`), in the unit's own config or in
an included one. Real repositories, real commits, through the CLI and its JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from testing.cli import run
from testing.gitrepo import GitRepo

ROOT_HCL = """\
terraform {
  extra_arguments "common" {
    commands           = ["plan", "apply"]
    required_var_files = ["${get_parent_terragrunt_dir()}/common.tfvars"]
  }
}
"""

UNIT = """\
include "root" {
  path = find_in_parent_folders("root.hcl")
}

terraform {
  source = "../../../modules/app"

  extra_arguments "env" {
    commands           = ["plan", "apply"]
    optional_var_files = [find_in_parent_folders("env.tfvars", "ignore")]
    arguments = [
      "-var-file=${get_repo_root()}/shared/%s.tfvars", "-lock-timeout=20m", "-var-file", "../x.tfvars",
    ]
  }
}
"""


@pytest.fixture
def live(tmp_path: Path) -> GitRepo:
    """acct/{dev,prod}/{app,web}: every unit passes common.tfvars (root.hcl), its env's env.tfvars and
    shared/<unit>.tfvars (its own terraform block)."""
    repo = GitRepo.init(tmp_path / "live")
    repo.write("root.hcl", ROOT_HCL)
    repo.write("common.tfvars", 'owner = "platform"\n')
    repo.write("modules/app/main.tf", 'variable "owner" {}\n')
    for name in ("app", "web"):
        repo.write(f"shared/{name}.tfvars", "size = 1\n")
    for env in ("dev", "prod"):
        repo.write(f"acct/{env}/env.tfvars", f'env = "{env}"\n')
        for name in ("app", "web"):
            repo.write(f"acct/{env}/{name}/terragrunt.hcl", UNIT % name)
    repo.commit("initial")
    return repo


def changed_units(repo: GitRepo, base: str) -> dict[str, list[str]]:
    """unit -> change types of the plan jobs, for the pull request from `base` to the head."""
    res = run(
        "orchestrate", "--repo", str(repo.path), "--base", base, "--head", repo.head(), "--event", "pull_request",
        "--format", "json",
    )  # fmt: skip
    assert res.code == 0, res.err
    data: dict[str, Any] = res.json()
    assert all(j["action"] == "plan" for j in data["jobs"])
    return {j["unit"]: j["change_types"] for j in data["jobs"]}


def test_required_var_file_of_the_root_config_plans_every_unit(live: GitRepo) -> None:
    base = live.head()
    live.write("common.tfvars", 'owner = "security"\n')
    live.commit()
    units = [f"acct/{e}/{u}" for e in ("dev", "prod") for u in ("app", "web")]
    assert changed_units(live, base) == {u: ["FileChanged"] for u in units}


def test_optional_var_file_found_in_parent_folders_plans_that_env(live: GitRepo) -> None:
    base = live.head()
    live.write("acct/dev/env.tfvars", 'env = "development"\n')
    live.commit()
    assert changed_units(live, base) == {"acct/dev/app": ["FileChanged"], "acct/dev/web": ["FileChanged"]}


def test_var_file_argument_plans_the_units_passing_it(live: GitRepo) -> None:
    base = live.head()
    live.write("shared/web.tfvars", "size = 2\n")
    live.commit()
    assert changed_units(live, base) == {"acct/dev/web": ["FileChanged"], "acct/prod/web": ["FileChanged"]}


def test_var_file_as_the_argument_after_the_flag(live: GitRepo) -> None:
    base = live.head()
    live.write("acct/prod/x.tfvars", "x = 1\n")  # "../x.tfvars" from acct/prod/<unit>: added, so planned
    live.commit()
    assert changed_units(live, base) == {"acct/prod/app": ["FileChanged"], "acct/prod/web": ["FileChanged"]}


def test_units_reading_a_var_file(live: GitRepo) -> None:
    res = run("units", "--repo", str(live.path), "--format", "json", "--reading", "acct/prod/env.tfvars")
    assert res.json() == {"units": ["acct/prod/app", "acct/prod/web"]}
