"""The whole two-repository flow on one machine (issue 5, item 6).

The live repository (from infrastructure-live-template) and the pipelines repository (from `gwpipelines init
pipelines`) are real git repositories. A real `pull_request` webhook payload, its shas rewritten to the live repo,
drives the live repository's workflow, executed step by step from its YAML (through gwpipelines' reusable workflow
and composite action): orchestrate, then `gwpipelines dispatch` against the GitHub test server. The server "runs"
each dispatched workflow by executing the pipelines repository's workflow the same way: the executor against moto,
the local OIDC endpoint and the stand-in terragrunt; the run's artifacts (gwpipelines-shards and each leg's results,
with the merged gwpipelines-results) go back to the dispatcher, which writes the sticky comment. Then the push to
main: applies in dependency order, a deleted unit destroyed at its base commit, a unit made to fail opening exactly
one issue.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from testing.actions.runner import WorkflowRun
from testing.actions.workflows import load
from testing.e2e import (
    DEV,
    DEV_UNITS,
    LIVE_REPO,
    PIPELINES_REPO,
    ZERO,
    World,
    pull_request_event,
    push_event,
    results,
)
from testing.github_server.model import Dispatch, RunScript

pytestmark = pytest.mark.slow

PR = 7


class TwoRepos:
    def __init__(self, world: World, server: Any) -> None:
        self.world, self.server = world, server
        self.pipeline_runs: list[tuple[Dispatch, WorkflowRun]] = []
        self.merged_artifact = True  # serve the run's merged gwpipelines-results (the fallback) with its legs'
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
        assert (dispatch.repo, dispatch.workflow, dispatch.ref) == (PIPELINES_REPO, "pipelines.yml", "main")
        run = self.world.pipelines_run(dict(dispatch.inputs))
        self.pipeline_runs.append((dispatch, run))
        failed = [name for name, job in run.jobs.items() if job.result == "failure"]
        merged = run.artifacts.get("gwpipelines-results", {}) if self.merged_artifact else {}
        return RunScript(
            conclusion="success" if run.conclusion == "success" else "failure",
            polls=0,
            failing_job=failed[0] if failed else None,
            files=merged,
            artifacts={name: files for name, files in run.artifacts.items() if name != "gwpipelines-results"},
        )

    def live_run(self, event_name: str, payload: dict[str, Any], sha: str, ref: str) -> WorkflowRun:
        """The live repository's own workflow file, at the commit the event is for."""
        workflow = yaml_at(self.world, sha, ".github/workflows/gwpipelines.yml")
        # The test server's runs are finished when first polled: the first poll comes after the live workflow's
        # `poll-interval` knob, here a tenth of a second instead of the default ten (about 100 s of waiting).
        workflow["jobs"]["gwpipelines"].setdefault("with", {})["poll-interval"] = "0.1"
        github = {
            "event_name": event_name,
            "event": payload,
            "repository": LIVE_REPO,
            "sha": sha,
            "ref": ref,
            "token": "ghs_live_workflow_token",
            "actor": "octocat",
            "run_id": "777",
        }
        return self.world.runner.run(workflow, github=github, secrets={"PIPELINES_DISPATCH_TOKEN": "ghp_dispatch"})

    def dispatched_jobs(self) -> list[list[str]]:
        return [[j["id"] for j in json.loads(d.inputs["jobs"])] for d, _ in self.pipeline_runs]


def yaml_at(world: World, sha: str, path: str) -> dict[str, Any]:
    import yaml

    data = yaml.safe_load(world.live.git("show", f"{sha}:{path}"))
    data["on"] = data.pop(True)
    return dict(data)


@pytest.fixture
def flow(tmp_path: Path, aws_env: dict[str, str], github_server: Any) -> TwoRepos:
    world = World.make(tmp_path, aws_env)
    # Everything on main is already applied (the state a team has before this pull request).
    initial = world.pipelines_run(
        {
            "correlation_id": "setup",
            "jobs": json.dumps(world.unit_jobs(ZERO, world.live.head(), "push")),
            "live_repo": LIVE_REPO,
            "pr": "",
        }
    )
    assert initial.conclusion == "success", initial.text()
    assert world.applied() == DEV_UNITS
    return TwoRepos(world, github_server)


def test_pull_request_then_push_to_main(flow: TwoRepos) -> None:
    world, server, live = flow.world, flow.server, flow.world.live
    base = live.head()
    live.git("checkout", "-q", "-b", "change")
    live.write(f"{DEV}/env.hcl", live.read(f"{DEV}/env.hcl").replace("db.t4g.micro", "db.t4g.small"))
    live.delete(f"{DEV}/bastion")
    # mysql's apply will fail (the stand-in's fault file); its plan works.
    live.write(f"{DEV}/mysql/.standin-fault.json", json.dumps({"command": "apply", "mode": "fail"}))
    head = live.commit("dev: bigger database, no bastion")
    server.add_pull(LIVE_REPO, PR, head_sha=head, base_sha=base, head_ref="change")

    # -- the pull request: plans, one sticky comment ----------------------------------------------------------
    event = pull_request_event(base, head, PR)
    run = flow.live_run("pull_request", event, head, f"refs/pull/{PR}/merge")
    assert run.conclusion == "success", run.text()
    expected_plans = sorted([f"plan-destroy:{DEV}/bastion"] + [f"plan:{u}" for u in DEV_UNITS if "bastion" not in u])
    assert sorted(j for jobs in flow.dispatched_jobs() for j in jobs) == expected_plans
    assert all(d.inputs["pr"] == str(PR) for d, _ in flow.pipeline_runs)
    assert set(flow.pipeline_runs[0][0].inputs) == {"correlation_id", "jobs", "live_repo", "pr"}
    [comment] = server.comments(LIVE_REPO, PR)
    for job_id in expected_plans:
        assert job_id.partition(":")[2] in comment.body, job_id
    assert f"{DEV}/bastion" in comment.body and "destroy" in comment.body
    assert server.issues(LIVE_REPO) == []
    assert world.applied() == DEV_UNITS  # plans change nothing
    assert all("assumed the plan role" in j["log"] for _, r in flow.pipeline_runs for j in results(r).values())

    # Running the same event again updates the one comment; it never adds another.
    again = flow.live_run("pull_request", event, head, f"refs/pull/{PR}/merge")
    assert again.conclusion == "success", again.text()
    assert len(server.comments(LIVE_REPO, PR)) == 1

    # -- the merge: applies in dependency order, the deleted unit destroyed at base, one issue -------------------
    live.git("checkout", "-q", "main")
    live.git("merge", "-q", "--ff-only", "change")
    server.add_pull(LIVE_REPO, PR, head_sha=head, base_sha=base, head_ref="change", merged_sha=head)
    flow.pipeline_runs.clear()
    push = push_event(base, head)
    applied = flow.live_run("push", push, head, "refs/heads/main")
    assert applied.conclusion == "failure"  # mysql failed: the required check says so
    batches = flow.dispatched_jobs()
    order = {job: i for i, jobs in enumerate(batches) for job in jobs}
    assert order[f"apply:{DEV}/vpc"] < order[f"apply:{DEV}/mysql"]
    assert order[f"apply:{DEV}/vpc"] < order[f"apply:{DEV}/redis"]
    assert f"apply:{DEV}/app" not in order  # it needs mysql, which failed: never dispatched, reported skipped
    assert f"destroy:{DEV}/bastion" in order
    all_results = {k: v for _, r in flow.pipeline_runs for k, v in results(r).items()}
    assert all_results[f"destroy:{DEV}/bastion"]["status"] == "succeeded"
    assert all_results[f"apply:{DEV}/mysql"]["status"] == "failed"
    assert world.applied() == [u for u in DEV_UNITS if "bastion" not in u]
    ran = [j for _, r in flow.pipeline_runs for j in results(r).values() if j["status"] != "skipped"]
    assert ran and all("assumed the apply role" in j["log"] for j in ran)
    [issue] = server.issues(LIVE_REPO)
    assert f"{DEV}/mysql" in issue.title + issue.body

    # The same push event again: still exactly one issue.
    flow.live_run("push", push, head, "refs/heads/main")
    assert len(server.issues(LIVE_REPO)) == 1


def test_a_pull_request_from_a_fork_is_refused_without_dispatching(
    tmp_path: Path, aws_env: dict[str, str], github_server: Any
) -> None:
    flow = TwoRepos(World.make(tmp_path, aws_env), github_server)
    live = flow.world.live
    base = live.head()
    live.git("checkout", "-q", "-b", "change")
    live.append(f"{DEV}/vpc/terragrunt.hcl", "\n# from a fork\n")
    head = live.commit("a fork's change")
    event = pull_request_event(base, head, PR)
    event["pull_request"]["head"]["repo"]["full_name"] = "mallory/infrastructure-live"
    run = flow.live_run("pull_request", event, head, f"refs/pull/{PR}/merge")
    assert run.conclusion == "failure"
    assert "pull requests from forks are not planned" in run.text()
    assert flow.pipeline_runs == [] and github_server.posts == []


def test_a_dry_run_shows_the_plan_and_dispatches_nothing(
    tmp_path: Path, aws_env: dict[str, str], github_server: Any
) -> None:
    flow = TwoRepos(World.make(tmp_path, aws_env), github_server)
    live = flow.world.live
    base = live.head()
    live.git("checkout", "-q", "-b", "change")
    live.append(f"{DEV}/vpc/terragrunt.hcl", "\n# a change\n")
    head = live.commit("a change")
    workflow = yaml_at(flow.world, head, ".github/workflows/gwpipelines.yml")
    [job] = workflow["jobs"].values()
    job["with"]["dry-run"] = True  # what a team trying gwpipelines out writes
    github = {"event_name": "pull_request", "event": pull_request_event(base, head, PR), "repository": LIVE_REPO,
              "sha": head, "ref": f"refs/pull/{PR}/merge", "token": "t", "actor": "octocat", "run_id": "9"}  # fmt: skip
    run = flow.world.runner.run(workflow, github=github, secrets={})
    assert run.conclusion == "success", run.text()
    assert flow.pipeline_runs == [] and github_server.posts == []
    outcomes = {s.name: s.outcome for s in run.log}
    assert outcomes["Show what would happen (dry run)"] == "success"
    assert outcomes["Dispatch to the pipelines repository and report"] == "skipped"
    outputs = run.jobs["gwpipelines"].outputs
    assert json.loads(outputs["changed-units"]) == [f"{DEV}/vpc"]
    assert json.loads(outputs["counts"]) == {"plan": 1}


def test_a_wave_fans_out_across_runners_and_the_comment_still_shows_every_unit(
    tmp_path: Path, aws_env: dict[str, str], github_server: Any
) -> None:
    """core.max_runners_per_wave: 3 in the pipelines repository: the three plans of the middle wave (bastion, mysql,
    redis: each needs only vpc) run on three legs of one run, each publishing its own results; the dispatcher
    reads them leg by leg (the merged artifact is not even served here) and the comment has every unit."""
    world = World.make(tmp_path, aws_env)
    config = world.pipelines.read("pipelines.yml")
    assert "max_runners_per_wave: 1\n" in config  # the template's default, shown
    world.pipelines.write("pipelines.yml", config.replace("max_runners_per_wave: 1\n", "max_runners_per_wave: 3\n", 1))
    world.pipelines.commit("three runners per wave")
    flow = TwoRepos(world, github_server)
    flow.merged_artifact = False
    live = world.live
    base = live.head()
    live.git("checkout", "-q", "-b", "change")
    live.write(f"{DEV}/env.hcl", live.read(f"{DEV}/env.hcl").replace("db.t4g.micro", "db.t4g.small"))
    head = live.commit("dev: bigger database")
    github_server.add_pull(LIVE_REPO, PR, head_sha=head, base_sha=base, head_ref="change")
    run = flow.live_run("pull_request", pull_request_event(base, head, PR), head, f"refs/pull/{PR}/merge")
    assert run.conclusion == "success", run.text()
    waves = {len(jobs): (jobs, r) for jobs, (_, r) in zip(flow.dispatched_jobs(), flow.pipeline_runs, strict=True)}
    middle_jobs, middle = waves[3]
    assert sorted(middle_jobs) == [f"plan:{DEV}/{u}" for u in ("bastion", "mysql", "redis")]
    shards = json.loads(middle.artifacts["gwpipelines-shards"]["shards.json"])
    assert [(leg["leg"], leg["account"], len(leg["jobs"])) for leg in shards["legs"]] == [
        (f"non-prod-{k}", "non-prod", 1) for k in (1, 2, 3)
    ]
    legs = sorted(name for name in middle.artifacts if name.startswith("gwpipelines-results-"))
    assert legs == [f"gwpipelines-results-non-prod-{k}" for k in (1, 2, 3)]
    assert sum(1 for job in middle.jobs if job.startswith("gwpipelines / execute")) == 1  # one matrix job, 3 legs
    assert sorted(results(middle)) == sorted(middle_jobs)  # the status job still merges them (the fallback)
    [comment] = github_server.comments(LIVE_REPO, PR)
    for unit in DEV_UNITS:
        assert f"| `{unit}` | plan | succeeded | +2 ~0 -0 |" in comment.body, unit
    assert "without a result" not in comment.body, comment.body
    # The next runs balance by what these took: the status jobs saved every planned unit's seconds.
    saved = [e for e in world.runner.caches.entries if e.key.startswith("gwpipelines-durations-")]
    assert len(saved) == 3  # one per run, each over the one before
    last = flow.pipeline_runs[-1][1].text()
    assert "Cache restored from key: gwpipelines-durations-" in last and "warning:" not in last
    durations = json.loads(next(iter(saved[-1].files.values())))
    assert set(durations) == set(DEV_UNITS) and all(0 <= s <= 21600 for s in durations.values())
