"""The pipelines repository's workflow, end to end: the repository made by `gwpipelines init pipelines`, its
workflow (and gwpipelines' reusable workflow and composite action) executed step by step from the YAML, the live
repository checked out from a real git repository, AWS roles assumed through the local OIDC endpoint and moto, the
stand-in terragrunt; the `gwpipelines-results` artifact is what the dispatcher would download."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from testing.e2e import DEV, DEV_UNITS, LIVE_REPO, ZERO, World, results

pytestmark = pytest.mark.slow


@pytest.fixture
def world(tmp_path: Path, aws_env: dict[str, str]) -> World:
    return World.make(tmp_path, aws_env)


def dispatch_inputs(jobs: list[dict[str, Any]], pr: str = "", live_repo: str = LIVE_REPO) -> dict[str, Any]:
    return {"correlation_id": "gwp-test-1", "jobs": json.dumps(jobs), "live_repo": live_repo, "pr": pr}


def test_applies_of_a_commit_not_on_main_are_refused_and_nothing_runs(world: World) -> None:
    """Plans, applies and destroys after the merge go through the same workflow in test_two_repo_e2e; here, what
    whoever holds the dispatch token must not be able to do: apply a pull request's head before it is merged."""
    live = world.live
    base = live.head()
    live.git("checkout", "-q", "-b", "change")
    live.write(f"{DEV}/env.hcl", live.read(f"{DEV}/env.hcl").replace("db.t4g.micro", "db.t4g.small"))
    head = live.commit("dev: bigger database")
    early = world.orchestrate(base, head, "push")["jobs"]
    assert {j["action"] for j in early} == {"apply"}
    refused = world.pipelines_run(dispatch_inputs(early))
    assert refused.conclusion == "failure"
    assert "not on the default branch" in refused.text()
    assert world.applied() == []
    # The same jobs as plans (what the pull request gets) run.
    plans = world.pipelines_run(dispatch_inputs(world.orchestrate(base, head, "pull_request")["jobs"], pr="7"))
    assert plans.conclusion == "success", plans.text()
    assert sorted(results(plans)) == sorted(f"plan:{u}" for u in DEV_UNITS)
    assert all("credentials: assumed the plan role of account 'non-prod'" in r["log"] for r in results(plans).values())


def test_a_failing_unit_fails_the_run_and_every_result_is_still_published(world: World) -> None:
    (world.live.path / DEV / "mysql" / ".standin-fault.json").write_text(
        json.dumps({"command": "apply", "mode": "fail", "message": "AccessDenied: not allowed"})
    )
    head = world.live.commit("a unit that fails to apply")
    run = world.pipelines_run(dispatch_inputs(world.unit_jobs(ZERO, head, "push")))
    assert run.conclusion == "failure"
    assert run.jobs["gwpipelines / status"].result == "failure"
    status = {i: r["status"] for i, r in results(run).items()}
    assert status[f"apply:{DEV}/mysql"] == "failed" and status[f"apply:{DEV}/app"] == "skipped"
    assert status[f"apply:{DEV}/vpc"] == status[f"apply:{DEV}/redis"] == "succeeded"
    # Every unit's whole log, the failed one's included, in one artifact (a folder per account).
    logs = run.artifacts["gwpipelines-logs"]
    mysql = next(
        text for name, text in logs.items() if name.startswith("gwpipelines-logs-non-prod/") and "mysql" in name
    )
    assert b"AccessDenied: not allowed" in mysql
    assert {name.split("/")[0] for name in logs} == {"gwpipelines-logs-non-prod"}


def test_a_dispatch_for_another_live_repository_runs_nothing(world: World) -> None:
    jobs = world.unit_jobs(ZERO, world.live.head(), "push")
    world.runner.repos["evil/infrastructure-live"] = world.live.path
    run = world.pipelines_run(dispatch_inputs(jobs, live_repo="evil/infrastructure-live"))
    assert run.conclusion == "failure"
    assert "--live-repo: evil/infrastructure-live is not the live repository of pipelines.yml" in run.text()
    assert world.applied() == []
    assert json.loads(run.artifacts["gwpipelines-results"]["results.json"]) == {"results": []}


def test_plans_and_applies_are_never_mixed_in_one_run(world: World) -> None:
    jobs = world.unit_jobs(ZERO, world.live.head(), "push")
    jobs[0] = {**jobs[0], "action": "plan", "id": "plan:" + str(jobs[0]["unit"])}
    run = world.pipelines_run(dispatch_inputs(jobs))
    assert run.conclusion == "failure"
    assert "may not mix plans with applies" in run.text()
    assert run.jobs["gwpipelines / execute"].result == "skipped"
    assert world.applied() == []
