"""Drift detection end to end (issue 17): a push applies, the infrastructure is then changed behind gwpipelines'
back, and `gwpipelines drift` (plans of every unit at main's tip, dispatched into the pipelines repository, whose
workflow runs from its YAML with the stand-in terragrunt, moto and the local OIDC endpoint) opens exactly one issue;
a second run updates it; restoring the infrastructure closes it; re-running never duplicates anything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from testing.actions.runner import WorkflowRun
from testing.actions.workflows import load
from testing.cli import Result, run
from testing.e2e import DEV, DEV_UNITS, LIVE_REPO, PIPELINES_REPO, ZERO, World, results
from testing.github_server.model import BOT_LOGIN, Dispatch, RunScript

pytestmark = pytest.mark.slow

VPC = f"{DEV}/vpc"


class DriftWorld:
    def __init__(self, world: World, server: Any) -> None:
        self.world, self.server = world, server
        self.pipeline_runs: list[tuple[Dispatch, WorkflowRun]] = []
        world.runner.env["GITHUB_API_URL"] = server.url
        server.add_repo(LIVE_REPO)
        server.add_repo(PIPELINES_REPO, private=True)
        workflow = load(world.pipelines.path / ".github" / "workflows" / "pipelines.yml")
        server.add_workflow(
            PIPELINES_REPO,
            "pipelines.yml",
            name=workflow["name"],
            run_name=workflow["run-name"],
            inputs=list(workflow["on"]["workflow_dispatch"]["inputs"]),
        )
        server.on_dispatch = self._run_pipelines

    def _run_pipelines(self, dispatch: Dispatch) -> RunScript:
        run = self.world.pipelines_run(dict(dispatch.inputs))
        self.pipeline_runs.append((dispatch, run))
        failed = [name for name, job in run.jobs.items() if job.result == "failure"]
        return RunScript(
            conclusion="success" if run.conclusion == "success" else "failure",
            polls=0,
            failing_job=failed[0] if failed else None,
            files=run.artifacts.get("gwpipelines-results", {}),
        )

    def drift(self, tmp_path: Path, *extra: str) -> Result:
        summary = tmp_path / "summary.md"
        summary.write_text("")
        res = run(
            "drift", "--repo", str(self.world.live.path), "--config", str(self.world.pipelines.path / "pipelines.yml"),
            "--live-repo", LIVE_REPO, "--pipelines-repo", PIPELINES_REPO, "--poll-interval", "0.01", "--no-throttle",
            "--summary-file", str(summary), "--format", "json", *extra,
        )  # fmt: skip
        self.summary = summary.read_text()
        return res

    def state(self, unit: str) -> Path:
        return self.world.state / unit / "terraform.tfstate"


@pytest.fixture
def drift_world(tmp_path: Path, aws_env: dict[str, str], github_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    world = World.make(tmp_path, aws_env)
    # The push that creates everything: applied by the pipelines workflow, as the push's dispatch runs it.
    applied = world.pipelines_run(
        {
            "correlation_id": "push",
            "jobs": json.dumps(world.unit_jobs(ZERO, world.live.head(), "push")),
            "live_repo": LIVE_REPO,
            "pr": "",
        }
    )
    assert applied.conclusion == "success", applied.text()
    assert world.applied() == DEV_UNITS
    monkeypatch.setenv("GITHUB_API_URL", github_server.url)
    monkeypatch.setenv("PIPELINES_DISPATCH_TOKEN", "dispatch-token")
    monkeypatch.setenv("GITHUB_TOKEN", "live-token")
    return DriftWorld(world, github_server)


def test_drift_opens_one_issue_updates_it_and_closes_it_when_resolved(drift_world: DriftWorld, tmp_path: Path) -> None:
    flow, server = drift_world, drift_world.server
    tip = flow.world.live.head()

    # -- no drift yet: every unit planned, with the plan role, in shards of 3, nothing opened ------------------------
    first = flow.drift(tmp_path, "--units-per-run", "3")
    assert first.code == 0, first.err
    out = first.json()
    assert out["sha"] == tip and out["drifted"] == [] and sorted(out["clean"]) == DEV_UNITS
    assert [len(r["jobs"]) for r in out["runs"]] == [3, 2]
    jobs = []
    for dispatch, pipelines_run in flow.pipeline_runs:
        assert dispatch.inputs["pr"] == "" and set(dispatch.inputs) == {"correlation_id", "jobs", "live_repo", "pr"}
        jobs += json.loads(dispatch.inputs["jobs"])
        assert all("assumed the plan role" in r["log"] for r in results(pipelines_run).values())
    assert sorted(j["unit"] for j in jobs) == DEV_UNITS
    assert {(j["action"], j["ref"]) for j in jobs} == {("plan", tip)}
    assert server.issues(LIVE_REPO) == []

    # -- the VPC is changed behind the tool's back (its state no longer matches the code) --------------------------
    original = flow.state(VPC).read_text()
    state = json.loads(original)
    for resource in state["resources"]:
        if resource["name"] == "config":
            resource["instances"][0]["attributes"]["input"] = "changed-by-hand"
    state["serial"] += 1
    flow.state(VPC).write_text(json.dumps(state, indent=2))

    flow.pipeline_runs.clear()
    second = flow.drift(tmp_path)
    assert second.code == 0, second.err
    assert len(flow.pipeline_runs) == 1  # 5 units: one run of the default 50
    [drifted] = second.json()["drifted"]
    assert drifted["unit"] == VPC and drifted["summary"]["change"] == 1
    assert drifted["resources"] == ["~ terraform_data.config"]
    [issue] = server.issues(LIVE_REPO)
    assert issue.state == "open" and issue.user == BOT_LOGIN
    assert VPC in issue.title and "terraform_data.config" in issue.body and "1 to change" in issue.body
    assert drifted["issue_url"].endswith(f"/issues/{issue.number}")
    assert VPC in flow.summary and "1 drifted" in flow.summary
    assert flow.state(VPC).read_text() == json.dumps(state, indent=2)  # drift is never applied

    # -- a second drift run: the same issue, updated -------------------------------------------------------------
    body_before = issue.body
    third = flow.drift(tmp_path)
    assert third.code == 0, third.err
    [again] = server.issues(LIVE_REPO)
    assert again.number == issue.number and again.state == "open"
    assert again.body != body_before or again.updated_at >= issue.updated_at
    assert [d["unit"] for d in third.json()["drifted"]] == [VPC]

    # -- the state restored: the issue is closed, with a comment -------------------------------------------------
    flow.state(VPC).write_text(original)
    fourth = flow.drift(tmp_path)
    assert fourth.code == 0, fourth.err
    assert fourth.json()["drifted"] == [] and fourth.json()["closed_issue_urls"] == [drifted["issue_url"]]
    [closed] = server.issues(LIVE_REPO)
    assert closed.number == issue.number and closed.state == "closed"
    [comment] = server.comments(LIVE_REPO, issue.number)
    assert "No drift any more" in comment.body and tip in comment.body

    # -- re-running: nothing new, nothing duplicated -----------------------------------------------------------
    fifth = flow.drift(tmp_path)
    assert fifth.code == 0, fifth.err
    assert len(server.issues(LIVE_REPO)) == 1 and len(server.comments(LIVE_REPO, issue.number)) == 1
    assert fifth.json()["closed_issue_urls"] == []


def live_drift_run(flow: DriftWorld, event_name: str, event: dict[str, Any], inputs: dict[str, str]) -> WorkflowRun:
    """The live repository's own drift workflow, from its YAML, through the reusable workflow and the action."""
    import yaml

    live = flow.world.live
    workflow = yaml.safe_load(live.git("show", "HEAD:.github/workflows/gwpipelines-drift.yml"))
    workflow["on"] = workflow.pop(True)
    # The test server's runs are finished when first polled: poll after a tenth of a second, not the default ten.
    workflow["jobs"]["drift"].setdefault("with", {})["poll-interval"] = "0.1"
    github = {
        "event_name": event_name,
        "event": event,
        "repository": LIVE_REPO,
        "sha": live.head(),
        "ref": "refs/heads/main",
        "token": "ghs_live_workflow_token",
        "actor": "octocat",
        "run_id": "778",
    }
    return flow.world.runner.run(
        workflow, github=github, inputs=inputs, secrets={"PIPELINES_DISPATCH_TOKEN": "ghp_dispatch"}
    )


def test_the_scheduled_workflow_and_a_filtered_run_by_hand(drift_world: DriftWorld) -> None:
    flow, server = drift_world, drift_world.server
    state = json.loads(flow.state(VPC).read_text())
    state["resources"] = [r for r in state["resources"] if r["name"] != "source"]  # deleted by hand: to re-create
    flow.state(VPC).write_text(json.dumps(state))

    scheduled = live_drift_run(flow, "schedule", {"schedule": "17 6 * * 1-5"}, {})
    assert scheduled.conclusion == "success", scheduled.text()
    [issue] = server.issues(LIVE_REPO)
    assert VPC in issue.title and "+ terraform_data.source" in issue.body
    [(dispatch, _)] = flow.pipeline_runs
    assert sorted(j["unit"] for j in json.loads(dispatch.inputs["jobs"])) == DEV_UNITS

    # By hand, with a path filter that leaves the VPC out: only those units are planned; the issue stays open.
    flow.pipeline_runs.clear()
    event = {"inputs": {"paths": f"{DEV}/app {DEV}/redis"}, "ref": "refs/heads/main"}
    by_hand = live_drift_run(flow, "workflow_dispatch", event, {"paths": f"{DEV}/app {DEV}/redis"})
    assert by_hand.conclusion == "success", by_hand.text()
    [(dispatch, _)] = flow.pipeline_runs
    assert sorted(j["unit"] for j in json.loads(dispatch.inputs["jobs"])) == [f"{DEV}/app", f"{DEV}/redis"]
    [issue] = server.issues(LIVE_REPO)
    assert issue.state == "open"
