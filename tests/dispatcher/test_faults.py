"""Every fault the GitHub test server injects ends in success after a bounded retry, or in one clear error; never in a
duplicate side effect (the server counts what reached it: `posts`, runs, comments, issues)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from gwpipelines.dispatcher.batches import Target
from gwpipelines.dispatcher.loop import Dispatcher, DispatchOptions
from gwpipelines.github.client import GitHubAccessError, GitHubError
from gwpipelines.models import Action, ChangeType, Job
from gwpipelines.models.results import Status
from testing.dispatch_harness import LIVE, PIPELINES, WORKFLOW, FakeClock, Pipelines, client, setup
from testing.dispatch_harness import dispatch as dispatch_cli
from testing.github_server import GitHubServer
from testing.github_server.handlers import zip_bytes
from testing.github_server.model import Dispatch, RunScript

DISPATCHES = f"/repos/{PIPELINES}/actions/workflows/{WORKFLOW}/dispatches"
COMMENTS = f"/repos/{LIVE}/issues/7/comments"
TARGET = Target(PIPELINES, WORKFLOW, "main", LIVE, 7)
INPUTS = {"correlation_id": "cid-1", "jobs": "[]", "live_repo": LIVE, "pr": "7"}


@pytest.fixture
def server(github_server: GitHubServer) -> Iterator[GitHubServer]:
    setup(github_server)
    yield github_server


def jobs(n: int = 2) -> list[Job]:
    return [Job(f"plan:u{i}", f"u{i}", Action.PLAN, "a" * 40, "dev", (ChangeType.MODULE_CHANGED,)) for i in range(n)]


def dispatcher(server: GitHubServer, **options: float) -> Dispatcher:
    opts = DispatchOptions(**{"poll_interval": 0.0, "poll_max": 0.0, **options})  # type: ignore[arg-type]
    return Dispatcher(client(server, "PIPELINES_DISPATCH_TOKEN"), TARGET, opts)


# --- dispatch POST ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("after", [False, True], ids=["refused", "applied-then-502"])
def test_dispatch_502_is_reconciled_never_duplicated(server: GitHubServer, after: bool) -> None:
    Pipelines(server)
    server.faults.error("POST", DISPATCHES, 502, after=after)
    run = client(server).dispatch(PIPELINES, WORKFLOW, "main", INPUTS)
    assert run is not None and run.display_title == "gwpipelines cid-1"
    assert len(server.runs(PIPELINES)) == 1  # one run, whichever way the 502 fell
    assert len(server.posts_to("actions/create-workflow-dispatch")) == 1


def test_dispatch_slower_than_the_timeout_is_found_not_repeated(server: GitHubServer) -> None:
    Pipelines(server)
    server.faults.slow("POST", DISPATCHES, seconds=2.5)
    slept: list[float] = []
    run = client(server, sleep=slept.append).dispatch(PIPELINES, WORKFLOW, "main", INPUTS)
    assert slept[:1] == [2]  # the request was given as long again (the client's timeout) before looking for it
    assert run is not None and len(server.runs(PIPELINES)) == 1
    assert len(server.posts_to("actions/create-workflow-dispatch")) == 1


@pytest.mark.parametrize("status", [403, 429])
def test_primary_rate_limit_waits_for_the_reset_capped(server: GitHubServer, status: int) -> None:
    Pipelines(server)
    server.faults.primary_rate_limit("POST", DISPATCHES, status=status, reset_in=3600)
    slept: list[float] = []
    run = client(server, sleep=slept.append, max_wait=0.5).dispatch(PIPELINES, WORKFLOW, "main", INPUTS)
    assert run is not None and slept == [0.5]  # an hour's reset, capped at max_wait
    assert len(server.runs(PIPELINES)) == 1


def test_secondary_rate_limit_honours_retry_after_capped(server: GitHubServer) -> None:
    server.faults.secondary_rate_limit("POST", COMMENTS, retry_after=120, times=2)
    slept: list[float] = []
    gh = client(server, sleep=slept.append, max_wait=0.2)
    comment = gh.create_comment(LIVE, 7, "<!-- m -->\nhello", is_ours=lambda c: "<!-- m -->" in c.body)
    assert slept == [0.2, 0.2] and comment.body.endswith("hello")
    assert len(server.comments(LIVE, 7)) == 1


def test_rate_limit_past_the_deadline_is_one_clear_error(server: GitHubServer) -> None:
    server.faults.secondary_rate_limit("POST", COMMENTS, retry_after=120, times=1)
    gh = client(server, sleep=lambda s: None, max_wait=60.0, deadline=5.0)
    with pytest.raises(GitHubError, match=r"commenting on #7 .*rate limit.*would pass the 5s deadline"):
        gh.create_comment(LIVE, 7, "x", is_ours=lambda c: False)
    assert server.comments(LIVE, 7) == []


# --- comments and issues ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
@pytest.mark.parametrize("after", [False, True], ids=["refused", "applied"])
def test_comment_5xx_never_duplicates(server: GitHubServer, status: int, after: bool) -> None:
    server.faults.error("POST", COMMENTS, status, after=after)
    gh = client(server)
    gh.create_comment(LIVE, 7, "<!-- m -->\nbody", is_ours=lambda c: "<!-- m -->" in c.body)
    assert len(server.comments(LIVE, 7)) == 1
    assert len(server.posts_to("issues/create-comment")) == 1


def test_issue_created_once_when_the_answer_is_lost(server: GitHubServer) -> None:
    server.faults.error("POST", f"/repos/{LIVE}/issues", 500, after=True)
    gh = client(server)
    issue = gh.create_issue(LIVE, "t", "<!-- k -->\nbody", marker="<!-- k -->")
    assert issue.title == "t" and len(server.issues(LIVE)) == 1


def test_persistent_5xx_on_a_read_gives_up_after_the_bounded_attempts(server: GitHubServer) -> None:
    server.faults.error("GET", COMMENTS, 503, times=100)
    with pytest.raises(
        GitHubError, match=r"listing comments on #7 .*503 Service Unavailable; gave up after 4 attempts"
    ):
        client(server).comments(LIVE, 7)
    assert sum(1 for m, p in server.requests if m == "GET" and p == COMMENTS) == 4


def test_slow_read_is_retried(server: GitHubServer) -> None:
    server.faults.slow("GET", COMMENTS, seconds=2.5)
    assert client(server).comments(LIVE, 7) == []


def test_missing_access_names_the_permission_and_the_token(server: GitHubServer) -> None:
    with pytest.raises(GitHubAccessError) as e:
        client(server, "PIPELINES_DISPATCH_TOKEN").dispatch("acme/missing", WORKFLOW, "main", INPUTS)
    assert "404" in str(e.value) and "PIPELINES_DISPATCH_TOKEN needs actions: write on acme/missing" in str(e.value)
    assert e.value.exit_code == 2


# --- runs: 204, never appears, cancelled, failed, lost ------------------------------------------------------------


def test_204_answer_finds_the_run_by_its_run_name(server: GitHubServer) -> None:
    Pipelines(server)
    server.dispatch_answer = 204
    progress = dispatcher(server).run(jobs())
    assert [r.status for r in progress.results.values()] == [Status.SUCCEEDED] * 2
    assert progress.runs[0].run_id == server.runs(PIPELINES)[0].id


def test_run_that_never_appears_fails_its_jobs_with_one_reason(server: GitHubServer) -> None:
    Pipelines(server, script=lambda d: RunScript(appears=False))
    server.dispatch_answer = 204
    progress = dispatcher(server, appear_timeout=0.05).run(jobs())
    assert {r.status for r in progress.results.values()} == {Status.FAILED}
    assert all("never appeared" in r.failure and "run-name" in r.failure for r in progress.results.values())
    assert progress.runs[0].conclusion == "never_started"
    assert len(server.posts_to("actions/create-workflow-dispatch")) == 1


def test_cancelled_run(server: GitHubServer) -> None:
    Pipelines(server, script=lambda d: RunScript(conclusion="cancelled", polls=2))
    progress = dispatcher(server).run(jobs())
    assert progress.runs[0].conclusion == "cancelled"
    assert all(r.status is Status.FAILED and "ended cancelled" in r.failure for r in progress.results.values())


def test_failed_run_without_results_links_the_failing_step(server: GitHubServer) -> None:
    Pipelines(server, script=lambda d: RunScript(conclusion="failure", failing_job="execute",
                                                 failing_step="Run gwpipelines execute"))  # fmt: skip
    progress = dispatcher(server).run(jobs())
    assert all("no gwpipelines-results artifact" in r.failure for r in progress.results.values())
    assert all("#step:3:1" in link for link in progress.links.values()), progress.links


def test_failing_step_link_lost_to_errors_still_reports_the_results(server: GitHubServer) -> None:
    Pipelines(server, script=lambda d: RunScript(conclusion="failure", failing_job="execute",
                                                 failing_step="Run gwpipelines execute"))  # fmt: skip
    server.faults.error("GET", f"/repos/{PIPELINES}/actions/runs/*/jobs*", 502, times=100)
    progress = dispatcher(server).run(jobs())
    # The run's own outcome is reported, not "lost track": only the deep link fell back to the run.
    assert all("no gwpipelines-results artifact" in r.failure for r in progress.results.values())
    assert all("/actions/runs/" in link and "#step" not in link for link in progress.links.values()), progress.links


def test_run_lost_to_persistent_errors_fails_only_its_jobs(server: GitHubServer) -> None:
    Pipelines(server)
    wave = [*jobs(1), Job("plan:w1", "w1", Action.PLAN, "a" * 40, "dev", (), 1, ("plan:u0",))]
    server.faults.error("GET", f"/repos/{PIPELINES}/actions/runs/*", 502, times=100)
    progress = dispatcher(server).run(wave)
    assert progress.results["plan:u0"].status is Status.FAILED and "lost track" in progress.results["plan:u0"].failure
    assert progress.results["plan:w1"].status is Status.SKIPPED  # its need failed: never dispatched
    assert len(server.runs(PIPELINES)) == 1


def test_run_deadline(server: GitHubServer) -> None:
    Pipelines(server, script=lambda d: RunScript(polls=10_000))
    progress = dispatcher(server, run_timeout=0.05).run(jobs(1))
    assert (
        progress.runs[0].conclusion == "timed_out" and "did not complete within" in progress.results["plan:u0"].failure
    )


def test_max_parallel_runs_and_per_job_batches(server: GitHubServer) -> None:
    pipelines = Pipelines(server, polls=2)
    from gwpipelines.dispatcher.batches import Granularity

    opts = DispatchOptions(granularity=Granularity.JOB, max_parallel_runs=2, poll_interval=0.0, poll_max=0.0)
    progress = Dispatcher(client(server), TARGET, opts).run(jobs(5))
    assert len(pipelines.seen) == 5 and all(len(s) == 1 for s in pipelines.seen)
    assert {r.status for r in progress.results.values()} == {Status.SUCCEEDED}
    # never more than two runs in flight: each dispatch comes after enough runs completed
    assert max(_in_flight(server)) <= 2


def _in_flight(server: GitHubServer) -> list[int]:
    """How many runs were dispatched but not yet seen completed, at each dispatch (from the server's request log)."""
    counts, open_runs = [], 0
    done: set[str] = set()
    for method, path in server.requests:
        if method == "POST" and path == DISPATCHES:
            open_runs += 1
            counts.append(open_runs)
        elif method == "GET" and path.endswith("/artifacts") and path not in done:
            done.add(path)
            open_runs -= 1
    return counts


def test_artifact_with_garbage_results(server: GitHubServer) -> None:
    Pipelines(server, script=lambda d: RunScript(files={"results.json": b"{not json"}))
    progress = dispatcher(server).run(jobs(1))
    assert "results.json in gwpipelines-results is malformed" in progress.results["plan:u0"].failure
    assert json.loads(json.dumps(progress.runs[0].to_json()))["conclusion"] == "success"


# --- artifact faults: failed results, the report goes on, later waves follow the failure rules -----------------------


def _results_zip(payload: object) -> dict[str, bytes]:
    return {"results.json": json.dumps(payload).encode()}


def _entry(job: dict[str, object], **over: object) -> dict[str, object]:
    return {"id": job["id"], "unit": job["unit"], "action": job["action"], "status": "succeeded", **over}


PUSH_SHA = "e" * 40
PUSH_JOBS = [
    {"id": "apply:u0", "unit": "u0", "action": "apply", "ref": PUSH_SHA, "account": "dev",
     "change_types": ["ModuleChanged"], "wave": 0, "needs": []},
    {"id": "apply:w1", "unit": "w1", "action": "apply", "ref": PUSH_SHA, "account": "dev",
     "change_types": ["ModuleChanged"], "wave": 1, "needs": ["apply:u0"]},
]  # fmt: skip
DEEP: object = []
for _ in range(50):
    DEEP = [DEEP]
FAULTS = {
    "truncated-zip": (
        RunScript(files=_results_zip({}), archive=zip_bytes(_results_zip({}))[:-30]),
        "not a readable zip",
    ),
    "not-a-zip": (RunScript(files=_results_zip({}), archive=b"<html>502</html>"), "not a readable zip"),
    "wrong-types": (
        RunScript(files=_results_zip({"results": [_entry(PUSH_JOBS[0], summary={"add": "lots"})]})),
        "invalid entry for apply:u0",
    ),
    "deep-nesting": (
        RunScript(files=_results_zip({"results": [_entry(PUSH_JOBS[0], outputs={"x": DEEP})]})),
        "nested deeper than",
    ),
    "forged-unit": (
        RunScript(files=_results_zip({"results": [_entry(PUSH_JOBS[0], unit="prod/db")]})),
        "it claims 'apply' of 'prod/db'",
    ),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_every_artifact_fault_fails_its_jobs_skips_dependents_and_opens_the_issue(
    env: GitHubServer, tmp_path: Path, fault: str
) -> None:
    setup(env)
    script, why = FAULTS[fault]
    Pipelines(env, script=lambda d: script)
    result = dispatch_cli(tmp_path, PUSH_JOBS, "--sha", PUSH_SHA)
    assert result.code == 1, result.err  # a failed job, not a crash (3)
    out = result.json()
    assert len(out["runs"]) == 1 and len(env.dispatches) == 1  # wave 1 depends on the failure: never dispatched
    [issue] = env.issues(LIVE)
    assert issue.title.startswith("gwpipelines: apply of u0 failed") and out["issue_urls"] == [
        f"https://github.com/{LIVE}/issues/{issue.number}"
    ]
    assert why in re.sub(r"\\(.)", r"\1", issue.body or "")  # as it renders: markdown escapes removed
    assert "1 job(s) failed (apply:u0); 1 skipped" in result.err


# --- correlation: any run-name holding the id, the oldest run after the dispatch, ties refused --------------------


def _plant(server: GitHubServer, correlation_id: str, created_at: str) -> None:
    """Someone else's run whose title holds `correlation_id` (dispatched with another token)."""
    server.tokens = {"test-token": "github-actions[bot]", "mallory-token": "mallory"}
    workflow = server.client("mallory-token").get_repo(PIPELINES).get_workflow(WORKFLOW)
    workflow.create_dispatch("main", {**INPUTS, "correlation_id": correlation_id}, throw=True)
    server.runs(PIPELINES)[-1].created_at = created_at


def test_a_run_name_with_more_than_the_id_is_found_and_others_runs_are_not_taken(server: GitHubServer) -> None:
    title = "Plan PR #${{ inputs.pr }}: gwpipelines ${{ inputs.correlation_id }} ok"
    server.add_workflow(PIPELINES, WORKFLOW, run_name=title, inputs=("correlation_id", "jobs", "live_repo", "pr"))
    pipelines = Pipelines(server)
    server.dispatch_answer = 204
    cid = "feedc0ffee00-wave-0"
    _plant(server, cid, "2001-01-01T00:00:00Z")  # long before the dispatch: not ours
    _plant(server, cid + "a", model_now(seconds=-1))  # a longer id that merely starts with ours
    _plant(server, cid, model_now(seconds=30))  # started after ours by someone who saw the id
    planted = {r.id for r in server.runs(PIPELINES)}
    d = Dispatcher(client(server, "PIPELINES_DISPATCH_TOKEN"), TARGET, DispatchOptions(poll_interval=0, poll_max=0),
                   new_id=lambda: "feedc0ffee00")  # fmt: skip
    progress = d.run(jobs())
    [ours] = [r for r in server.runs(PIPELINES) if r.id not in planted]
    assert progress.runs[0].run_id == ours.id and ours.display_title == f"Plan PR #7: gwpipelines {cid} ok"
    assert {r.status for r in progress.results.values()} == {Status.SUCCEEDED}
    assert len(pipelines.seen) == 4  # three planted, one ours: never dispatched twice


def test_two_runs_with_the_id_created_together_are_refused() -> None:
    from datetime import UTC, datetime

    from gwpipelines.errors import CorrelationError
    from gwpipelines.github.correlation import carries, pick

    at = datetime(2026, 12, 3, 8, 0, 0, tzinfo=UTC)
    runs = [(1, "gwpipelines abc-wave-0", at, "u1"), (2, "by hand: abc-wave-0", at, "u2")]
    with pytest.raises(CorrelationError, match=r"two runs carry correlation id abc-wave-0.*u1, u2.*cancel both"):
        pick(runs, "abc-wave-0", at)
    later = [(1, "gwpipelines abc-wave-0", at, "u1"), (2, "x abc-wave-0", at.replace(second=5), "u2")]
    assert pick(later, "abc-wave-0", at) == 1 and pick(later, "abc-wave-1", at) is None
    assert carries("[abc-wave-0]", "abc-wave-0") and not carries("abc-wave-0a", "abc-wave-0")
    assert not carries("xabc-wave-0", "abc-wave-0")


def model_now(seconds: int) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- polling: a finished run is noticed within ~15 s, one GET per poll per run ----------------------------------------


@pytest.mark.parametrize("answer", [200, 204])
def test_a_five_wave_pull_request_waits_at_most_15s_per_wave_beyond_its_runs(server: GitHubServer, answer: int) -> None:
    clock = FakeClock()
    server.clock = clock
    server.dispatch_answer = answer
    durations = [95.0, 40.0, 300.0, 12.0, 61.0]  # how long each wave's run takes on the runner
    Pipelines(server, script=lambda d: _timed(d, durations))
    wave_jobs = [Job(f"plan:w{w}", f"w{w}", Action.PLAN, "a" * 40, "dev", (ChangeType.MODULE_CHANGED,), w,
                     (f"plan:w{w - 1}",) if w else ()) for w in range(5)]  # fmt: skip
    opts = DispatchOptions(poll_interval=10.0, poll_max=15.0)
    d = Dispatcher(client(server, "PIPELINES_DISPATCH_TOKEN"), TARGET, opts, sleep=clock.sleep, clock=clock)
    progress = d.run(wave_jobs)
    assert {r.status for r in progress.results.values()} == {Status.SUCCEEDED}
    assert clock.now - sum(durations) <= 15.0 * len(durations)
    listings = [p for m, p in server.requests if m == "GET" and p.endswith(f"/workflows/{WORKFLOW}/runs")]
    # After a 204 the first poll is the listing that finds the run (it says how the run is doing), once per run.
    assert len(listings) == (len(durations) if answer == 204 else 0)
    for run, seconds in zip(server.runs(PIPELINES), durations, strict=True):
        reads = [p for m, p in server.requests if m == "GET" and p.rstrip("/").endswith(f"/actions/runs/{run.id}")]
        # One GET per poll (10 s, then 15 s apart; none at the moment of the dispatch), and nothing more.
        expected = 1 + math.ceil(max(0.0, seconds - 10.0) / 15.0)
        assert len(reads) + (answer == 204) == expected, (seconds, len(reads), expected)


def _timed(dispatch: Dispatch, durations: list[float]) -> RunScript:
    jobs = json.loads(dispatch.inputs["jobs"])
    results = [{"id": j["id"], "unit": j["unit"], "action": j["action"], "status": "succeeded"} for j in jobs]
    return RunScript(seconds=durations[jobs[0]["wave"]], files=_results_zip({"results": results}))
