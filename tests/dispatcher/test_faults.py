"""Every fault the GitHub test server injects ends in success after a bounded retry, or in one clear error; never in a
duplicate side effect (the server counts what reached it: `posts`, runs, comments, issues)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from gwpipelines.dispatcher.batches import Target
from gwpipelines.dispatcher.loop import Dispatcher, DispatchOptions
from gwpipelines.github.client import GitHubAccessError, GitHubError
from gwpipelines.models import Action, ChangeType, Job
from gwpipelines.models.results import Status
from testing.dispatch_harness import LIVE, PIPELINES, WORKFLOW, Pipelines, client, setup
from testing.github_server import GitHubServer
from testing.github_server.model import RunScript

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
