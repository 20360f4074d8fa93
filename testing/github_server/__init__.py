"""A local GitHub REST API server for tests, held to GitHub's OpenAPI description (see server.py).

Use it through the `github_server` fixture (tests/github_fixtures.py)::

    def test_dispatch(github_server):
        github_server.add_repo("acme/infrastructure-pipelines")
        github_server.add_workflow("acme/infrastructure-pipelines", "pipelines.yml")  # run-name carries correlation_id
        github_server.on_dispatch = lambda d: RunScript(conclusion="failure", polls=2, failing_job="execute",
                                                        files={"results.json": b'{"results": []}'})
        github_server.faults.error("POST", "/repos/*/issues/*/comments", 502, after=True)
        gh = github_server.client()          # PyGithub, throttling and retries off; or GITHUB_API_URL=github_server.url
        ...
        assert len(github_server.posts_to("issues/create-comment")) == 1

- Runs: each read of a run (GET run or a runs list) moves it queued -> in_progress -> completed after `polls`
  not-completed reads; the artifact (`gwpipelines-results` by default) appears when it completes; its download is a
  302 to `/_blobs/...` on the same server, as GitHub redirects to blob storage.
- `dispatch_answer`: 200 (github.com: run details when the body asks `return_run_details`, else 204) or 204 (older
  GitHub Enterprise Server: always 204).
- `tokens` ({token: login}) makes authentication strict; empty, any token acts as `github-actions[bot]`.
- A request or response that breaks the description is answered 422 / 500 at once and fails the test at teardown.
"""

from testing.github_server.faults import Fault, Faults
from testing.github_server.handlers import zip_bytes
from testing.github_server.model import Dispatch, RunScript
from testing.github_server.server import GitHubServer, Received

__all__ = ["Dispatch", "Fault", "Faults", "GitHubServer", "Received", "RunScript", "zip_bytes"]
