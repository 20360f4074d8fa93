"""Terragrunt's path semantics, one function at a time (pkg/config/config_helpers.go is the reference)."""

from __future__ import annotations

import pytest

from gwpipelines.orchestrator import terragrunt
from testing.memtree import ROOT_INCLUDE, analyse

ENVCOMMON_INCLUDE = """
include "envcommon" {
  path   = "${dirname(find_in_parent_folders("root.hcl"))}/_envcommon/app.hcl"
  expose = true
}
"""


def readers(files: dict[str, str], path: str) -> list[str]:
    return analyse(files).readers(path)


def test_find_in_parent_folders_in_an_included_file_runs_for_the_including_unit() -> None:
    files = {
        "root.hcl": 'locals { env = read_terragrunt_config(find_in_parent_folders("env.hcl")) }\n',
        "a/dev/env.hcl": 'locals { env = "dev" }\n',
        "a/prod/env.hcl": 'locals { env = "prod" }\n',
        "a/dev/app/terragrunt.hcl": ROOT_INCLUDE,
        "a/prod/app/terragrunt.hcl": ROOT_INCLUDE,
    }
    assert readers(files, "a/dev/env.hcl") == ["a/dev/app"]
    assert readers(files, "a/prod/env.hcl") == ["a/prod/app"]
    assert readers(files, "root.hcl") == ["a/dev/app", "a/prod/app"]


def test_find_in_parent_folders_starts_above_the_units_own_directory() -> None:
    files = {
        "env.hcl": "locals {}\n",
        "app/env.hcl": "locals {}\n",
        "app/terragrunt.hcl": 'locals { e = read_terragrunt_config(find_in_parent_folders("env.hcl")) }\n',
    }
    assert readers(files, "env.hcl") == ["app"]
    assert readers(files, "app/env.hcl") == []


def test_find_in_parent_folders_without_a_name_finds_the_legacy_root_which_is_not_a_unit() -> None:
    files = {
        "terragrunt.hcl": 'remote_state {\n  backend = "s3"\n}\n',
        "prod/vpc/terragrunt.hcl": "include {\n  path = find_in_parent_folders()\n}\n",
        "prod/app/terragrunt.hcl": "include {\n  path = find_in_parent_folders()\n}\n",
    }
    a = analyse(files)
    assert sorted(a.units) == ["prod/app", "prod/vpc"]
    assert a.shared_configs == {"terragrunt.hcl"}
    assert a.readers("terragrunt.hcl") == ["prod/app", "prod/vpc"]


def test_find_in_parent_folders_fallback_is_used_when_nothing_is_found() -> None:
    files = {
        "defaults/empty.hcl": "locals {}\n",
        "app/terragrunt.hcl": (
            "locals {\n  x = read_terragrunt_config(find_in_parent_folders("
            '"override.hcl", "${get_terragrunt_dir()}/../defaults/empty.hcl"))\n}\n'
        ),
    }
    assert readers(files, "defaults/empty.hcl") == ["app"]


def test_find_in_parent_folders_with_a_path_in_the_name() -> None:
    files = {
        "_envcommon/app.hcl": "locals {}\n",
        "prod/app/terragrunt.hcl": 'include "c" {\n  path = find_in_parent_folders("_envcommon/app.hcl")\n}\n',
    }
    assert readers(files, "_envcommon/app.hcl") == ["prod/app"]


def test_a_name_found_nowhere_counts_every_file_of_that_name_and_warns() -> None:
    files = {
        "app/terragrunt.hcl": 'locals { r = read_terragrunt_config(find_in_parent_folders("region.hcl")) }\n',
        "other/region.hcl": "locals {}\n",
    }
    a = analyse(files)
    assert a.readers("other/region.hcl") == ["app"]
    assert any("cannot be fully evaluated" in w for w in a.units["app"].warnings)


def test_read_terragrunt_config_evaluates_the_read_file_in_its_own_directory() -> None:
    files = {
        "org.hcl": "locals {}\n",
        "acct/common.hcl": "locals {}\n",
        "acct/account.hcl": (
            'locals {\n  org = read_terragrunt_config(find_in_parent_folders("org.hcl"))\n'
            '  common = read_terragrunt_config("common.hcl")\n}\n'
        ),
        "acct/dev/app/terragrunt.hcl": 'locals { a = read_terragrunt_config(find_in_parent_folders("account.hcl")) }\n',
    }
    assert readers(files, "acct/account.hcl") == ["acct/dev/app"]
    assert readers(files, "acct/common.hcl") == ["acct/dev/app"]
    assert readers(files, "org.hcl") == ["acct/dev/app"]


def test_read_terragrunt_config_of_a_directory_reads_its_terragrunt_hcl() -> None:
    files = {
        "shared/terragrunt.hcl": "locals { x = 1 }\n",
        "app/terragrunt.hcl": 'locals { s = read_terragrunt_config("../shared") }\n',
    }
    assert "app" in readers(files, "shared/terragrunt.hcl")


def test_get_terragrunt_dir_in_an_included_file_is_the_units_directory() -> None:
    files = {
        "root.hcl": "",
        "_envcommon/app.hcl": 'locals { task = file("${get_terragrunt_dir()}/../task.json") }\n',
        "prod/task.json": "{}",
        "dev/task.json": "{}",
        "prod/app/terragrunt.hcl": ENVCOMMON_INCLUDE,
        "dev/app/terragrunt.hcl": ENVCOMMON_INCLUDE,
    }
    assert readers(files, "prod/task.json") == ["prod/app"]
    assert readers(files, "dev/task.json") == ["dev/app"]
    assert readers(files, "_envcommon/app.hcl") == ["dev/app", "prod/app"]


def test_get_parent_terragrunt_dir_in_an_included_file_is_that_files_directory() -> None:
    files = {
        "root.hcl": "",
        "_envcommon/app.hcl": 'locals { d = jsondecode(file("${get_parent_terragrunt_dir()}/data/app.json")) }\n',
        "_envcommon/data/app.json": "{}",
        "prod/app/terragrunt.hcl": ENVCOMMON_INCLUDE,
    }
    assert readers(files, "_envcommon/data/app.json") == ["prod/app"]


def test_get_parent_terragrunt_dir_in_the_unit_names_an_include() -> None:
    files = {
        "root.hcl": "",
        "vars/common.tfvars": "",
        "live/app/terragrunt.hcl": ROOT_INCLUDE
        + 'locals { v = read_tfvars_file("${get_parent_terragrunt_dir("root")}/vars/common.tfvars") }\n',
    }
    assert readers(files, "vars/common.tfvars") == ["live/app"]


def test_get_repo_root_and_get_path_to_repo_root() -> None:
    files = {
        "data/a.yaml": "",
        "data/b.yaml": "",
        "x/y/app/terragrunt.hcl": (
            'locals {\n  a = file("${get_repo_root()}/data/a.yaml")\n'
            '  b = file("${get_terragrunt_dir()}/${get_path_to_repo_root()}/data/b.yaml")\n}\n'
        ),
    }
    assert readers(files, "data/a.yaml") == ["x/y/app"]
    assert readers(files, "data/b.yaml") == ["x/y/app"]


def test_path_relative_to_include_in_the_included_file() -> None:
    files = {
        "root.hcl": 'locals { v = file("${get_parent_terragrunt_dir()}/vars/${path_relative_to_include()}.json") }\n',
        "vars/prod/app.json": "{}",
        "vars/dev/app.json": "{}",
        "prod/app/terragrunt.hcl": ROOT_INCLUDE,
        "dev/app/terragrunt.hcl": ROOT_INCLUDE,
    }
    assert readers(files, "vars/prod/app.json") == ["prod/app"]
    assert readers(files, "vars/dev/app.json") == ["dev/app"]


def test_locals_and_exposed_include_locals_feed_paths() -> None:
    files = {
        "root.hcl": "",
        "_envcommon/app.hcl": 'locals {\n  data_dir = "${get_parent_terragrunt_dir()}/data"\n}\n',
        "_envcommon/data/policy.json": "{}",
        "prod/app/terragrunt.hcl": ENVCOMMON_INCLUDE
        + 'locals {\n  name = "policy"\n  file = "${include.envcommon.locals.data_dir}/${local.name}.json"\n'
        + "  doc = file(local.file)\n}\n",
    }
    assert readers(files, "_envcommon/data/policy.json") == ["prod/app"]


def test_read_config_locals_feed_paths() -> None:
    files = {
        "acct/account.hcl": 'locals { account_name = "acct" }\n',
        "policies/acct.json": "{}",
        "acct/app/terragrunt.hcl": (
            'locals {\n  a = read_terragrunt_config(find_in_parent_folders("account.hcl"))\n'
            '  p = file("${get_repo_root()}/policies/${local.a.locals.account_name}.json")\n}\n'
        ),
    }
    assert readers(files, "policies/acct.json") == ["acct/app"]


@pytest.mark.parametrize("fn", ["read_tfvars_file", "sops_decrypt_file", "mark_as_read", "file"])
def test_file_reading_functions_resolve_relative_to_the_unit(fn: str) -> None:
    files = {
        "app/../common/x.txt": "",
        "common/x.txt": "",
        "app/terragrunt.hcl": f'locals {{ x = {fn}("../common/x.txt") }}\n',
    }
    assert readers(files, "common/x.txt") == ["app"]


def test_relative_file_in_an_included_file_counts_both_candidate_directories() -> None:
    files = {
        "root.hcl": "",
        "_envcommon/app.hcl": 'locals { t = file("tags.json") }\n',
        "_envcommon/tags.json": "{}",
        "prod/app/tags.json": "{}",
        "prod/app/terragrunt.hcl": ENVCOMMON_INCLUDE,
    }
    assert readers(files, "_envcommon/tags.json") == ["prod/app"]
    assert readers(files, "prod/app/tags.json") == ["prod/app"]


def test_an_expression_that_cannot_be_evaluated_becomes_a_wildcard_with_a_warning() -> None:
    files = {
        "cfg/a.json": "{}",
        "cfg/sub/a.json": "{}",
        "cfg/b.yaml": "",
        "app/terragrunt.hcl": 'locals { x = file("${get_env("CFG_DIR")}/a.json") }\n',
    }
    a = analyse(files)
    assert a.readers("cfg/a.json") == ["app"]
    assert a.readers("cfg/sub/a.json") == ["app"]
    assert a.readers("cfg/b.yaml") == []
    (warning,) = a.units["app"].warnings
    assert "app/terragrunt.hcl:1" in warning and "cannot be fully evaluated" in warning


def test_a_wholly_unknown_read_makes_the_unit_read_everything() -> None:
    files = {"x/anything.txt": "", "app/terragrunt.hcl": "locals { x = file(var.path) }\n"}
    assert readers(files, "x/anything.txt") == ["app"]


def test_fileset_counts_every_matching_file() -> None:
    files = {
        "app/terragrunt.hcl": 'locals { f = fileset("${get_repo_root()}/policies", "*.json") }\n',
        "policies/a.json": "",
        "policies/b.txt": "",
    }
    assert readers(files, "policies/a.json") == ["app"]
    assert readers(files, "policies/b.txt") == []


def test_dependencies_are_resolved_for_the_unit_including_those_from_included_files() -> None:
    files = {
        "root.hcl": "",
        "_envcommon/app.hcl": 'dependency "vpc" {\n  config_path = "${get_terragrunt_dir()}/../vpc"\n}\n',
        "_envcommon/nomerge.hcl": 'dependency "db" {\n  config_path = "../db"\n}\n',
        "prod/vpc/terragrunt.hcl": "",
        "prod/db/terragrunt.hcl": "",
        "prod/cache/terragrunt.hcl": "",
        "prod/app/terragrunt.hcl": ENVCOMMON_INCLUDE
        + 'include "nm" {\n  path = "${get_repo_root()}/_envcommon/nomerge.hcl"\n  merge_strategy = "no_merge"\n}\n'
        + 'dependencies {\n  paths = ["../cache"]\n}\n'
        + 'dependency "db2" {\n  config_path = "../db/terragrunt.hcl"\n}\n',
    }
    a = analyse(files)
    assert a.units["prod/app"].dependencies == ("prod/cache", "prod/db", "prod/vpc")


def test_a_dependency_outside_the_repository_keeps_its_dotdot() -> None:
    a = analyse({"app/terragrunt.hcl": 'dependency "x" {\n  config_path = "../../elsewhere/x"\n}\n'})
    assert a.units["app"].dependencies == ("../elsewhere/x",)


def test_local_module_sources_count_every_file_of_the_module_and_its_local_modules() -> None:
    files = {
        "modules/vpc/main.tf": 'module "subnets" {\n  source = "../subnets"\n}\n',
        "modules/subnets/main.tf": "",
        "modules/other/main.tf": "",
        "prod/vpc/terragrunt.hcl": 'terraform {\n  source = "../../modules/vpc"\n}\n',
        "prod/app/terragrunt.hcl": 'terraform {\n  source = "${get_repo_root()}/modules//other"\n}\n',
        "prod/remote/terragrunt.hcl": 'terraform {\n  source = "git::https://github.com/acme/modules.git//vpc?ref=v1"\n}\n',
        "prod/registry/terragrunt.hcl": 'terraform {\n  source = "tfr:///terraform-aws-modules/vpc/aws?version=5.0.0"\n}\n',
    }
    a = analyse(files)
    # "${get_repo_root()}//modules/other": the module is modules/other (and the local modules it calls), not the
    # whole repository, which would plan prod/app on every change.
    assert a.readers("modules/vpc/main.tf") == ["prod/vpc"]
    assert a.readers("modules/subnets/main.tf") == ["prod/vpc"]
    assert a.readers("modules/other/main.tf") == ["prod/app"]
    assert a.units["prod/remote"].module_dirs == frozenset()
    assert a.units["prod/registry"].module_dirs == frozenset()


def test_double_slash_source_scopes_to_the_subdir() -> None:
    files = {
        "modules/vpc/main.tf": 'module "nat" {\n  source = "../nat"\n}\n',
        "modules/nat/main.tf": "",
        "modules/README.md": "",
        "app/terragrunt.hcl": 'terraform {\n  source = "../modules//vpc"\n}\n',
    }
    assert readers(files, "modules/vpc/main.tf") == ["app"]
    assert readers(files, "modules/nat/main.tf") == ["app"]  # called by the module: followed
    assert readers(files, "modules/README.md") == []


def test_hidden_and_cache_directories_hold_no_units() -> None:
    a = analyse(
        {
            "app/terragrunt.hcl": "",
            "app/.terragrunt-cache/x/terragrunt.hcl": "",
            ".github/x/terragrunt.hcl": "",
            "b/.terraform/modules/terragrunt.hcl": "",
            "terragrunt.hcl": "",
        }
    )
    assert sorted(a.units) == [".", "app"]


def test_owner_is_the_nearest_enclosing_unit() -> None:
    a = analyse({"terragrunt.hcl": "", "a/terragrunt.hcl": "", "a/b/c/file.txt": "", "x.txt": ""})
    assert a.owner("a/b/c/file.txt") == "a"
    assert a.owner("x.txt") == "."


def test_include_cycles_and_read_cycles_terminate() -> None:
    files = {
        "a.hcl": 'locals { b = read_terragrunt_config("b.hcl") }\n',
        "b.hcl": 'locals { a = read_terragrunt_config("a.hcl") }\n',
        "app/terragrunt.hcl": 'locals { a = read_terragrunt_config("../a.hcl") }\n',
    }
    assert readers(files, "b.hcl") == ["app"]


def test_unit_helpers() -> None:
    assert terragrunt.unit_name("terragrunt.hcl") == "."
    assert terragrunt.unit_config(".") == "terragrunt.hcl"
    assert terragrunt.unit_config("a/b") == "a/b/terragrunt.hcl"
