"""`gwpipelines orchestrate`, through the CLI and its JSON, on real git repositories with real commits:
every change type of DESIGN.md's table, job ordering, and bad input."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from testing.cli import orchestrate_json, run
from testing.gitrepo import GitRepo
from tests.contract.contract import one_error_line

ROOT = 'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n'
ENVCOMMON = (
    'include "envcommon" {\n'
    '  path = "${dirname(find_in_parent_folders("root.hcl"))}/_envcommon/%s.hcl"\n'
    "  expose = true\n}\n"
)


def dep(name: str) -> str:
    return f'dependency "{name}" {{\n  config_path = "../{name}"\n  mock_outputs = {{ id = "x" }}\n}}\n'


@pytest.fixture
def live(tmp_path: Path) -> GitRepo:
    """acct/{dev,prod}/{vpc,db,app}: app -> db -> vpc; root.hcl reads env.hcl; app uses _envcommon/app.hcl."""
    repo = GitRepo.init(tmp_path / "live")
    repo.write(
        "root.hcl",
        'locals {\n  env = read_terragrunt_config(find_in_parent_folders("env.hcl"))\n}\n'
        "inputs = { env = local.env.locals.env }\n",
    )
    repo.write("accounts.yml", 'acct:\n  id: "111111111111"\n  email: acct@example.com\n')
    repo.write(
        "_envcommon/app.hcl",
        'terraform {\n  source = "${dirname(find_in_parent_folders("root.hcl"))}/modules//app"\n}\n'
        'locals {\n  task = file("${get_repo_root()}/data/task.json")\n}\n',
    )
    repo.write("modules/app/main.tf", 'resource "null_resource" "app" {}\n')
    repo.write("data/task.json", "{}\n")
    repo.write("README.md", "# live\n")
    for env in ("dev", "prod"):
        repo.write(f"acct/{env}/env.hcl", f'locals {{ env = "{env}" }}\n')
        repo.write(f"acct/{env}/vpc/terragrunt.hcl", ROOT)
        repo.write(f"acct/{env}/db/terragrunt.hcl", ROOT + dep("vpc"))
        repo.write(f"acct/{env}/app/terragrunt.hcl", ROOT + ENVCOMMON % "app" + dep("db"))
    repo.commit("initial")
    return repo


def orchestrate(repo: GitRepo, base: str, head: str, event: str = "pull_request") -> dict[str, Any]:
    return orchestrate_json(repo.path, base, head, event)


def changes(data: dict[str, Any]) -> set[tuple[str, str | None]]:
    return {(c["type"], c["unit"] or c["account"]) for c in data["changes"]}


def jobs(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {j["id"]: j for j in data["jobs"]}


def test_module_changed_by_its_config_or_another_file_in_its_directory(live: GitRepo) -> None:
    base = live.head()
    live.append("acct/dev/db/terragrunt.hcl", "inputs = { size = 2 }\n")
    live.write("acct/prod/vpc/extra.tf", "# generated\n")
    head = live.commit()
    data = orchestrate(live, base, head)
    assert changes(data) == {("ModuleChanged", "acct/dev/db"), ("ModuleChanged", "acct/prod/vpc")}
    assert data["base"] == base and data["head"] == head and data["event"] == "pull_request"
    j = jobs(data)
    assert set(j) == {"plan:acct/dev/db", "plan:acct/prod/vpc"}
    assert j["plan:acct/dev/db"]["ref"] == head
    assert j["plan:acct/dev/db"]["account"] == "acct"
    assert j["plan:acct/dev/db"]["change_types"] == ["ModuleChanged"]


def test_module_added_is_planned_and_applied_at_head(live: GitRepo) -> None:
    base = live.head()
    live.write("acct/dev/cache/terragrunt.hcl", ROOT + dep("vpc"))
    head = live.commit()
    assert changes(orchestrate(live, base, head)) == {("ModuleAdded", "acct/dev/cache")}
    push = jobs(orchestrate(live, base, head, "push"))
    assert push == {
        "apply:acct/dev/cache": {
            "id": "apply:acct/dev/cache",
            "unit": "acct/dev/cache",
            "action": "apply",
            "ref": head,
            "account": "acct",
            "change_types": ["ModuleAdded"],
            "wave": 0,
            "needs": [],
        }
    }


def test_module_deleted_plans_destroy_at_base_and_destroys_in_reverse_order(live: GitRepo) -> None:
    base = live.head()
    live.delete("acct/dev/db")
    live.delete("acct/dev/app")
    head = live.commit()
    data = orchestrate(live, base, head)
    assert changes(data) == {("ModuleDeleted", "acct/dev/db"), ("ModuleDeleted", "acct/dev/app")}
    pr = jobs(data)
    assert {i: (j["action"], j["ref"]) for i, j in pr.items()} == {
        "plan-destroy:acct/dev/app": ("plan-destroy", base),
        "plan-destroy:acct/dev/db": ("plan-destroy", base),
    }
    push = jobs(orchestrate(live, base, head, "push"))
    # app depended on db at base: app is destroyed first, then db.
    assert push["destroy:acct/dev/db"]["needs"] == ["destroy:acct/dev/app"]
    assert push["destroy:acct/dev/app"]["wave"] == 0 and push["destroy:acct/dev/db"]["wave"] == 1
    assert all(j["ref"] == base for j in push.values())


def test_a_destroy_waits_for_the_apply_of_a_unit_that_stopped_depending_on_it(live: GitRepo) -> None:
    base = live.head()
    live.write("acct/dev/app/terragrunt.hcl", ROOT + ENVCOMMON % "app")  # no longer depends on db
    live.delete("acct/dev/db")
    head = live.commit()
    push = jobs(orchestrate(live, base, head, "push"))
    assert push["destroy:acct/dev/db"]["needs"] == ["apply:acct/dev/app"]


def test_module_moved_plans_the_new_path_and_never_destroys_the_old(live: GitRepo) -> None:
    base = live.head()
    live.move("acct/dev/vpc", "acct/dev/network")
    live.write("acct/dev/db/terragrunt.hcl", ROOT + dep("network"))
    head = live.commit()
    data = orchestrate(live, base, head, "push")
    assert ("ModuleMoved", "acct/dev/network") in changes(data)
    assert not any(c["type"] == "ModuleDeleted" for c in data["changes"])
    assert not any(j["action"] == "destroy" for j in data["jobs"])
    assert "apply:acct/dev/network" in jobs(data)
    assert any("acct/dev/vpc moved to acct/dev/network" in w and "state" in w for w in data["warnings"])


def test_env_common_change_applies_every_unit_reading_it(live: GitRepo) -> None:
    base = live.head()
    live.append("_envcommon/app.hcl", "inputs = { replicas = 3 }\n")
    head = live.commit()
    data = orchestrate(live, base, head)
    assert changes(data) == {("EnvCommonChanged", "acct/dev/app"), ("EnvCommonChanged", "acct/prod/app")}
    assert {c["files"][0] for c in data["changes"]} == {"_envcommon/app.hcl"}


def test_hcl_change_of_an_env_file_applies_that_environment_only_in_dependency_order(live: GitRepo) -> None:
    base = live.head()
    live.write("acct/prod/env.hcl", 'locals { env = "production" }\n')
    head = live.commit()
    data = orchestrate(live, base, head, "push")
    assert changes(data) == {("HCLChanged", f"acct/prod/{u}") for u in ("vpc", "db", "app")}
    j = jobs(data)
    assert [x["id"] for x in data["jobs"]] == ["apply:acct/prod/vpc", "apply:acct/prod/db", "apply:acct/prod/app"]
    assert j["apply:acct/prod/db"]["needs"] == ["apply:acct/prod/vpc"]
    assert j["apply:acct/prod/app"]["needs"] == ["apply:acct/prod/db"]
    assert [j[f"apply:acct/prod/{u}"]["wave"] for u in ("vpc", "db", "app")] == [0, 1, 2]


def test_root_hcl_change_applies_everything(live: GitRepo) -> None:
    base = live.head()
    live.append("root.hcl", "# a comment\n")
    head = live.commit()
    units = {u for _, u in changes(orchestrate(live, base, head))}
    assert units == {f"acct/{e}/{u}" for e in ("dev", "prod") for u in ("vpc", "db", "app")}


def test_needs_skip_over_units_without_a_job(live: GitRepo) -> None:
    base = live.head()
    live.append("acct/dev/vpc/terragrunt.hcl", "# c\n")
    live.append("acct/dev/app/terragrunt.hcl", "# c\n")
    head = live.commit()
    j = jobs(orchestrate(live, base, head, "push"))
    assert j["apply:acct/dev/app"]["needs"] == ["apply:acct/dev/vpc"]  # app -> db (unchanged) -> vpc


def test_file_changed_for_data_files_and_local_modules(live: GitRepo) -> None:
    base = live.head()
    live.write("data/task.json", '{"cpu": 256}\n')
    live.write("modules/app/variables.tf", 'variable "x" {}\n')
    head = live.commit()
    data = orchestrate(live, base, head)
    assert changes(data) == {("FileChanged", "acct/dev/app"), ("FileChanged", "acct/prod/app")}
    (c,) = [c for c in data["changes"] if c["unit"] == "acct/dev/app"]
    assert c["files"] == ["data/task.json", "modules/app/variables.tf"]


def test_files_that_affect_nothing_are_listed_as_ignored(live: GitRepo) -> None:
    base = live.head()
    live.write("README.md", "# live, documented\n")
    live.write(".github/workflows/x.yml", "on: push\n")
    head = live.commit()
    data = orchestrate(live, base, head)
    assert data["changes"] == [] and data["jobs"] == []
    assert data["ignored"] == [".github/workflows/x.yml", "README.md"]


def test_accounts_added_changed_deleted(live: GitRepo) -> None:
    live.write(
        "accounts.yml",
        'acct:\n  id: "111111111111"\n  email: acct@example.com\n'
        'old:\n  id: "222222222222"\n  email: old@example.com\n',
    )
    base = live.commit()
    live.write(
        "accounts.yml",
        'acct:\n  id: "111111111111"\n  email: acct@example.com\n  tags:\n    team: platform\n'
        "sandbox:\n  email: sandbox@example.com\n  organizational_unit: workloads\n",
    )
    head = live.commit()
    data = orchestrate(live, base, head)
    assert changes(data) == {("AccountAdded", "sandbox"), ("AccountChanged", "acct"), ("AccountDeleted", "old")}
    assert jobs(data) == {
        "account-plan:sandbox": {
            "id": "account-plan:sandbox",
            "unit": None,
            "action": "account-plan",
            "ref": head,
            "account": "sandbox",
            "change_types": ["AccountAdded"],
            "wave": 0,
            "needs": [],
        }
    }
    assert set(jobs(orchestrate(live, base, head, "push"))) == {"account-create:sandbox"}
    assert any("old" in w and "never closed" in w for w in data["warnings"])


def test_pull_request_is_compared_with_its_merge_base(live: GitRepo) -> None:
    base = live.head()
    live.git("checkout", "-q", "-b", "feature")
    live.append("acct/dev/vpc/terragrunt.hcl", "# feature\n")
    head = live.commit()
    live.git("checkout", "-q", "main")
    live.append("acct/prod/vpc/terragrunt.hcl", "# main moved on\n")
    main = live.commit()
    data = orchestrate(live, main, head)
    assert changes(data) == {("ModuleChanged", "acct/dev/vpc")}
    assert data["base"] == base


def test_first_push_with_zero_before_sha_applies_everything(live: GitRepo) -> None:
    data = orchestrate(live, "0" * 40, live.head(), "push")
    assert {c["type"] for c in data["changes"]} == {"ModuleAdded", "AccountAdded"}
    assert len([j for j in data["jobs"] if j["action"] == "apply"]) == 6


def test_matrix_format(live: GitRepo) -> None:
    base = live.head()
    live.append("root.hcl", "# c\n")
    head = live.commit()
    res = run(
        "orchestrate", "--repo", str(live.path), "--base", base, "--head", head, "--event", "push", "--format", "matrix"
    )
    assert res.code == 0
    include = res.json()["include"]
    assert len(include) == 6
    assert all(len(e["jobs"]) == 1 and e["name"] == e["jobs"][0]["id"] for e in include)


def test_text_format_lists_changes_and_jobs(live: GitRepo) -> None:
    base = live.head()
    live.append("acct/dev/db/terragrunt.hcl", "# c\n")
    head = live.commit()
    res = run("orchestrate", "--repo", str(live.path), "--base", base, "--head", head, "--event", "push")
    assert res.code == 0
    assert "ModuleChanged" in res.out and "apply:acct/dev/db" in res.out


# -- bad input: exit 2 and one line naming what and where -----------------------------------------------------


def bad(*args: str) -> str:
    return one_error_line(run(*args), 2)


def test_unparseable_hcl_names_file_and_line(live: GitRepo) -> None:
    base = live.head()
    live.write("acct/dev/db/terragrunt.hcl", ROOT + 'inputs = {\n  name = "unterminated\n}\n')
    head = live.commit()
    line = bad("orchestrate", "--repo", str(live.path), "--base", base, "--head", head, "--event", "pull_request")
    assert "acct/dev/db/terragrunt.hcl:5" in line and "unterminated string" in line


def test_malformed_accounts_yml_names_account_and_field(live: GitRepo) -> None:
    base = live.head()
    live.write("accounts.yml", 'acct:\n  id: "12345"\n  email: acct@example.com\n')
    head = live.commit()
    line = bad("orchestrate", "--repo", str(live.path), "--base", base, "--head", head, "--event", "push")
    assert "accounts.yml:2" in line and "acct.id" in line and "12-digit" in line


def test_accounts_yml_that_is_not_yaml(live: GitRepo) -> None:
    base = live.head()
    live.write("accounts.yml", "acct: [unclosed\n")
    head = live.commit()
    line = bad("orchestrate", "--repo", str(live.path), "--base", base, "--head", head, "--event", "push")
    assert "accounts.yml" in line and "YAML" in line


def test_unknown_ref(live: GitRepo) -> None:
    line = bad("orchestrate", "--repo", str(live.path), "--base", "nope", "--head", "HEAD", "--event", "push")
    assert "unknown ref 'nope'" in line


def test_not_a_git_repository(tmp_path: Path) -> None:
    line = bad("orchestrate", "--repo", str(tmp_path), "--base", "a", "--head", "b", "--event", "push")
    assert "not a git repository" in line


def test_bad_event_is_a_usage_error(live: GitRepo) -> None:
    line = bad("orchestrate", "--repo", str(live.path), "--base", "HEAD", "--head", "HEAD", "--event", "merge")
    assert "--event" in line


def test_shallow_clone_missing_the_base_says_how_to_fix_it(live: GitRepo, tmp_path: Path) -> None:
    base = live.head()
    live.append("acct/dev/db/terragrunt.hcl", "# c\n")
    live.commit()
    clone = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth=1", f"file://{live.path}", str(clone)], check=True, capture_output=True
    )
    line = bad("orchestrate", "--repo", str(clone), "--base", base, "--head", "HEAD", "--event", "push")
    assert "shallow" in line and "fetch-depth: 0" in line and f"git fetch --depth=1 origin {base}" in line


def test_units_reading_on_the_working_tree(live: GitRepo) -> None:
    res = run("units", "--repo", str(live.path), "--format", "json", "--reading", "acct/dev/env.hcl")
    assert res.json() == {"units": ["acct/dev/app", "acct/dev/db", "acct/dev/vpc"]}
    res = run("units", "--repo", str(live.path), "--format", "json", "--reading", "data/task.json")
    assert res.json() == {"units": ["acct/dev/app", "acct/prod/app"]}
    assert run("units", "--repo", str(live.path), "--format", "json").json()["units"] == sorted(
        f"acct/{e}/{u}" for e in ("dev", "prod") for u in ("vpc", "db", "app")
    )


def test_graph_json_dot_mermaid(live: GitRepo) -> None:
    data = run("graph", "--repo", str(live.path), "--format", "json").json()
    by = {u["path"]: u["dependencies"] for u in data["units"]}
    assert by["acct/dev/app"] == ["acct/dev/db"] and by["acct/dev/vpc"] == []
    dot = run("graph", "--repo", str(live.path), "--format", "dot").out
    assert '"acct/dev/app" -> "acct/dev/db";' in dot
    mermaid = run("graph", "--repo", str(live.path), "--format", "mermaid").out
    assert mermaid.startswith("graph LR") and "u_acct_dev_app --> u_acct_dev_db" in mermaid
