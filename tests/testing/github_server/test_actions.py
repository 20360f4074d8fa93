"""Workflows, dispatches, runs, jobs and artifacts through PyGithub, as the dispatcher uses them."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
import requests
from github import GithubException

from testing.github_server import Dispatch, GitHubServer, RunScript

PIPELINES = "acme/infrastructure-pipelines"
INPUTS = {"correlation_id": "c0ffee", "jobs": "[]", "live_repo": "acme/infrastructure-live", "pr": "7"}


@pytest.fixture
def server(github_server: GitHubServer) -> GitHubServer:
    github_server.add_repo(PIPELINES)
    github_server.add_workflow(PIPELINES, "pipelines.yml", inputs=INPUTS)
    return github_server


def test_dispatch_answers_run_details_and_the_run_completes_after_its_polls(server: GitHubServer) -> None:
    seen: list[Dispatch] = []
    server.on_dispatch = lambda d: seen.append(d) or RunScript(polls=2)  # type: ignore[func-returns-value]
    repo = server.client().get_repo(PIPELINES)
    run = repo.get_workflow("pipelines.yml").create_dispatch("main", INPUTS, return_run_details=True, throw=True)
    assert run.html_url.endswith(f"/actions/runs/{run.id}")
    assert seen == [Dispatch(PIPELINES, "pipelines.yml", "main", INPUTS, True, "github-actions[bot]")]
    states = [(r.status, r.conclusion) for r in (repo.get_workflow_run(run.id) for _ in range(4))]
    assert states == [("queued", None), ("in_progress", None), ("completed", "success"), ("completed", "success")]
    assert repo.get_workflow_run(run.id).display_title == "gwpipelines c0ffee"
    assert [p.operation_id for p in server.posts] == ["actions/create-workflow-dispatch"]


def test_204_server_is_found_by_run_name_in_the_runs_list(server: GitHubServer) -> None:
    server.dispatch_answer = 204
    server.on_dispatch = lambda d: RunScript(polls=0)
    workflow = server.client().get_repo(PIPELINES).get_workflow("pipelines.yml")
    assert workflow.create_dispatch("main", INPUTS, return_run_details=True, throw=True) is True
    workflow.create_dispatch("main", INPUTS | {"correlation_id": "other"}, throw=True)
    runs = list(workflow.get_runs(event="workflow_dispatch", branch="main", created=">=2000-01-01"))
    assert [r.display_title for r in runs] == ["gwpipelines other", "gwpipelines c0ffee"]
    assert list(workflow.get_runs(branch="release")) == []
    assert [r.display_title for r in workflow.get_runs(head_sha=runs[0].head_sha)] == [r.display_title for r in runs]


def test_without_return_run_details_github_answers_204(server: GitHubServer) -> None:
    workflow = server.client().get_repo(PIPELINES).get_workflow("pipelines.yml")
    assert workflow.create_dispatch("main", INPUTS, throw=True) is True


def test_dispatch_refuses_unknown_ref_and_undeclared_inputs(server: GitHubServer) -> None:
    workflow = server.client().get_repo(PIPELINES).get_workflow("pipelines.yml")
    with pytest.raises(GithubException) as unknown_ref:
        workflow.create_dispatch("nope", INPUTS, throw=True)
    assert unknown_ref.value.status == 422 and "No ref found for: nope" in str(unknown_ref.value)
    with pytest.raises(GithubException) as extra:
        workflow.create_dispatch("main", INPUTS | {"surprise": "1"}, throw=True)
    assert "Unexpected inputs provided: ['surprise']" in str(extra.value)
    assert server.runs(PIPELINES) == []


def test_failed_run_names_the_failing_job_and_step(server: GitHubServer) -> None:
    server.on_dispatch = lambda d: RunScript(
        conclusion="failure", polls=0, jobs=("plan", "apply"), failing_job="apply", failing_step="Check out"
    )
    repo = server.client().get_repo(PIPELINES)
    run = repo.get_workflow("pipelines.yml").create_dispatch("main", INPUTS, return_run_details=True, throw=True)
    run = repo.get_workflow_run(run.id)
    assert run.conclusion == "failure"
    jobs = {job.name: job for job in run.jobs()}
    assert jobs["plan"].conclusion == "success"
    assert jobs["apply"].conclusion == "failure"
    steps = [(s.name, s.conclusion) for s in jobs["apply"].steps]
    assert steps[:3] == [("Set up job", "success"), ("Check out", "failure"), ("Run gwpipelines execute", "skipped")]
    assert jobs["apply"].html_url.endswith(f"/actions/runs/{run.id}/job/{jobs['apply'].id}")


def test_jobs_of_a_running_run_have_no_conclusion(server: GitHubServer) -> None:
    server.on_dispatch = lambda d: RunScript(polls=5)
    repo = server.client().get_repo(PIPELINES)
    run = repo.get_workflow("pipelines.yml").create_dispatch("main", INPUTS, return_run_details=True, throw=True)
    run = repo.get_workflow_run(run.id)
    assert [(j.status, j.conclusion) for j in run.jobs()] == [("queued", None)]
    assert run.get_artifacts().totalCount == 0


def test_cancelled_run(server: GitHubServer) -> None:
    server.on_dispatch = lambda d: RunScript(conclusion="cancelled", polls=0)
    repo = server.client().get_repo(PIPELINES)
    run = repo.get_workflow("pipelines.yml").create_dispatch("main", INPUTS, return_run_details=True, throw=True)
    run = repo.get_workflow_run(run.id)
    assert (run.status, run.conclusion) == ("completed", "cancelled")
    assert {j.conclusion for j in run.jobs()} == {"cancelled"}


def test_a_run_that_never_appears(server: GitHubServer) -> None:
    server.dispatch_answer = 204
    server.on_dispatch = lambda d: RunScript(appears=False)
    workflow = server.client().get_repo(PIPELINES).get_workflow("pipelines.yml")
    assert workflow.create_dispatch("main", INPUTS, throw=True) is True
    assert workflow.get_runs().totalCount == 0
    with pytest.raises(GithubException) as missing:
        server.client().get_repo(PIPELINES).get_workflow_run(server.runs(PIPELINES)[0].id)
    assert missing.value.status == 404


def test_results_artifact_downloads_through_githubs_redirect(server: GitHubServer) -> None:
    results = json.dumps({"results": [{"id": "j1", "status": "succeeded"}]}).encode()
    server.on_dispatch = lambda d: RunScript(polls=0, files={"results.json": results})
    repo = server.client().get_repo(PIPELINES)
    run = repo.get_workflow("pipelines.yml").create_dispatch("main", INPUTS, return_run_details=True, throw=True)
    artifacts = list(repo.get_workflow_run(run.id).get_artifacts())
    assert [a.name for a in artifacts] == ["gwpipelines-results"]
    assert repo.get_artifact(artifacts[0].id).size_in_bytes == len(results)
    answer = requests.get(artifacts[0].archive_download_url, headers={"Authorization": "token t"}, timeout=5)
    assert [r.status_code for r in answer.history] == [302]
    assert zipfile.ZipFile(io.BytesIO(answer.content)).read("results.json") == results


def test_runs_list_is_paginated_with_link_headers(server: GitHubServer) -> None:
    server.dispatch_answer = 204
    workflow = server.client(per_page=2).get_repo(PIPELINES).get_workflow("pipelines.yml")
    for n in range(5):
        workflow.create_dispatch("main", INPUTS | {"correlation_id": f"c{n}"}, throw=True)
    titles = [r.display_title for r in workflow.get_runs()]
    assert titles == [f"gwpipelines c{n}" for n in reversed(range(5))]
    pages = [path for method, path in server.requests if path.endswith("/runs")]
    assert len(pages) == 3


def test_api_version_2026_03_10_always_answers_with_run_details(server: GitHubServer) -> None:
    answer = requests.post(
        f"{server.url}/repos/{PIPELINES}/actions/workflows/pipelines.yml/dispatches",
        json={"ref": "main", "inputs": INPUTS},
        headers={"Authorization": "token t", "X-GitHub-Api-Version": "2026-03-10"},
        timeout=5,
    )
    assert answer.status_code == 200
    assert answer.json()["workflow_run_id"] == server.runs(PIPELINES)[0].id
    assert answer.headers["X-GitHub-Api-Version-Selected"] == "2026-03-10"


def test_runs_filter_by_created_in_githubs_date_syntax(server: GitHubServer) -> None:
    server.dispatch_answer = 204
    workflow = server.client().get_repo(PIPELINES).get_workflow("pipelines.yml")
    workflow.create_dispatch("main", INPUTS, throw=True)
    created = server.runs(PIPELINES)[0].created_at
    day = created[:10]
    for expression, count in [
        (f">={created}", 1),
        (f">{created}", 0),
        (f"<={created}", 1),
        (f"<{day}", 0),
        (f"{day}..*", 1),
        (f"*..{day}", 0),
        (day, 1),
        ("2001-01-01", 0),
    ]:
        assert workflow.get_runs(created=expression).totalCount == count, expression
