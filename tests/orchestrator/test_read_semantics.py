"""What a unit reads and needs, as Terragrunt resolves it, through `gwpipelines orchestrate`/`graph` on real git
history: the shapes of Terragrunt's read-config and units-reading fixtures (read_terragrunt_config,
get_original_terragrunt_dir, mark_glob_as_read, run_cmd), dependency merging, and reads that cannot be followed
(never dropped: over-approximated and named in a warning)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from testing.cli import orchestrate_json, run
from testing.gitrepo import GitRepo

ROOT_INCLUDE = 'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n'


def repo_with(tmp_path: Path, files: dict[str, str]) -> GitRepo:
    repo = GitRepo.init(tmp_path / "live")
    for path, text in files.items():
        repo.write(path, text)
    repo.commit("initial")
    return repo


def change(repo: GitRepo, edits: dict[str, str | None], event: str = "pull_request") -> dict[str, Any]:
    base = repo.head()
    for path, text in edits.items():
        if text is None:
            repo.delete(path)
        else:
            repo.write(path, text)
    return orchestrate_json(repo.path, base, repo.commit("change"), event)


def planned(data: dict[str, Any]) -> list[str]:
    return sorted(j["unit"] for j in data["jobs"])


def graph(repo: GitRepo) -> dict[str, list[str]]:
    got = run("graph", "--repo", str(repo.path), "--format", "json")
    assert got.code == 0, got.err
    return {u["path"]: u["dependencies"] for u in got.json()["units"]}


def test_get_original_terragrunt_dir_in_a_read_file_is_the_reading_units(tmp_path: Path) -> None:
    # read-config/get_original_terragrunt_dir: a shared file reads a file next to each unit that reads it
    common = 'locals {\n  settings = file("${get_original_terragrunt_dir()}/settings.yaml")\n}\n'
    unit = 'locals {\n  common = read_terragrunt_config("${get_repo_root()}/common.hcl")\n}\n'
    repo = repo_with(
        tmp_path,
        {
            "common.hcl": common,
            "a/terragrunt.hcl": unit,
            "a/settings.yaml": "a: 1\n",
            "b/terragrunt.hcl": unit,
            "b/settings.yaml": "b: 1\n",
        },
    )
    data = change(repo, {"a/settings.yaml": "a: 2\n"})
    assert planned(data) == ["a"]


def test_mark_glob_as_read_follows_terragrunts_glob(tmp_path: Path) -> None:
    unit = 'locals {\n  x = mark_glob_as_read("${get_repo_root()}/data/{dev,qa}/*.yaml")\n}\n'
    repo = repo_with(
        tmp_path,
        {
            "app/terragrunt.hcl": unit,
            "data/dev/a.yaml": "1\n",
            "data/prod/a.yaml": "1\n",
            "data/dev/deeper/a.yaml": "1\n",
        },
    )
    assert planned(change(repo, {"data/dev/a.yaml": "2\n"})) == ["app"]
    assert planned(change(repo, {"data/qa/new.yaml": "2\n"})) == ["app"]
    data = change(repo, {"data/prod/a.yaml": "2\n", "data/dev/deeper/a.yaml": "2\n"})
    assert planned(data) == [] and data["ignored"] == ["data/dev/deeper/a.yaml", "data/prod/a.yaml"]


def test_run_cmd_counts_the_files_it_names_and_says_so(tmp_path: Path) -> None:
    unit = 'locals {\n  ami = run_cmd("--terragrunt-quiet", "python3", "${get_repo_root()}/scripts/ami.py")\n}\n'
    repo = repo_with(tmp_path, {"app/terragrunt.hcl": unit, "scripts/ami.py": "print('ami-1')\n"})
    data = change(repo, {"scripts/ami.py": "print('ami-2')\n"})
    assert planned(data) == ["app"]
    (warning,) = [w for w in data["warnings"] if "run_cmd" in w]
    assert warning.startswith("app/terragrunt.hcl:2: run_cmd(--terragrunt-quiet, python3, ")
    assert "for unit app" in warning and "scripts/ami.py" in warning


def test_file_of_a_missing_file_is_a_warning(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"app/terragrunt.hcl": "locals {}\n", "app/tags.yaml": "a: 1\n"})
    data = change(repo, {"app/terragrunt.hcl": 'locals {\n  tags = yamldecode(file("tag.yaml"))\n}\n'})
    assert planned(data) == ["app"]
    assert any('file("tag.yaml") for unit app: no such file' in w for w in data["warnings"]), data["warnings"]


def test_a_units_dependency_overrides_the_included_one_and_disabled_ones_draw_no_edge(tmp_path: Path) -> None:
    root = 'dependency "vpc" {\n  config_path = "${get_terragrunt_dir()}/../vpc"\n}\n'
    repo = repo_with(
        tmp_path,
        {
            "root.hcl": root,
            "vpc/terragrunt.hcl": "",
            "vpc2/terragrunt.hcl": "",
            "db/terragrunt.hcl": "",
            "app/terragrunt.hcl": ROOT_INCLUDE + 'dependency "vpc" {\n  config_path = "../vpc2"\n}\n',
            "job/terragrunt.hcl": ROOT_INCLUDE,
            "web/terragrunt.hcl": 'dependency "db" {\n  config_path = "../db"\n  enabled     = false\n}\n',
        },
    )
    deps = graph(repo)
    assert deps["app"] == ["vpc2"]  # not vpc: the unit's own block of that name replaces the included one
    assert deps["job"] == ["vpc"]
    assert deps["web"] == []


def test_for_expressions_and_conditionals_in_dependency_paths(tmp_path: Path) -> None:
    app = (
        'locals {\n  deps = ["vpc", "db"]\n  prod = false\n}\n'
        'dependencies {\n  paths = concat([for d in local.deps : "../${d}"], ["../cache"])\n}\n'
        'dependency "net" {\n  config_path = local.prod ? "../vpc" : "../net-dev"\n}\n'
        'dependency "either" {\n  config_path = get_env("PROD", "") == "1" ? "../a" : "../b"\n}\n'
    )
    files = {f"{u}/terragrunt.hcl": "" for u in ("vpc", "db", "cache", "net-dev", "a", "b")}
    repo = repo_with(tmp_path, {**files, "app/terragrunt.hcl": app})
    assert graph(repo)["app"] == ["a", "b", "cache", "db", "net-dev", "vpc"]  # unknown condition: both branches


def test_files_of_an_unused_local_module_are_ignored(tmp_path: Path) -> None:
    repo = repo_with(
        tmp_path,
        {
            "modules/used/main.tf": "",
            "modules/unused/main.tf": "",
            "app/terragrunt.hcl": 'terraform {\n  source = "${get_repo_root()}//modules/used"\n}\n',
        },
    )
    data = change(repo, {"modules/unused/main.tf": "# edit\n", "modules/used/main.tf": "# edit\n"})
    assert planned(data) == ["app"]
    assert data["ignored"] == ["modules/unused/main.tf"]


def test_a_deleted_shared_file_is_one_warning(tmp_path: Path) -> None:
    files = {f"u{i}/terragrunt.hcl": ROOT_INCLUDE for i in range(20)}
    repo = repo_with(tmp_path, {"root.hcl": "locals {}\n", **files})
    data = change(repo, {"root.hcl": None})
    assert len(data["jobs"]) == 20
    shown = "u0, u1, u10, u11, u12, ..."
    assert data["warnings"] == [
        f"root.hcl deleted: 20 units still read it ({shown}); their plans fail until they stop reading it"
    ]


def test_an_empty_or_null_id_in_accounts_yml_is_a_requested_account(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"accounts.yml": "prod:\n  id: '123456789012'\n  email: prod@example.com\n"})
    text = "prod:\n  id: '123456789012'\n  email: prod@example.com\nqa:\n  id: ''\n  email: qa@example.com\n"
    text += "dev:\n  id: null\n  email: dev@example.com\n"
    data = change(repo, {"accounts.yml": text})
    assert sorted(j["id"] for j in data["jobs"]) == ["account-plan:dev", "account-plan:qa"]


def test_plan_dependents_and_ignore_globs(tmp_path: Path) -> None:
    dep = 'dependency "{0}" {{\n  config_path = "../{0}"\n}}\n'
    repo = repo_with(
        tmp_path,
        {
            "vpc/terragrunt.hcl": "",
            "db/terragrunt.hcl": dep.format("vpc"),
            "app/terragrunt.hcl": dep.format("db"),
            "other/terragrunt.hcl": "",
            "sandbox/x/terragrunt.hcl": "",
        },
    )
    base = repo.head()
    repo.append("vpc/terragrunt.hcl", "# wider\n")
    repo.append("sandbox/x/terragrunt.hcl", "# try\n")
    repo.write("docs/a.md", "a\n")
    head = repo.commit("change")
    argv = ["orchestrate", "--repo", str(repo.path), "--base", base, "--head", head, "--event", "push"]
    plain = run(*argv, "--format", "json")
    assert planned(plain.json()) == ["sandbox/x", "vpc"]
    got = run(*argv, "--format", "json", "--plan-dependents", "--ignore", "sandbox/**", "--ignore", "docs/")
    assert got.code == 0, got.err
    data = got.json()
    assert [j["unit"] for j in data["jobs"]] == ["vpc", "db", "app"]  # in dependency order
    assert {(c["type"], c["unit"]) for c in data["changes"]} == {
        ("ModuleChanged", "vpc"),
        ("DependencyChanged", "db"),
        ("DependencyChanged", "app"),
    }
    assert data["ignored"] == ["docs/a.md", "sandbox/x/terragrunt.hcl"]
    assert "sandbox/x/terragrunt.hcl: ignored (it matches --ignore 'sandbox/**')" in data["warnings"]
    bad = run(*argv, "--ignore", "../x")
    assert bad.code == 2 and "--ignore '../x'" in bad.err


def test_a_unit_path_the_executor_would_refuse_is_refused_at_orchestrate_time(tmp_path: Path) -> None:
    repo = repo_with(tmp_path, {"ok/terragrunt.hcl": ""})
    base = repo.head()
    repo.write("my app/terragrunt.hcl", "")
    head = repo.commit("a folder with a space")
    got = run("orchestrate", "--repo", str(repo.path), "--base", base, "--head", head, "--event", "push")
    assert got.code == 2
    (line,) = got.err.strip().splitlines()
    assert "my app/terragrunt.hcl" in line and "letters A-Z and a-z, digits" in line, line
    # the gate accepts every unit path orchestrate accepts: a generated unit's included
    from gwpipelines.models.units import unit_path_problem

    for ok in (".", "a/b", "live/.terragrunt-stack/x", "a_b/c-d/e.f/g@h+i=j"):
        assert unit_path_problem(ok) is None
    job = {"id": "plan:x", "unit": "x y", "action": "plan", "ref": "0" * 40}
    refused = run("execute", "--repo", str(repo.path), "--job", json.dumps(job))
    assert refused.code == 2 and "letters A-Z and a-z" in refused.err


def test_symlinked_shared_files_and_unit_folders_read_as_the_filesystem_does(tmp_path: Path) -> None:
    import os

    repo = repo_with(
        tmp_path,
        {
            "shared/root.hcl": "locals {}\n",
            "dev/app/terragrunt.hcl": ROOT_INCLUDE,
            "dev/app/main.tf": "",
            "other/terragrunt.hcl": "",
        },
    )
    os.symlink("../shared/root.hcl", repo.path / "dev" / "root.hcl")
    (repo.path / "prod").mkdir()
    os.symlink("../dev/app", repo.path / "prod" / "app")
    repo.write("prod/root.hcl", "locals {}\n")
    base = repo.commit("links")
    units = run("units", "--repo", str(repo.path), "--format", "json")
    assert units.code == 0, units.err
    assert units.json()["units"] == ["dev/app", "other", "prod/app"]
    repo.write("shared/root.hcl", "locals {\n  x = 1\n}\n")
    head = repo.commit("the linked root.hcl changed")
    data = orchestrate_json(repo.path, base, head, "pull_request")  # not exit 2: the link is no HCL text
    assert planned(data) == ["dev/app"]
    repo.write("dev/app/main.tf", "# edit\n")
    data = orchestrate_json(repo.path, head, repo.commit("the linked unit folder changed"), "pull_request")
    assert planned(data) == ["dev/app", "prod/app"]
    got = run("units", "--repo", str(repo.path), "--reading", "shared/root.hcl", "--format", "json")
    assert got.json()["units"] == ["dev/app"]
