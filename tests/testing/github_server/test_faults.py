"""The fault injector: GitHub's bad days, shaped as GitHub sends them, for a method + path, N times."""

from __future__ import annotations

import time

import pytest
import requests
from github import GithubException, GithubRetry, RateLimitExceededException

from testing.github_server import GitHubServer

LIVE = "acme/infrastructure-live"
COMMENTS = "/repos/acme/infrastructure-live/issues/7/comments"


@pytest.fixture
def server(github_server: GitHubServer) -> GitHubServer:
    github_server.add_repo(LIVE)
    github_server.add_pull(LIVE, 7, "a" * 40, "b" * 40, "feature")
    return github_server


def _post_comment(server: GitHubServer, body: str = "hi") -> requests.Response:
    return requests.post(
        f"{server.url}{COMMENTS}", json={"body": body}, headers={"Authorization": "token t"}, timeout=5
    )


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_fire_n_times_then_the_request_goes_through(server: GitHubServer, status: int) -> None:
    server.faults.error("POST", "/repos/*/issues/*/comments", status, times=2)
    assert [_post_comment(server).status_code for _ in range(3)] == [status, status, 201]
    assert [c.body for c in server.comments(LIVE, 7)] == ["hi"]
    assert len(server.posts) == 1  # refused before the handler: no side effect, nothing recorded


def test_an_error_after_the_side_effect_makes_a_blind_retry_duplicate_and_posts_show_it(server: GitHubServer) -> None:
    # PyGithub's default GithubRetry retries POST on 5xx: exactly the duplicate the dispatcher must avoid.
    server.faults.error("POST", COMMENTS, 502, after=True)
    client = server.client(retry=GithubRetry(total=2, backoff_factor=0))
    client.get_repo(LIVE).get_issue(7).create_comment("sticky")
    assert [c.body for c in server.comments(LIVE, 7)] == ["sticky", "sticky"]
    assert len(server.posts_to("issues/create-comment")) == 2


def test_secondary_rate_limit_is_403_with_retry_after(server: GitHubServer) -> None:
    server.faults.secondary_rate_limit("POST", COMMENTS, retry_after=7)
    answer = _post_comment(server)
    assert answer.status_code == 403
    assert answer.headers["Retry-After"] == "7"
    assert "secondary rate limit" in answer.json()["message"]
    server.faults.secondary_rate_limit("POST", COMMENTS)
    issue = server.client().get_repo(LIVE).get_issue(7)
    with pytest.raises(RateLimitExceededException):
        issue.create_comment("x")
    assert server.comments(LIVE, 7) == []


@pytest.mark.parametrize("status", [403, 429])
def test_primary_rate_limit_has_no_remaining_and_a_reset_time(server: GitHubServer, status: int) -> None:
    server.faults.primary_rate_limit("GET", "/repos/*", status=status, reset_in=30)
    answer = requests.get(f"{server.url}/repos/{LIVE}", timeout=5)
    assert answer.status_code == status
    assert answer.headers["X-RateLimit-Remaining"] == "0"
    assert 25 <= int(answer.headers["X-RateLimit-Reset"]) - time.time() <= 31
    server.faults.primary_rate_limit("GET", "/repos/*", status=status)
    with pytest.raises(GithubException) as limited:  # PyGithub raises RateLimitExceededException for the 403 only
        server.client().get_repo(LIVE)
    assert limited.value.status == status


def test_a_slow_answer_outlasts_the_client_timeout_but_the_request_still_happens(server: GitHubServer) -> None:
    server.faults.slow("POST", COMMENTS, seconds=1.0)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(
            f"{server.url}{COMMENTS}", json={"body": "late"}, headers={"Authorization": "token t"}, timeout=0.3
        )
    assert time.monotonic() - started < 0.9
    deadline = time.monotonic() + 3
    while not server.comments(LIVE, 7) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [c.body for c in server.comments(LIVE, 7)] == ["late"]


def test_faults_only_match_their_method_and_path(server: GitHubServer) -> None:
    server.faults.error("POST", "/repos/*/issues", 500)
    assert requests.get(f"{server.url}{COMMENTS}", timeout=5).status_code == 200
    assert _post_comment(server).status_code == 201
    fault = next(iter(server.faults))
    assert fault.hits == 0


def test_fault_parameters_are_bounded(server: GitHubServer) -> None:
    with pytest.raises(ValueError, match="500, 502 or 503"):
        server.faults.error("GET", "/x", 404)
    with pytest.raises(ValueError, match="403 or 429"):
        server.faults.primary_rate_limit("GET", "/x", status=500)
    with pytest.raises(ValueError, match=r"seconds <= 3\.0"):
        server.faults.slow("GET", "/x", seconds=30)
