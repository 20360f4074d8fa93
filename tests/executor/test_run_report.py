"""`gwpipelines run --live-repo --pr` (single-repo mode) reports like the dispatcher: one sticky comment, updated
in place on a re-run; checked against the local GitHub API server."""

from __future__ import annotations

from pathlib import Path

from testing.cli import run
from testing.executor_fixtures import FAST_CONFIG, Standin, write_config
from testing.github_server import GitHubServer
from testing.gitrepo import GitRepo

LIVE = "acme/infrastructure-live"
DEV = "non-prod/us-east-1/dev"


def test_pull_request_run_posts_one_sticky_comment(
    dev_live: GitRepo, tmp_path: Path, standin: Standin, github_server: GitHubServer
) -> None:
    base = dev_live.head()
    dev_live.git("checkout", "-q", "-b", "bigger-db")
    dev_live.write(f"{DEV}/env.hcl", dev_live.read(f"{DEV}/env.hcl").replace("db.t4g.micro", "db.t4g.small"))
    head = dev_live.commit("dev: bigger database")
    github_server.add_repo(LIVE)
    github_server.add_pull(LIVE, 7, head_sha=head, base_sha=base, head_ref="bigger-db")
    standin.monkeypatch.setenv("GITHUB_API_URL", github_server.url)
    standin.monkeypatch.setenv("GITHUB_TOKEN", "live-token")
    cfg = write_config(tmp_path / "pipelines.yml", FAST_CONFIG)
    args = ["--repo", str(dev_live.path), "--base", base, "--head", head, "--event", "pull_request"]
    args += ["--config", str(cfg), "--live-repo", LIVE, "--pr", "7", "--format", "json"]
    first = run("run", *args, "--results-dir", str(tmp_path / "r1"))
    assert first.code == 0, first.err
    out = first.json()
    assert out["comment_url"] and out["issue_urls"] == []
    assert {r["status"] for r in out["results"]} == {"succeeded"}
    (comment,) = github_server.comments(LIVE, 7)
    assert f"{DEV}/mysql" in comment.body and "<!-- gwpipelines" in comment.body
    again = run("run", *args, "--results-dir", str(tmp_path / "r2"))
    assert again.code == 0, again.err
    assert len(github_server.comments(LIVE, 7)) == 1  # updated in place, never duplicated


def test_pr_needs_the_live_repo(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    res = run(
        "run",
        "--repo",
        str(dev_live.path),
        "--base",
        "HEAD~1",
        "--head",
        "HEAD",
        "--event",
        "pull_request",
        "--pr",
        "3",
    )
    assert res.code == 2 and "--pr: give --live-repo" in res.err
