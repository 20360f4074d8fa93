"""A run that fanned out across runners (issue 16 item 3): the dispatcher reads `gwpipelines-shards` and each leg's
`gwpipelines-results-<leg>`, takes from a leg only the results of the jobs the shards gave it (a plan leg runs
pull-request code: it must not forge another leg's results), and falls back to the merged `gwpipelines-results`
when a run has no shards (a pipelines repository on an older workflow)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from gwpipelines.dispatcher.batches import Target
from gwpipelines.dispatcher.loop import Dispatcher, DispatchOptions, Progress
from gwpipelines.models import Action, ChangeType, Job
from gwpipelines.models.results import Status
from testing.dispatch_harness import LIVE, PIPELINES, WORKFLOW, client, setup
from testing.github_server import GitHubServer
from testing.github_server.model import Dispatch, RunScript

TARGET = Target(PIPELINES, WORKFLOW, "main", LIVE, 7)
JOBS = [
    Job(f"plan:dev/u{i}", f"dev/u{i}", Action.PLAN, "a" * 40, "dev", (ChangeType.MODULE_CHANGED,)) for i in range(6)
]
LEGS = {
    "dev-1": ["plan:dev/u0", "plan:dev/u3"],
    "dev-2": ["plan:dev/u1", "plan:dev/u4"],
    "dev-3": ["plan:dev/u2", "plan:dev/u5"],
}


@pytest.fixture
def server(github_server: GitHubServer) -> Iterator[GitHubServer]:
    setup(github_server)
    yield github_server


def result(job_id: str, status: str = "succeeded", add: int = 1) -> dict[str, Any]:
    unit = job_id.partition(":")[2]
    summary = {"add": add, "change": 0, "destroy": 0, "replace": 0}
    return {
        "id": job_id,
        "unit": unit,
        "action": "plan",
        "status": status,
        "summary": summary,
        "log": f"planned {unit}",
    }


def results_file(*entries: dict[str, Any], notices: tuple[str, ...] = ()) -> dict[str, bytes]:
    return {"results.json": json.dumps({"results": list(entries), "notices": list(notices)}).encode()}


def shards_file(legs: dict[str, list[str]]) -> dict[str, bytes]:
    body = {
        "legs": [
            {"leg": leg, "account": "dev", "shard": i + 1, "jobs": ids} for i, (leg, ids) in enumerate(legs.items())
        ]
    }
    return {"shards.json": json.dumps(body).encode()}


def run_with(
    server: GitHubServer, artifacts: dict[str, dict[str, bytes]], merged: dict[str, bytes] | None = None
) -> Progress:
    def script(d: Dispatch) -> RunScript:
        return RunScript(conclusion="success", polls=0, files=merged or {}, artifacts=artifacts)

    server.on_dispatch = script
    opts = DispatchOptions(poll_interval=0.0, poll_max=0.0)
    return Dispatcher(client(server, "PIPELINES_DISPATCH_TOKEN"), TARGET, opts).run(JOBS)


def test_every_legs_results_are_merged(server: GitHubServer) -> None:
    artifacts = {"gwpipelines-shards": shards_file(LEGS)}
    for leg, ids in LEGS.items():
        artifacts[f"gwpipelines-results-{leg}"] = results_file(
            *(result(i) for i in ids), notices=(f"from {leg}", "all")
        )
    # The merged artifact the status job also publishes is not read when the shards say where each result is.
    progress = run_with(server, artifacts, results_file(*(result(j.id, "failed") for j in JOBS)))
    got = progress.results
    assert {i: r.status for i, r in got.items()} == {j.id: Status.SUCCEEDED for j in JOBS}
    assert got["plan:dev/u4"].log == "planned dev/u4"
    assert progress.notices == ["from dev-1", "all", "from dev-2", "from dev-3"]
    # The run's artifacts are listed once for all four files, each then downloaded once.
    listed = [p for m, p in server.requests if m == "GET" and p.endswith("/artifacts")]
    downloads = [p for m, p in server.requests if m == "GET" and "/artifacts/" in p]
    assert len(listed) == 1 and len(downloads) == 1 + len(LEGS)


def test_a_leg_cannot_forge_another_legs_results(server: GitHubServer) -> None:
    forged = [result(i, add=99) for i in LEGS["dev-1"]]  # dev-2 (pull-request code) claims dev-1's jobs
    artifacts = {
        "gwpipelines-shards": shards_file(LEGS),
        "gwpipelines-results-dev-1": results_file(*(result(i) for i in LEGS["dev-1"])),
        "gwpipelines-results-dev-2": results_file(*forged, *(result(i) for i in LEGS["dev-2"])),
        "gwpipelines-results-dev-3": results_file(*(result(i) for i in LEGS["dev-3"])),
    }
    got = run_with(server, artifacts).results
    assert all(r.status is Status.SUCCEEDED for r in got.values())
    assert [got[i].summary.add for i in LEGS["dev-1"]] == [1, 1]  # dev-1's own results, not the forged ones
    # Without its own leg's artifact, a job stays without a result: the forged one is still not taken.
    del artifacts["gwpipelines-results-dev-1"]
    got = run_with(server, artifacts).results
    for i in LEGS["dev-1"]:
        assert got[i].status is Status.FAILED and got[i].summary.add == 0
        assert "its leg dev-1 published no gwpipelines-results-dev-1 artifact" in got[i].failure
    assert got["plan:dev/u1"].status is Status.SUCCEEDED


def test_a_malformed_leg_fails_only_its_own_jobs(server: GitHubServer) -> None:
    artifacts = {
        "gwpipelines-shards": shards_file({**LEGS, "dev-3": []}),  # u2 in no leg
        "gwpipelines-results-dev-1": {"results.json": b"{not json"},
        "gwpipelines-results-dev-2": results_file(*(result(i) for i in LEGS["dev-2"])),
    }
    got = run_with(server, artifacts).results
    assert "results.json in gwpipelines-results-dev-1 is malformed" in got["plan:dev/u0"].failure
    assert got["plan:dev/u1"].status is Status.SUCCEEDED
    assert "no leg of gwpipelines-shards holds it" in got["plan:dev/u2"].failure
    assert got["plan:dev/u5"].status is Status.FAILED  # in no leg either


@pytest.mark.parametrize(
    "shards",
    [
        b"[]",
        b'{"legs": [{"leg": "../x", "jobs": []}]}',
        b'{"legs": [{"leg": "a", "jobs": ["j"]}, {"leg": "b", "jobs": ["j"]}]}',
    ],
)
def test_malformed_shards_fail_the_run_with_the_reason(server: GitHubServer, shards: bytes) -> None:
    artifacts = {"gwpipelines-shards": {"shards.json": shards}}
    got = run_with(server, artifacts, results_file(*(result(j.id) for j in JOBS))).results
    assert all(
        r.status is Status.FAILED and "shards.json in gwpipelines-shards is malformed" in r.failure
        for r in got.values()
    )


def test_without_shards_the_merged_artifact_is_read_as_before(server: GitHubServer) -> None:
    got = run_with(
        server,
        {"gwpipelines-results-dev": results_file(result(JOBS[0].id, "failed"))},
        results_file(*(result(j.id) for j in JOBS[:5])),
    ).results
    assert all(got[j.id].status is Status.SUCCEEDED for j in JOBS[:5])
    assert got[JOBS[5].id].failure == "the run ended success without a result"
