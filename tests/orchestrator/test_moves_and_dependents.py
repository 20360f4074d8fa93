"""Issue 12's orchestrator side, through the CLI on real git history: moves decided per unit (three identical units,
one deleted and one renamed in one commit: nothing is destroyed), deleting a unit that others still depend on (a
warning on the pull request; the gate refuses its destroy unless core.validate_dependencies_on_delete is off),
and units with no account in accounts.yml (named in a warning)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from testing.cli import orchestrate_json, run
from testing.executor_fixtures import STANDIN_BIN
from testing.gitrepo import GitRepo

BASTION = 'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n\ninputs = {\n  size = "t3.micro"\n}\n'


def identical_bastions(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "live")
    repo.write("root.hcl", "locals {}\n")
    repo.write(
        "accounts.yml",
        "".join(
            f"{a}:\n  id: '{i}'\n  email: {a}@example.com\n"
            for a, i in (("qa", "1" * 12), ("staging", "2" * 12), ("prod", "3" * 12))
        ),
    )
    for env in ("qa", "staging", "prod"):
        repo.write(f"{env}/bastion/terragrunt.hcl", BASTION)
    repo.commit("three identical bastions")
    return repo


def jobs(data: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((j["action"], j["unit"]) for j in data["jobs"])


def test_an_ambiguous_rename_destroys_nothing_and_says_so(tmp_path: Path) -> None:
    repo = identical_bastions(tmp_path)
    base = repo.head()
    repo.delete("qa/bastion")
    repo.move("staging/bastion/terragrunt.hcl", "staging/jumphost/terragrunt.hcl")
    head = repo.commit("no qa bastion; staging's is a jumphost now")
    for event, action in (("pull_request", "plan"), ("push", "apply")):
        data = orchestrate_json(repo.path, base, head, event)
        assert jobs(data) == [(action, "staging/jumphost")], data["jobs"]  # no destroy at all
        (warning,) = [w for w in data["warnings"] if "cannot be told" in w]
        assert warning.startswith("units qa/bastion, staging/bastion deleted and staging/jumphost added")
        assert "qa/bastion" not in data["ignored"]


def test_an_unambiguous_rename_is_a_move_and_a_plain_delete_a_destroy(tmp_path: Path) -> None:
    repo = identical_bastions(tmp_path)
    base = repo.head()
    repo.write("staging/bastion/terragrunt.hcl", BASTION.replace("t3.micro", "t3.small"))
    repo.commit("staging's bastion is bigger")
    base = repo.head()
    repo.move("staging/bastion/terragrunt.hcl", "staging/jumphost/terragrunt.hcl")
    repo.delete("qa/bastion")
    data = orchestrate_json(repo.path, base, repo.commit("rename one, delete another"), "push")
    assert jobs(data) == [("apply", "staging/jumphost"), ("destroy", "qa/bastion")]
    assert {c["type"] for c in data["changes"] if c["unit"] == "staging/jumphost"} == {"ModuleMoved"}


DEPENDS = 'dependency "vpc" {\n  config_path = "../vpc"\n}\n'


def vpc_repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "live")
    repo.write("accounts.yml", "dev:\n  id: '111111111111'\n  email: dev@example.com\n")
    repo.write("dev/vpc/terragrunt.hcl", "")
    repo.write("dev/app/terragrunt.hcl", DEPENDS)
    repo.write("dev/db/terragrunt.hcl", DEPENDS)
    repo.commit("vpc, app and db")
    return repo


def test_deleting_a_unit_others_depend_on_warns_and_its_destroy_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = vpc_repo(tmp_path)
    base = repo.head()
    repo.delete("dev/vpc")
    head = repo.commit("no vpc")
    data = orchestrate_json(repo.path, base, head, "push")
    assert jobs(data) == [("destroy", "dev/vpc")]
    assert any(w.startswith("unit dev/vpc is deleted but dev/app, dev/db still depend on it") for w in data["warnings"])
    jobs_file = tmp_path / "jobs.json"
    jobs_file.write_text(json.dumps(data))
    refused = run(
        "execute", "--repo", str(repo.path), "--jobs-file", str(jobs_file), "--results-dir", str(tmp_path / "r")
    )
    assert refused.code == 2, refused.err
    (line,) = refused.err.strip().splitlines()
    assert "destroy refused: dev/app, dev/db still depend on 'dev/vpc'" in line
    assert "core.validate_dependencies_on_delete: false" in line
    # On the pull request: the plan-destroy is refused the same way (the unit is gone at the checkout's head).
    pr = orchestrate_json(repo.path, base, head, "pull_request")
    assert jobs(pr) == [("plan-destroy", "dev/vpc")]
    jobs_file.write_text(json.dumps(pr))
    refused = run(
        "execute", "--repo", str(repo.path), "--jobs-file", str(jobs_file), "--results-dir", str(tmp_path / "p")
    )
    assert refused.code == 2 and "plan-destroy refused: dev/app, dev/db still depend on 'dev/vpc'" in refused.err
    jobs_file.write_text(json.dumps(data))
    # Off: the gate lets it through, and the destroy runs (the stand-in terragrunt: nothing was applied).
    config = tmp_path / "pipelines.yml"
    config.write_text("core:\n  validate_dependencies_on_delete: false\n")
    argv = ["--jobs-file", str(jobs_file), "--config", str(config), "--results-dir", str(tmp_path / "r2")]
    monkeypatch.setenv("PATH", f"{STANDIN_BIN}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("GWPIPELINES_STANDIN_PYTHON", sys.executable)
    monkeypatch.setenv("STANDIN_STATE_DIR", str(tmp_path / "state"))
    other = run("execute", "--repo", str(repo.path), *argv)
    assert other.code == 0 and "still depend" not in other.err, other.err


def test_deleting_a_unit_with_its_dependents_is_not_refused(tmp_path: Path) -> None:
    repo = vpc_repo(tmp_path)
    base = repo.head()
    for unit in ("dev/vpc", "dev/app", "dev/db"):
        repo.delete(unit)
    data = orchestrate_json(repo.path, base, repo.commit("no dev at all"), "push")
    assert jobs(data) == [("destroy", "dev/app"), ("destroy", "dev/db"), ("destroy", "dev/vpc")]
    assert not [w for w in data["warnings"] if "still depend" in w]


def test_units_with_no_account_are_named_in_a_warning(tmp_path: Path) -> None:
    repo = vpc_repo(tmp_path)
    base = repo.head()
    repo.write("shared/dns/terragrunt.hcl", "")
    repo.append("dev/app/terragrunt.hcl", "# touched\n")
    data = orchestrate_json(repo.path, base, repo.commit("a unit outside any account"), "pull_request")
    assert jobs(data) == [("plan", "dev/app"), ("plan", "shared/dns")]
    (warning,) = [w for w in data["warnings"] if "no account" in w]
    assert warning.startswith("1 unit with no account in accounts.yml (shared/dns)")
