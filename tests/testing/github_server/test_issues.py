"""Issue comments, issues and pull requests through PyGithub, as the reporter uses them."""

from __future__ import annotations

import pytest
from github import GithubException

from testing.github_server import GitHubServer

LIVE = "acme/infrastructure-live"
HEAD, BASE, MERGE = "a" * 40, "b" * 40, "c" * 40


@pytest.fixture
def server(github_server: GitHubServer) -> GitHubServer:
    github_server.add_repo(LIVE)
    github_server.add_pull(LIVE, 7, HEAD, BASE, "feature/vpc")
    github_server.add_pull(LIVE, 8, "d" * 40, BASE, "feature/old", merged_sha=MERGE)
    return github_server


def test_sticky_comment_is_created_once_then_edited_in_place(server: GitHubServer) -> None:
    issue = server.client().get_repo(LIVE).get_issue(7)
    comment = issue.create_comment("<!-- gwpipelines -->\nplanning")
    issue.get_comment(comment.id).edit("<!-- gwpipelines -->\ndone")
    assert [c.body for c in issue.get_comments()] == ["<!-- gwpipelines -->\ndone"]
    assert [c.body for c in server.comments(LIVE, 7)] == ["<!-- gwpipelines -->\ndone"]
    assert [p.operation_id for p in server.posts] == ["issues/create-comment", "issues/update-comment"]
    assert comment.html_url.endswith(f"/issues/7#issuecomment-{comment.id}")


def test_comments_list_is_paginated(server: GitHubServer) -> None:
    issue = server.client(per_page=3).get_repo(LIVE).get_issue(7)
    for n in range(7):
        issue.create_comment(f"comment {n}")
    assert [c.body for c in issue.get_comments()] == [f"comment {n}" for n in range(7)]
    assert len([p for m, p in server.requests if m == "GET" and p.endswith("/issues/7/comments")]) == 3


def test_comment_on_a_missing_issue_is_404(server: GitHubServer) -> None:
    with pytest.raises(GithubException) as missing:
        server.client().get_repo(LIVE).get_issue(99)
    assert missing.value.status == 404


def test_issues_filter_by_state_labels_and_creator_and_include_pulls_like_github(server: GitHubServer) -> None:
    repo = server.client().get_repo(LIVE)
    failed = repo.create_issue(
        "Apply failed: live/prod/vpc at cccccc",
        body="<!-- gwpipelines:apply -->",
        labels=["gwpipelines", "apply-failed"],
    )
    repo.create_issue("Unrelated", labels=["bug"])
    assert [i.number for i in repo.get_issues(labels=["gwpipelines"])] == [failed.number]
    assert [i.number for i in repo.get_issues(creator="someone-else")] == []
    assert {i.number for i in repo.get_issues(state="open")} == {failed.number, failed.number + 1, 7}
    assert [i.pull_request is not None for i in repo.get_issues(state="open") if i.number == 7] == [True]
    failed.edit(state="closed", body="fixed")
    assert [i.number for i in repo.get_issues(state="closed", labels=["apply-failed"])] == [failed.number]
    assert repo.get_issue(failed.number).state == "closed"
    assert [i.title for i in server.issues(LIVE)] == ["Apply failed: live/prod/vpc at cccccc", "Unrelated"]
    assert failed.number == 9  # issues and pull requests share one counter, as on GitHub


def test_pulls_and_the_pulls_of_a_commit(server: GitHubServer) -> None:
    repo = server.client().get_repo(LIVE)
    assert [p.number for p in repo.get_pulls()] == [7]
    assert [p.number for p in repo.get_pulls(state="all")] == [8, 7]
    assert repo.get_pull(7).head.sha == HEAD
    assert [p.number for p in repo.get_commit(MERGE).get_pulls()] == [8]
    assert repo.get_pull(8).merged and repo.get_pull(8).merge_commit_sha == MERGE
    assert [p.number for p in repo.get_pulls(head="acme:feature/vpc")] == [7]


def test_bodies_over_githubs_limit_are_refused_like_github(server: GitHubServer) -> None:
    issue = server.client().get_repo(LIVE).get_issue(7)
    comment = issue.create_comment("x" * 65_536)
    with pytest.raises(GithubException) as too_long:
        issue.create_comment("x" * 65_537)
    assert too_long.value.status == 422 and "maximum is 65536 characters" in str(too_long.value)
    with pytest.raises(GithubException):
        comment.edit("y" * 65_537)
    assert [len(c.body) for c in server.comments(LIVE, 7)] == [65_536]
    with pytest.raises(GithubException) as long_title:
        server.client().get_repo(LIVE).create_issue("t" * 257)
    assert "title is too long" in str(long_title.value)


def test_tokens_name_the_actor_and_writes_need_one(server: GitHubServer) -> None:
    server.tokens = {"bot-token": "gwpipelines[bot]", "human-token": "octocat"}
    server.client("bot-token").get_repo(LIVE).create_issue("by the bot")
    server.client("human-token").get_repo(LIVE).create_issue("by a human")
    assert [i.user for i in server.issues(LIVE)] == ["gwpipelines[bot]", "octocat"]
    human = server.client("human-token").get_repo(LIVE)
    assert [i.title for i in human.get_issues(creator="gwpipelines[bot]")] == ["by the bot"]
    with pytest.raises(GithubException) as unknown:
        server.client("stolen").get_repo(LIVE).create_issue("no")
    assert unknown.value.status == 401
