"""Git data and contents calls: enough to push a branch with files and open a pull request (the account factory)."""

from __future__ import annotations

import pytest
from github import GithubException, InputGitTreeElement

from testing.github_server import GitHubServer

LIVE = "acme/infrastructure-live"


@pytest.fixture
def server(github_server: GitHubServer) -> GitHubServer:
    github_server.add_repo(LIVE, files={"README.md": b"# live\n", "accounts.yml": b"accounts: {}\n"})
    return github_server


def test_push_a_branch_with_files_and_open_a_pull_request(server: GitHubServer) -> None:
    repo = server.client().get_repo(LIVE)
    main = repo.get_git_ref("heads/main")
    base_commit = repo.get_git_commit(main.object.sha)
    blob = repo.create_git_blob('include "root" {}\n', "utf-8")
    tree = repo.create_git_tree(
        [
            InputGitTreeElement("live/new-account/terragrunt.hcl", "100644", "blob", sha=blob.sha),
            InputGitTreeElement("live/new-account/account.hcl", "100644", "blob", content="locals {}\n"),
        ],
        base_tree=repo.get_git_tree(base_commit.tree.sha),
    )
    commit = repo.create_git_commit("Baseline for new-account", tree, [base_commit])
    repo.create_git_ref("refs/heads/gwpipelines/new-account", commit.sha)
    pull = repo.create_pull(base="main", head="gwpipelines/new-account", title="Baseline", body="by gwpipelines")

    assert server.files(LIVE, "gwpipelines/new-account") == {
        "README.md": b"# live\n",
        "accounts.yml": b"accounts: {}\n",
        "live/new-account/account.hcl": b"locals {}\n",
        "live/new-account/terragrunt.hcl": b'include "root" {}\n',
    }
    assert server.files(LIVE, "main") == {"README.md": b"# live\n", "accounts.yml": b"accounts: {}\n"}
    assert [(p.number, p.head_ref, p.head_sha) for p in server.pulls(LIVE)] == [
        (pull.number, "gwpipelines/new-account", commit.sha)
    ]
    assert [p.number for p in repo.get_pulls(head="acme:gwpipelines/new-account")] == [pull.number]
    listed = {e.path for e in repo.get_git_tree(commit.sha, recursive=True).tree}
    assert {"live", "live/new-account", "live/new-account/account.hcl"} <= listed


def test_the_same_pull_request_cannot_be_opened_twice(server: GitHubServer) -> None:
    repo = server.client().get_repo(LIVE)
    repo.create_git_ref("refs/heads/topic", repo.get_git_ref("heads/main").object.sha)
    repo.create_file("notes.txt", "add notes", "hello\n", branch="topic")
    repo.create_pull(base="main", head="topic", title="Topic")
    with pytest.raises(GithubException) as again:
        repo.create_pull(base="main", head="topic", title="Topic")
    assert again.value.status == 422 and "already exists" in str(again.value)
    with pytest.raises(GithubException) as twice:
        repo.create_git_ref("refs/heads/topic", repo.get_git_ref("heads/main").object.sha)
    assert twice.value.status == 422 and "Reference already exists" in str(twice.value)


def test_contents_create_read_update(server: GitHubServer) -> None:
    repo = server.client().get_repo(LIVE)
    created = repo.create_file("live/x/terragrunt.hcl", "add x", "inputs = {}\n")
    content = repo.get_contents("live/x/terragrunt.hcl")
    assert not isinstance(content, list) and content.decoded_content == b"inputs = {}\n"
    repo.update_file("live/x/terragrunt.hcl", "change x", "inputs = { a = 1 }\n", created["content"].sha)
    assert server.files(LIVE, "main")["live/x/terragrunt.hcl"] == b"inputs = { a = 1 }\n"
    with pytest.raises(GithubException) as stale:
        repo.update_file("live/x/terragrunt.hcl", "again", "inputs = {}\n", created["content"].sha)
    assert stale.value.status == 409
    with pytest.raises(GithubException) as missing:
        repo.get_contents("nope.txt")
    assert missing.value.status == 404


def test_a_ref_only_moves_forward_unless_forced(server: GitHubServer) -> None:
    repo = server.client().get_repo(LIVE)
    main = repo.get_git_ref("heads/main")
    first = main.object.sha
    second = repo.create_file("a.txt", "a", "a\n")["commit"].sha
    with pytest.raises(GithubException) as backwards:
        main.edit(first)
    assert "not a fast forward" in str(backwards.value)
    main.edit(first, force=True)
    assert repo.get_git_ref("heads/main").object.sha == first != second


def test_branch_and_commit_lookups(server: GitHubServer) -> None:
    repo = server.client().get_repo(LIVE)
    sha = repo.get_branch("main").commit.sha
    assert repo.get_commit(sha).sha == sha
    assert repo.get_commit("main").sha == sha
    with pytest.raises(GithubException) as unknown:
        repo.get_commit("f" * 40)
    assert unknown.value.status == 422
