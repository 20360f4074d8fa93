"""The JSON of each command, key by key and type by type, as DESIGN.md's "Command-line contract" lists it, on a
real repo with real commits: the root unit, a dependency outside the repo, a shared file read through `file()`,
a module added, changed, deleted and an account requested."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from testing.cli import run
from testing.gitrepo import GitRepo
from tests.contract.contract import is_sha, keys, only_json

ACTIONS = {"plan", "plan-destroy", "apply", "destroy", "account-plan", "account-create"}
CHANGE_TYPES = {
    "ModuleAdded",
    "ModuleChanged",
    "ModuleDeleted",
    "ModuleMoved",
    "EnvCommonChanged",
    "HCLChanged",
    "FileChanged",
    "StackChanged",
    "DependencyChanged",
    "AccountAdded",
    "AccountChanged",
    "AccountDeleted",
}

ROOT_UNIT = """dependency "app" {
  config_path = "./app"
}
"""
APP = """locals {
  settings = yamldecode(file("${get_terragrunt_dir()}/../settings.yaml"))
}
dependency "db" {
  config_path = "../db"
}
dependency "shared" {
  config_path = "../../shared-network"
}
"""
DB = """locals {
  common = read_terragrunt_config("${get_terragrunt_dir()}/../db.hcl")
}
"""
ACCOUNTS = """dev:
  id: "111122223333"
  email: aws+dev@example.com
  organizational_unit: workloads
"""
NEW_ACCOUNT = """sandbox:
  id: "777788889999"
  email: aws+sandbox@example.com
  organizational_unit: sandbox
"""


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """main: app (reads settings.yaml, depends on db and on a unit outside the repo), db (reads
    db.hcl), old.
    Branch `change`: settings.yaml edited, old deleted, queue added, an account requested."""
    r = GitRepo.init(tmp_path_factory.mktemp("contract") / "live")
    r.write("app/terragrunt.hcl", APP)
    r.write("settings.yaml", "size: small\n")
    r.write("db/terragrunt.hcl", DB)
    r.write("db.hcl", 'locals {\n  engine = "mysql"\n}\n')
    r.write("old/terragrunt.hcl", 'terraform {\n  source = "git::https://example.com/modules.git//legacy?ref=v1"\n}\n')
    r.write("accounts.yml", ACCOUNTS)
    r.write(".github/workflows/ci.yml", "on: push\n")
    r.commit("initial")
    r.git("checkout", "-q", "-b", "change")
    r.write("settings.yaml", "size: large\n")
    r.delete("old")
    r.write("queue/terragrunt.hcl", 'inputs = {\n  name = "jobs"\n  visibility_timeout = 30\n}\n')
    r.append("accounts.yml", NEW_ACCOUNT)
    r.write(".github/workflows/ci.yml", "on: pull_request\n")
    r.commit("change")
    return r


def json_of(*args: str) -> Any:
    res = run(*args, "--format", "json")
    assert res.code == 0, res.err
    return only_json(res)


def test_units(repo: GitRepo) -> None:
    data = json_of("units", "--repo", str(repo.path))
    keys(data, ["units"])
    assert data["units"] == ["app", "db", "queue"]  # sorted


def test_units_reading_takes_paths_relative_to_repo_and_repeats(repo: GitRepo, tmp_path: Path) -> None:
    # Run from elsewhere: the files are relative to --repo, not to the working directory.
    args = ("units", "--repo", str(repo.path), "--reading", "settings.yaml")
    assert json_of(*args) == {"units": ["app"]}
    both = json_of(*args, "--reading", "./db.hcl", "--reading", "app/../settings.yaml")
    assert both["units"] == ["app", "db"]
    assert json_of("units", "--repo", str(repo.path), "--reading", "README.md") == {"units": []}
    text = run(*args)
    assert text.code == 0 and text.out.splitlines() == ["app"]


def test_units_reading_outside_the_repo_is_bad_input(repo: GitRepo) -> None:
    res = run("units", "--repo", str(repo.path), "--reading", "../settings.yaml", "--format", "json")
    assert res.code == 2 and res.out == "" and "--reading" in res.err and len(res.err.splitlines()) == 1


def test_graph(repo: GitRepo) -> None:
    data = json_of("graph", "--repo", str(repo.path))
    keys(data, ["units"])
    for unit in data["units"]:
        keys(unit, ["path", "dependencies"])
        assert isinstance(unit["path"], str) and all(isinstance(d, str) for d in unit["dependencies"])
    deps = {u["path"]: u["dependencies"] for u in data["units"]}
    # A dependency outside the repo keeps its `../`; the root unit is `.`.
    assert deps == {"app": ["../shared-network", "db"], "db": [], "queue": []}


def test_graph_dot_and_mermaid_draw_every_edge(repo: GitRepo) -> None:
    dot = run("graph", "--repo", str(repo.path), "--format", "dot")
    assert dot.code == 0 and dot.out.startswith("digraph")
    for edge in ('"app" -> "../shared-network"', '"app" -> "db"'):
        assert edge in dot.out
    mermaid = run("graph", "--repo", str(repo.path), "--format", "mermaid")
    assert mermaid.code == 0 and mermaid.out.startswith("graph LR")
    ids = dict(line.strip().rstrip('"]').split('["') for line in mermaid.out.splitlines() if '["' in line)
    by_path = {path: node for node, path in ids.items()}
    assert set(by_path) == {"app", "db", "queue", "../shared-network"}  # the outside node is labelled too
    for src, dst in (("app", "../shared-network"), ("app", "db")):
        assert f"{by_path[src]} --> {by_path[dst]}" in mermaid.out


def test_the_repo_root_unit_is_named_dot(tmp_path: Path) -> None:
    r = GitRepo.init(tmp_path / "live")
    r.write("terragrunt.hcl", ROOT_UNIT)
    r.write("app/terragrunt.hcl", "inputs = {}\n")
    base = r.commit("initial")
    assert json_of("units", "--repo", str(r.path)) == {"units": [".", "app"]}
    graph = json_of("graph", "--repo", str(r.path))
    assert graph == {"units": [{"path": ".", "dependencies": ["app"]}, {"path": "app", "dependencies": []}]}
    r.write("terragrunt.hcl", ROOT_UNIT + "inputs = {\n  size = 2\n}\n")
    r.commit("root unit changed")
    data = json_of("orchestrate", "--repo", str(r.path), "--base", base, "--head", "HEAD", "--event", "push")
    assert [(c["type"], c["unit"]) for c in data["changes"]] == [("ModuleChanged", ".")]
    assert [(j["id"], j["unit"]) for j in data["jobs"]] == [("apply:.", ".")]


def test_mermaid_keeps_units_apart_whose_names_differ_only_in_punctuation(tmp_path: Path) -> None:
    r = GitRepo.init(tmp_path / "live")
    for unit in ("a-b", "a_b", "a/b"):
        r.write(f"{unit}/terragrunt.hcl", "inputs = {}\n")
    r.write("c/terragrunt.hcl", 'dependency "x" {\n  config_path = "../a-b"\n}\n')
    r.commit()
    out = run("graph", "--repo", str(r.path), "--format", "mermaid").out
    nodes = [line.split("[")[0].strip() for line in out.splitlines() if '["' in line]
    assert len(nodes) == 4 == len(set(nodes))
    a_dash = next(line.split("[")[0].strip() for line in out.splitlines() if '["a-b"]' in line)
    c = next(line.split("[")[0].strip() for line in out.splitlines() if '["c"]' in line)
    assert f"{c} --> {a_dash}" in out


@pytest.mark.parametrize("event", ["pull_request", "push"])
def test_orchestrate(repo: GitRepo, event: str) -> None:
    main, head = repo.git("rev-parse", "main"), repo.head()
    data = json_of("orchestrate", "--repo", str(repo.path), "--base", "main", "--head", "change", "--event", event)
    keys(data, ["base", "head", "event", "changes", "ignored", "warnings", "jobs"])
    assert (data["base"], data["head"], data["event"]) == (main, head, event)  # refs resolved to shas
    assert all(isinstance(f, str) for f in data["ignored"] + data["warnings"])
    assert ".github/workflows/ci.yml" in data["ignored"]
    for change in data["changes"]:
        keys(change, ["type", "unit", "account", "files"])
        assert change["type"] in CHANGE_TYPES
        assert change["unit"] is None or isinstance(change["unit"], str)
        assert change["account"] is None or isinstance(change["account"], str)
        assert change["files"] and all(isinstance(f, str) for f in change["files"])
    ids = set()
    for job in data["jobs"]:
        keys(job, ["id", "unit", "action", "ref", "account", "change_types", "wave", "needs"])
        assert isinstance(job["id"], str) and job["id"] not in ids
        ids.add(job["id"])
        assert job["action"] in ACTIONS and is_sha(job["ref"]) and job["ref"] in (main, head)
        assert job["unit"] is None or isinstance(job["unit"], str)
        assert job["account"] is None or isinstance(job["account"], str)
        assert job["change_types"] and set(job["change_types"]) <= CHANGE_TYPES
        assert isinstance(job["wave"], int) and job["wave"] >= 0
        assert all(n in ids for n in job["needs"])  # jobs come in order: what a job needs is listed before it
    by_unit = {(j["unit"] or j["account"]): j for j in data["jobs"]}
    plan = event == "pull_request"
    assert by_unit["app"]["action"] == ("plan" if plan else "apply") and by_unit["app"]["ref"] == head
    assert by_unit["old"]["action"] == ("plan-destroy" if plan else "destroy") and by_unit["old"]["ref"] == main
    assert by_unit["queue"]["change_types"] == ["ModuleAdded"]
    assert by_unit["sandbox"]["action"] == ("account-plan" if plan else "account-create")
    assert by_unit["sandbox"]["unit"] is None and by_unit["sandbox"]["account"] == "sandbox"


def test_orchestrate_matrix(repo: GitRepo) -> None:
    args = ("orchestrate", "--repo", str(repo.path), "--base", "main", "--head", "change", "--event", "push")
    jobs = json_of(*args)["jobs"]
    res = run(*args, "--format", "matrix")
    assert res.code == 0, res.err
    matrix = only_json(res)
    keys(matrix, ["include"])
    assert 0 < len(matrix["include"]) <= 256
    assert [j for entry in matrix["include"] for j in entry["jobs"]] == jobs


def test_dry_run_is_the_orchestrate_json_plus_commands_and_comment(repo: GitRepo) -> None:
    args = ("--repo", str(repo.path), "--base", "main", "--head", "change")
    data = json_of("dry-run", *args)
    orchestrated = json_of("orchestrate", *args, "--event", "pull_request")
    # dry-run has no JSON contract of its own; its extra keys are the commands and the comment it shows people.
    keys(data, list(orchestrated), harmless_extra=("commands", "comment"))
    assert {k: data[k] for k in orchestrated} == orchestrated
    assert set(data["commands"]) == {j["id"] for j in data["jobs"]}
    assert all(isinstance(c, str) for cs in data["commands"].values() for c in cs)
    assert isinstance(data["comment"], str) and "app" in data["comment"]
    text = run("dry-run", *args)
    assert text.code == 0 and "terragrunt" in text.out


def test_init_json_lists_the_files_it_wrote(tmp_path: Path) -> None:
    data = json_of("init", "live", str(tmp_path / "live"), "--org", "acme")
    keys(data, ["kind", "directory", "files"])
    assert data["kind"] == "live" and data["files"]
    assert all((tmp_path / "live" / f).is_file() for f in data["files"])
    # Without DIR, init writes into --repo.
    (tmp_path / "p").mkdir()
    res = run("init", "pipelines", "--repo", str(tmp_path / "p"), "--org", "acme", "--accounts", "dev=111122223333")
    assert res.code == 0, res.err
    assert (tmp_path / "p" / "pipelines.yml").is_file()


def test_config_validate_and_schema(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    assert run("init", "pipelines", str(tmp_path / "p"), "--org", "acme", "--accounts", "dev=111122223333").code == 0
    # FILE defaults to pipelines.yml in --repo, the pipelines repo.
    data = json_of("config", "validate", "--repo", str(tmp_path / "p"))
    keys(data, ["file", "valid", "instances", "steps"])
    assert data["valid"] is True and isinstance(data["instances"], int) and data["steps"]
    assert json_of("config", "validate", "--repo", str(tmp_path), "p/pipelines.yml")["valid"] is True
    (tmp_path / "bad.yml").write_text("core:\n  live_repo: acme/live\n  colour: blue\n")
    res = run("config", "validate", "--repo", str(tmp_path), "bad.yml", "--format", "json")
    assert res.code == 2 and res.out == "" and len(res.err.splitlines()) == 1
    assert "bad.yml" in res.err and "colour" in res.err
    schema = json_of("config", "schema")
    assert schema["type"] == "object" and "core" in schema["properties"]


def test_trust_policy_json(tmp_path: Path) -> None:
    data = json_of("trust-policy", "apply", "--account-id", "111122223333", "--pipelines-repo", "acme/pipes")
    keys(data, ["Version", "Statement"])


def test_event_json_from_a_real_pull_request_payload(tmp_path: Path, repo: GitRepo) -> None:
    import json

    from testing.webhooks import examples

    payload = examples("pull_request")[0]
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    data = json_of("event", "--repo", str(repo.path), "--event-path", str(path), "--event-name", "pull_request")
    assert data["event"] == "pull_request" and is_sha(data["base"]) and is_sha(data["head"])


def test_event_without_an_event_is_one_line_naming_its_own_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    monkeypatch.delenv("GITHUB_EVENT_NAME", raising=False)
    res = run("event", "--format", "json")
    assert res.code == 2 and res.out == "" and len(res.err.splitlines()) == 1
    assert "--event-path" in res.err and "--event-name" in res.err


def test_graph_keeps_every_dotdot_of_a_dependency_far_outside_the_repo(tmp_path: Path) -> None:
    r = GitRepo.init(tmp_path / "live")
    r.write("root.hcl", "")
    r.write(
        "vpc/terragrunt.hcl",
        'dependency "far" {\n  config_path = "../../../../far/away"\n}\n'
        'dependency "beside" {\n  config_path = "${get_repo_root()}/../sibling"\n}\n'
        'dependency "inside" {\n  config_path = "${dirname(find_in_parent_folders("root.hcl"))}/db"\n}\n'
        'dependency "absolute" {\n  config_path = "/opt/elsewhere/unit"\n}\n',
    )
    r.write("db/terragrunt.hcl", "inputs = {}\n")
    r.commit()
    deps = {u["path"]: u["dependencies"] for u in json_of("graph", "--repo", str(r.path))["units"]}
    # vpc/../../../../far/away is three levels above the repo root; an absolute path is kept as written.
    assert deps["vpc"] == ["../../../far/away", "../sibling", "/opt/elsewhere/unit", "db"]
