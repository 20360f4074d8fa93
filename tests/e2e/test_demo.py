"""The demo's pull request, read by a careful reader of infrastructure-live-template/, against the orchestrator.

`scripts/demo.py` builds a repo from the template (`main`) and a branch with five changes. Each expectation below
is what someone who knows Terragrunt would list after reading the template, not what the code happens to print:

1. `non-prod/us-east-1/qa/env.hcl` (bigger MySQL in qa). root.hcl, included by every unit, reads
   `read_terragrunt_config(find_in_parent_folders("env.hcl"))`; Terragrunt evaluates it in the including unit's
   directory, so every unit under `non-prod/us-east-1/qa/` reads qa's env.hcl: HCLChanged for all five qa units,
   and for no unit elsewhere (they find their own env.hcl first).
2. `_envcommon/redis.hcl` (Redis 7.2). Included as "envcommon" by the redis unit of each environment and by no
   other unit: EnvCommonChanged for the four redis units. qa/redis is hit twice (1 and 2): one job, both types.
3. `non-prod/us-east-1/dev/bastion/` removed: ModuleDeleted, planned/destroyed at the *base* commit, where the
   unit's code still exists. Nothing depends on a bastion, so nothing else moves.
4. `non-prod/us-east-1/dev/sqs/` added: ModuleAdded at head. dev's env.hcl did not change, so that is all.
5. `sandbox` appended to accounts.yml: AccountAdded, an account-plan job (account-create on push), no unit.
   accounts.yml is read by no unit, so no unit is affected by it.

No other unit is affected: dev/{vpc,mysql,app} and the prod account's non-redis units read none of the changed
files. Dependents of changed units are not added (DESIGN.md: as in Gruntwork Pipelines).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from testing import ROOT
from testing.cli import run
from testing.scripts import load_script

QA = "non-prod/us-east-1/qa"
DEV = "non-prod/us-east-1/dev"
QA_ENV = f"{QA}/env.hcl"
REDIS = "_envcommon/redis.hcl"
REDIS_UNITS = [f"{DEV}/redis", f"{QA}/redis", "prod/us-east-1/prod/redis", "prod/us-east-1/staging/redis"]
QA_UNITS = [f"{QA}/{c}" for c in ("app", "bastion", "mysql", "redis", "vpc")]


demo = load_script("gwpipelines_demo", "scripts/demo.py")


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    repo = tmp_path_factory.mktemp("demo") / "infrastructure-live"
    base, head = demo.build_demo_repo(repo)
    return repo, base, head


def orchestrate(demo_repo: tuple[Path, str, str], event: str) -> dict[str, Any]:
    repo, base, head = demo_repo
    # Refs as a user types them: the branch names, not the shas.
    args = ["--repo", str(repo), "--base", "main", "--head", demo.BRANCH, "--event", event, "--format", "json"]
    res = run("orchestrate", *args)
    assert res.code == 0, res.err
    data: dict[str, Any] = res.json()
    assert (data["base"], data["head"], data["event"]) == (base, head, event)
    return data


def expected_changes() -> list[dict[str, Any]]:
    def unit_change(kind: str, unit: str, files: list[str]) -> dict[str, Any]:
        return {"type": kind, "unit": unit, "account": unit.split("/")[0], "files": files}

    return [
        # 1. qa's env.hcl, read through root.hcl by every qa unit.
        *(unit_change("HCLChanged", unit, [QA_ENV]) for unit in QA_UNITS),
        # 2. the redis component, included by the four redis units.
        *(unit_change("EnvCommonChanged", unit, [REDIS]) for unit in REDIS_UNITS),
        # 3. the deleted unit, whose only file was its terragrunt.hcl.
        unit_change("ModuleDeleted", f"{DEV}/bastion", [f"{DEV}/bastion/terragrunt.hcl"]),
        # 4. the new unit.
        unit_change("ModuleAdded", f"{DEV}/sqs", [f"{DEV}/sqs/terragrunt.hcl"]),
        # 5. the new account: not a unit; its account is its own name.
        {"type": "AccountAdded", "unit": None, "account": "sandbox", "files": ["accounts.yml"]},
    ]


def key(change: dict[str, Any]) -> tuple[str, str]:
    return change["type"], change["unit"] or change["account"]


def expected_jobs(event: str, base: str, head: str) -> dict[str, dict[str, Any]]:
    """Every job with its action, commit, change types and place in the DAG, for one event."""
    push = event == "push"
    run_action, gone_action = ("apply", "destroy") if push else ("plan", "plan-destroy")
    account_action = "account-create" if push else "account-plan"

    def unit_job(
        unit: str, types: list[str], wave: int = 0, needs: tuple[str, ...] = (), action: str = ""
    ) -> dict[str, Any]:
        action = action or run_action
        return {
            "id": f"{action}:{unit}",
            "unit": unit,
            "action": action,
            # A deleted unit only exists at base: its plan/destroy must run on base's code.
            "ref": base if action == gone_action else head,
            "account": unit.split("/")[0],
            "change_types": types,
            "wave": wave,
            "needs": sorted(f"{run_action}:{QA}/{n}" for n in needs),
        }

    jobs = [
        # qa follows its DAG: vpc, then mysql/redis/bastion (each on vpc), then app (on vpc, mysql, redis).
        unit_job(f"{QA}/vpc", ["HCLChanged"]),
        unit_job(f"{QA}/mysql", ["HCLChanged"], 1, ("vpc",)),
        unit_job(f"{QA}/bastion", ["HCLChanged"], 1, ("vpc",)),
        unit_job(f"{QA}/redis", ["EnvCommonChanged", "HCLChanged"], 1, ("vpc",)),
        unit_job(f"{QA}/app", ["HCLChanged"], 2, ("vpc", "mysql", "redis")),
        # The other redis units depend only on their own vpc, which is not changed: wave 0, no needs.
        *(unit_job(u, ["EnvCommonChanged"]) for u in REDIS_UNITS if not u.startswith(QA)),
        unit_job(f"{DEV}/bastion", ["ModuleDeleted"], action=gone_action),
        unit_job(f"{DEV}/sqs", ["ModuleAdded"]),
        {
            "id": f"{account_action}:sandbox",
            "unit": None,
            "action": account_action,
            "ref": head,
            "account": "sandbox",
            "change_types": ["AccountAdded"],
            "wave": 0,
            "needs": [],
        },
    ]
    return {j["id"]: j for j in jobs}


def normalise(job: dict[str, Any]) -> dict[str, Any]:
    """Order inside change_types and needs carries no meaning; compare them as sorted lists."""
    return {**job, "change_types": sorted(job["change_types"]), "needs": sorted(job["needs"])}


@pytest.mark.parametrize("event", ["pull_request", "push"])
def test_demo_changes_are_what_a_careful_reader_lists(demo_repo: tuple[Path, str, str], event: str) -> None:
    data = orchestrate(demo_repo, event)
    assert sorted(data["changes"], key=key) == sorted(expected_changes(), key=key)
    # Every changed path affects something here; nothing is guessed.
    assert data["ignored"] == []
    assert data["warnings"] == []


@pytest.mark.parametrize("event", ["pull_request", "push"])
def test_demo_jobs_per_event(demo_repo: tuple[Path, str, str], event: str) -> None:
    _, base, head = demo_repo
    data = orchestrate(demo_repo, event)
    got = {j["id"]: normalise(j) for j in data["jobs"]}
    assert len(got) == len(data["jobs"]), "one job per (unit, action)"
    assert got == expected_jobs(event, base, head)


def test_push_jobs_respect_the_dependency_graph(demo_repo: tuple[Path, str, str]) -> None:
    """Checked against `gwpipelines graph` at head, not against the list above: for every pair of apply jobs
    where one unit depends on the other, the dependent waits for it and sits in a later wave; the job list
    itself is in an order that runs nothing before what it needs."""
    repo, _, _ = demo_repo
    graph = run("graph", "--repo", str(repo), "--format", "json")
    assert graph.code == 0, graph.err
    depends_on = {u["path"]: set(u["dependencies"]) for u in graph.json()["units"]}
    jobs = orchestrate(demo_repo, "push")["jobs"]
    applies = {j["unit"]: j for j in jobs if j["action"] == "apply"}
    for unit, job in applies.items():
        for dep in depends_on[unit] & set(applies):
            assert applies[dep]["id"] in job["needs"], f"{job['id']} must wait for {dep}"
            assert job["wave"] > applies[dep]["wave"]
    seen: set[str] = set()
    for job in jobs:
        assert set(job["needs"]) <= seen, f"{job['id']} is listed before a job it needs"
        seen.add(job["id"])
    by_id = {j["id"]: j for j in jobs}
    for job in jobs:
        assert job["wave"] == max((by_id[n]["wave"] + 1 for n in job["needs"]), default=0)


def test_demo_repo_is_deterministic(tmp_path: Path, demo_repo: tuple[Path, str, str]) -> None:
    """Fixed identities and dates: the same template gives the same shas (stable demo output and goldens)."""
    _, base, head = demo_repo
    assert demo.build_demo_repo(tmp_path / "again") == (base, head)


def test_readme_quick_start_is_the_demo_and_the_test_suite() -> None:
    """The README promises exactly two commands from a fresh clone; CI runs the second one."""
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = quick_start.split("```sh\n", 1)[1].split("```", 1)[0]
    assert block.splitlines() == ["./scripts/demo", "./scripts/test"]
    for name in ("demo", "test"):
        assert os.access(ROOT / "scripts" / name, os.X_OK), f"scripts/{name} is not executable"
    assert "./scripts/test" in (ROOT / ".ci" / "run").read_text()


def test_dry_run_of_a_push_shows_the_merged_pull_request_comment(demo_repo: tuple[Path, str, str]) -> None:
    repo, base, head = demo_repo
    pr = run("dry-run", "--repo", str(repo), "--base", base, "--head", head, "--format", "json")
    push = run("dry-run", "--repo", str(repo), "--base", base, "--head", head, "--event", "push", "--format", "json")
    assert pr.code == push.code == 0, pr.err + push.err
    assert pr.json()["comment"].startswith("<!-- gwpipelines:comment -->\n## gwpipelines plan:")
    comment = push.json()["comment"]
    assert comment.startswith(f"<!-- gwpipelines:push {head} -->\n## gwpipelines apply:")
    assert f"The merge commit `{head[:12]}` is being applied." in comment and "**Next:**" in comment
