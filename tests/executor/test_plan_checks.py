"""Plan, policy gate, apply (issue 12 item 5): plan checks run between the saved plan and the apply, are handed the
plan's JSON, and a refusal stops the apply: nothing changes in the state."""

from __future__ import annotations

import json
from pathlib import Path

from testing.executor_fixtures import TOOL_PYTHON, Standin, execute, job, result_file, write_config
from testing.gitrepo import GitRepo

DEV = "non-prod/us-east-1/dev"
BASTION = f"{DEV}/bastion"
VPC = f"{DEV}/vpc"

POLICY = (
    "core:\n  steps: [terragrunt, policy]\n  execution_defaults: {retry_delay_seconds: 0}\n"
    "plan_policy:\n  - name: policy\n    max_destroy: 0\n"
)


def test_a_policy_refusing_a_destroy_stops_it_before_anything_is_destroyed(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    for unit in (VPC, BASTION):
        seed = execute(
            dev_live.path, tmp_path / f"seed-{unit[-3:]}", "--job", json.dumps(job(unit, "apply", dev_live.head()))
        )
        assert seed.code == 0, seed.err
    before = dev_live.head()
    dev_live.delete(BASTION)
    dev_live.commit("delete bastion")
    cfg = write_config(tmp_path / "pipelines.yml", POLICY)
    res = execute(
        dev_live.path, tmp_path / "r", "--config", str(cfg), "--job", json.dumps(job(BASTION, "destroy", before))
    )
    assert res.code == 1, res.err
    (result,) = res.json()["results"]
    assert result["failure"] == ("policy: destroys terraform_data.config, terraform_data.source (max_destroy 0)")
    assert result["summary"]["destroy"] == 2  # what the refused plan would have done is still reported
    assert "plan refused, not applied" in result["log"]
    assert " apply -no-color" not in result["log"]  # the tool's apply never ran
    assert len(standin.state(BASTION)["resources"]) == 2  # type: ignore[index]
    steps = {s["name"]: s["ok"] for s in result_file(tmp_path / "r", f"destroy:{BASTION}")["instances"]}
    assert steps == {"terragrunt": False, "policy": False}


def test_a_command_plan_check_gets_the_saved_plan_and_can_refuse_an_apply(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    """A conftest-style command: reads GWPIPELINES_PLAN_JSON, refuses any plan that creates something."""
    script = (
        "import json, os, sys; plan = json.load(open(os.environ['GWPIPELINES_PLAN_JSON'])); "
        "creates = [rc['address'] for rc in plan['resource_changes'] if 'create' in rc['change']['actions']]; "
        "print('creates: ' + ', '.join(creates), file=sys.stderr); sys.exit(1 if creates else 0)"
    )
    cfg = write_config(
        tmp_path / "pipelines.yml",
        "core:\n  steps: [terragrunt, no-creates]\n  execution_defaults: {retry_delay_seconds: 0}\ncommand:\n"
        "  - name: no-creates\n    check_plan: true\n"
        f"    argv: [{json.dumps(TOOL_PYTHON)}, -c, {json.dumps(script)}]\n",
    )
    res = execute(
        dev_live.path, tmp_path / "r", "--config", str(cfg), "--job", json.dumps(job(VPC, "apply", dev_live.head()))
    )
    assert res.code == 1
    (result,) = res.json()["results"]
    assert result["failure"].startswith("no-creates: ") and "refused the plan: exit 1" in result["failure"]
    assert "creates: terraform_data.config, terraform_data.source" in result["log"]
    assert standin.state(VPC) is None  # never applied
    # A plan is judged the same way: the pull request sees the verdict.
    plan = execute(
        dev_live.path, tmp_path / "p", "--config", str(cfg), "--job", json.dumps(job(VPC, "plan", dev_live.head()))
    )
    assert plan.code == 1 and plan.json()["results"][0]["failure"].startswith("no-creates: ")


def test_a_plan_check_that_never_saw_a_plan_fails_the_job(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    cfg = write_config(
        tmp_path / "pipelines.yml",
        "core:\n  steps: [hello, policy]\ncommand:\n  - {name: hello, argv: ['true']}\n"
        "plan_policy:\n  - name: policy\n",
    )
    res = execute(
        dev_live.path, tmp_path / "r", "--config", str(cfg), "--job", json.dumps(job(VPC, "apply", dev_live.head()))
    )
    assert res.code == 1
    assert res.json()["results"][0]["failure"] == (
        "plan checks not run: policy: no step of this job produced a saved plan for them to check"
    )
