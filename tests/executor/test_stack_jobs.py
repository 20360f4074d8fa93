"""Jobs on units a Terragrunt stack generates run the way Terragrunt runs them: `terragrunt stack generate` in the
stack's folder first, then the unit; and the stand-in refuses what the real tools refuse (an unknown flag), so a
typo in a command line the executor builds fails here too."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from testing.cli import orchestrate_json
from testing.executor_fixtures import Standin, execute, results_by_id
from testing.gitrepo import GitRepo

STACK = """locals {
  env = "dev"
}

unit "vpc" {
  source = "${get_repo_root()}/catalog/units/vpc"
  path   = "vpc"
  values = {
    cidr = "10.0.0.0/16"
  }
}

unit "app" {
  source = "../../catalog/units/app"
  path   = "app"
  values = {
    vpc_path = "../vpc"
    name     = "${local.env}-app"
  }
}
"""
APP = """include "root" {
  path = find_in_parent_folders("root.hcl")
}

dependency "vpc" {
  config_path  = values.vpc_path
  mock_outputs = { vpc_id = "vpc-mock" }
}

inputs = {
  name   = values.name
  vpc_id = dependency.vpc.outputs.vpc_id
}
"""
VPC = 'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n\ninputs = {\n  cidr = values.cidr\n}\n'
UNITS = ["live/dev/.terragrunt-stack/vpc", "live/dev/.terragrunt-stack/app"]


def stack_repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "live")
    repo.write(".gitignore", ".terragrunt-stack\n.terragrunt-cache\n")
    repo.write("root.hcl", "locals {}\n")
    repo.write("live/dev/terragrunt.stack.hcl", STACK)
    repo.write("catalog/units/vpc/terragrunt.hcl", VPC)
    repo.write("catalog/units/app/terragrunt.hcl", APP)
    repo.commit("a dev stack")
    return repo


def test_a_push_applies_the_generated_units_in_order(tmp_path: Path, standin: Standin) -> None:
    repo = stack_repo(tmp_path)
    data = orchestrate_json(repo.path, "0" * 40, repo.head(), "push")
    assert [(j["action"], j["unit"]) for j in data["jobs"]] == [("apply", u) for u in UNITS]
    jobs_file = tmp_path / "jobs.json"
    jobs_file.write_text(json.dumps(data))
    res = execute(repo.path, tmp_path / "results", "--jobs-file", str(jobs_file))
    assert res.code == 0, res.err
    assert {r["status"] for r in results_by_id(res).values()} == {"succeeded"}
    assert standin.applied() == sorted(UNITS)
    logs = "".join(p.read_text() for p in (tmp_path / "results" / "logs").iterdir())
    assert "$ terragrunt stack generate --working-dir live/dev --non-interactive --no-color" in logs
    assert not (repo.path / "live/dev/.terragrunt-stack").exists()  # generated in the job's checkout only


def test_a_values_change_plans_the_one_unit_with_changes(tmp_path: Path, standin: Standin) -> None:
    repo = stack_repo(tmp_path)
    base = repo.head()
    jobs_file = tmp_path / "jobs.json"
    jobs_file.write_text(json.dumps(orchestrate_json(repo.path, "0" * 40, base, "push")))
    assert execute(repo.path, tmp_path / "r0", "--jobs-file", str(jobs_file)).code == 0
    repo.write("live/dev/terragrunt.stack.hcl", STACK.replace("10.0.0.0/16", "10.1.0.0/16"))
    head = repo.commit("a bigger vpc")
    data = orchestrate_json(repo.path, base, head, "push")
    assert [(j["action"], j["unit"]) for j in data["jobs"]] == [("apply", UNITS[0])]
    jobs_file.write_text(json.dumps(data))
    res = execute(repo.path, tmp_path / "r1", "--jobs-file", str(jobs_file))
    assert res.code == 0, res.err
    (result,) = results_by_id(res).values()
    assert result["summary"]["change"] == 1, result


def tg(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["terragrunt", *args], cwd=cwd, capture_output=True, text=True, check=False)


def test_the_standin_refuses_flags_the_real_tools_do_not_define(tmp_path: Path, standin: Standin) -> None:
    repo = stack_repo(tmp_path)
    assert tg(repo.path, "stack", "generate", "--working-dir", "live/dev", "--bogus").returncode == 1
    done = tg(repo.path, "stack", "generate", "--working-dir", "live/dev", "--non-interactive", "--no-color")
    assert done.returncode == 0, done.stderr
    values = (repo.path / "live/dev/.terragrunt-stack/app/terragrunt.values.hcl").read_text()
    assert values == 'name = "dev-app"\nvpc_path = "../vpc"\n'
    run = ["run", "--working-dir", UNITS[0], "--non-interactive", "--no-color", "--tf-path", "tofu", "--"]
    for bad in (["plan", "-bogus-flag"], ["plan", "-out"], ["show", "-destroy"], ["apply", "-detailed-exitcode"]):
        done = tg(repo.path, *run, *bad)
        assert done.returncode == 1 and "Failed to parse command-line flags" in done.stderr, (bad, done.stderr)
    good = tg(repo.path, *run, "plan", "-no-color", "-input=false", "-detailed-exitcode", "-out=p.tfplan")
    assert good.returncode == 2, good.stderr
    assert tg(repo.path, "--bogus", "plan").returncode == 1


def test_a_destroy_of_a_unit_its_stack_still_generates_is_refused(tmp_path: Path, standin: Standin) -> None:
    repo = stack_repo(tmp_path)
    forged = {
        "id": f"destroy:{UNITS[0]}",
        "unit": UNITS[0],
        "action": "destroy",
        "ref": repo.head(),
        "account": None,
        "change_types": ["ModuleDeleted"],
        "wave": 0,
        "needs": [],
    }
    res = execute(repo.path, tmp_path / "results", "--job", json.dumps(forged))
    assert res.code == 2 and "still exists on 'main'" in res.err, res.err
    assert standin.applied() == []
