"""The stand-in terragrunt keeps the real CLI contract the executor relies on (testing/standin/terragrunt.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from testing.executor_fixtures import Standin
from testing.gitrepo import GitRepo

DEV = "non-prod/us-east-1/dev"


def tg(repo: GitRepo, unit: str, *tf_args: str) -> subprocess.CompletedProcess[str]:
    argv = ["terragrunt", "run", "--working-dir", unit, "--non-interactive", "--no-color", "--tf-path", "tofu", "--"]
    return subprocess.run([*argv, *tf_args], cwd=repo.path, capture_output=True, text=True, check=False)


def plan(repo: GitRepo, unit: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return tg(repo, unit, "plan", *extra, "-no-color", "-input=false", "-detailed-exitcode", "-out=p.tfplan")


def test_detailed_exitcode_show_json_apply_and_stale_plans(dev_live: GitRepo, standin: Standin) -> None:
    vpc = f"{DEV}/vpc"
    first = plan(dev_live, vpc)
    assert first.returncode == 2, first.stderr  # changes present
    assert "Plan: 2 to add, 0 to change, 0 to destroy." in first.stdout
    shown = json.loads(tg(dev_live, vpc, "show", "-no-color", "-json", "p.tfplan").stdout)
    assert shown["format_version"] and shown["terraform_version"]
    assert [rc["change"]["actions"] for rc in shown["resource_changes"]] == [["create"], ["create"]]
    assert tg(dev_live, vpc, "apply", "-no-color", "-input=false", "p.tfplan").returncode == 0
    # Applying the same saved plan again: the state moved on, as in OpenTofu.
    stale = tg(dev_live, vpc, "apply", "-no-color", "-input=false", "p.tfplan")
    assert stale.returncode == 1 and "Saved plan is stale" in stale.stderr
    assert plan(dev_live, vpc).returncode == 0  # no changes now
    outputs = json.loads(tg(dev_live, vpc, "output", "-json").stdout)
    assert outputs["vpc_id"]["value"].startswith("vpc-") and outputs["vpc_id"]["sensitive"] is False
    state = standin.state(vpc)
    assert state is not None and state["version"] == 4 and state["serial"] == 1
    # An edit of a file the unit reads (env.hcl through root.hcl) is an in-place update.
    dev_live.append(f"{DEV}/env.hcl", "# touched\n")
    assert plan(dev_live, vpc).returncode == 2
    shown = json.loads(tg(dev_live, vpc, "show", "-json", "p.tfplan").stdout)
    assert {rc["address"]: rc["change"]["actions"] for rc in shown["resource_changes"]}["terraform_data.config"] == [
        "update"
    ]
    destroy = plan(dev_live, vpc, "-destroy")
    assert destroy.returncode == 2 and "2 to destroy" in destroy.stdout


def test_dependencies_read_outputs_from_state_or_mocks_for_plan_only(dev_live: GitRepo, standin: Standin) -> None:
    app = f"{DEV}/app"
    planned = plan(dev_live, app)
    assert planned.returncode == 2 and "using mock_outputs" in planned.stderr
    applied = tg(dev_live, app, "apply", "-no-color", "-input=false", "p.tfplan")
    assert applied.returncode == 1
    assert "is a dependency of" in applied.stderr and "detected no outputs" in applied.stderr
    assert standin.state(app) is None


def test_usage_errors_and_faults(dev_live: GitRepo, standin: Standin, tmp_path: Path) -> None:
    vpc = f"{DEV}/vpc"
    bad_flag = subprocess.run(
        ["terragrunt", "run", "--bogus", "--", "plan"], cwd=dev_live.path, capture_output=True, text=True, check=False
    )
    assert bad_flag.returncode == 1 and "flag provided but not defined: --bogus" in bad_flag.stderr
    no_plan = tg(dev_live, vpc, "apply", "-no-color")
    assert no_plan.returncode == 1 and "-auto-approve" in no_plan.stderr
    (dev_live.path / vpc / ".standin-fault.json").write_text(json.dumps({"command": "plan", "mode": "fail"}))
    failed = plan(dev_live, vpc)
    assert failed.returncode == 1 and "Error: creating terraform_data.config" in failed.stderr
