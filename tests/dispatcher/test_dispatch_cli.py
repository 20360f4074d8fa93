"""`orchestrate | dispatch` end to end: the demo's realistic change, dispatched into the local GitHub server, whose
pipelines workflow completes each run with a results.json artifact; one sticky comment lists every unit."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testing.cli import run
from testing.dispatch_harness import LIVE, PIPELINES, Pipelines, dispatch, normalise, setup
from testing.github_server import GitHubServer
from testing.golden import assert_golden
from tests.e2e.test_demo import demo

PR = 12


@pytest.fixture(scope="module")
def demo_orchestrations(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    repo = tmp_path_factory.mktemp("demo") / "infrastructure-live"
    demo.build_demo_repo(repo)
    out: dict[str, Any] = {"repo": repo}
    for event in ("pull_request", "push"):
        args = ["--repo", str(repo), "--base", "main", "--head", demo.BRANCH, "--event", event, "--format", "json"]
        result = run("orchestrate", *args)
        assert result.code == 0, result.err
        out[event] = result.json()
    return out


def test_demo_pull_request_dispatches_waves_in_order_and_leaves_one_comment(
    env: GitHubServer, demo_orchestrations: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    o = demo_orchestrations["pull_request"]
    setup(env, pr=PR, head=o["head"], base=o["base"])
    pipelines = Pipelines(env, live=demo_orchestrations["repo"], work=tmp_path)  # each plan really runs
    # main is live: every unit applied from it. The plans show real changes, the deleted unit what it destroys.
    pipelines.apply_all(o["base"], "main")
    bastion = next(j for j in o["jobs"] if j["action"] == "plan-destroy")
    result = dispatch(tmp_path, o, "--pr", str(PR))
    assert result.code == 0, result.err
    out = result.json()

    # One run per wave, in wave order; each run got exactly its wave's jobs.
    waves: dict[int, list[str]] = {}
    for job in o["jobs"]:
        waves.setdefault(job["wave"], []).append(job["id"])
    assert [[j["id"] for j in sent] for sent in pipelines.seen] == [waves[w] for w in sorted(waves)]
    assert [r["jobs"] for r in out["runs"]] == [waves[w] for w in sorted(waves)]
    assert all(r["conclusion"] == "success" and r["run_id"] for r in out["runs"])
    runs = env.runs(PIPELINES)
    assert [r.display_title for r in runs] == [f"gwpipelines {d.inputs['correlation_id']}" for d in env.dispatches]
    assert all(d.inputs["pr"] == str(PR) and d.inputs["live_repo"] == LIVE for d in env.dispatches)

    # Exactly one comment, listing every unit with its status and its run's link.
    comments = env.comments(LIVE, PR)
    assert len(comments) == 1
    body = comments[0].body
    assert out["comment_url"] and out["issue_urls"] == []
    for job in o["jobs"]:
        name = job["unit"] or job["account"]
        row = next(line for line in body.splitlines() if line.startswith("|") and f"`{name}`" in line)
        assert "| succeeded | +" in row, row  # each its own summary
        assert "[logs](https://github.com/acme/infrastructure-pipelines/actions/runs/" in row, row
    assert f"**{len(o['jobs'])} jobs:** ✅ {len(o['jobs'])} succeeded\n" in body
    # Updated in place as the runs went: pending first, then running, then results.
    bodies = [p.body["body"] for p in env.posts if p.operation_id in ("issues/create-comment", "issues/update-comment")]
    assert "**11 jobs:** ⏸️ 11 pending\n" in bodies[0]
    assert any("| running |" in b and "| pending |" in b for b in bodies)
    assert_golden("dispatch/demo_pull_request.md", normalise(body, env), {"head": o["head"], "base": o["base"]})
    danger = body.index("### ⚠️ Destroys and replacements")
    assert body.index("**11 jobs:**") < danger < body.index("| |")  # danger before the table
    assert f"- `{bastion['unit']}` (plan-destroy): **destroys " in body and "  - `- " in body  # addresses shown


def test_same_event_twice_leaves_one_comment(
    env: GitHubServer, demo_orchestrations: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    o = demo_orchestrations["pull_request"]
    setup(env, pr=PR, head=o["head"], base=o["base"])
    Pipelines(env)
    first = dispatch(tmp_path, o, "--pr", str(PR))
    second = dispatch(tmp_path, o, "--pr", str(PR), "--format", "text")
    assert first.code == second.code == 0, second.err
    assert len(env.comments(LIVE, PR)) == 1
    assert len(env.posts_to("issues/create-comment")) == 1
    assert f"comment: {first.json()['comment_url']}" in second.out
    assert "succeeded plan:non-prod/us-east-1/qa/app" in second.out


def test_orchestrate_piped_on_stdin(
    env: GitHubServer, demo_orchestrations: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    o = demo_orchestrations["pull_request"]
    setup(env, pr=PR, head=o["head"], base=o["base"])
    Pipelines(env)
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(o)))
    result = run("dispatch", "-", "--live-repo", LIVE, "--pipelines-repo", PIPELINES, "--pr", str(PR),
                 "--poll-interval", "0", "--no-throttle", "--batch", "job")  # fmt: skip
    assert result.code == 0, result.err
    assert len(result.json()["runs"]) == len(o["jobs"])  # one run per job
    assert len(env.comments(LIVE, PR)) == 1


def test_push_failure_opens_one_issue_and_comments_on_the_merged_pr(
    env: GitHubServer, demo_orchestrations: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    # The demo branch merged into main (fast-forward): its applies and the destroy really run, from main.
    repo = tmp_path / "merged-live"
    base, merge = demo.build_demo_repo(repo)
    o = run("orchestrate", "--repo", str(repo), "--base", base, "--head", merge, "--event", "push", "--format", "json")
    assert o.code == 0, o.err
    o = o.json()
    setup(env, pr=PR, head="c" * 40, base=o["base"])
    env.repo(LIVE).pulls[PR].merged_sha = merge
    env.add_pull(LIVE, PR + 1, head_sha="d" * 40, base_sha=o["base"], head_ref="other", merged_sha=merge)
    pipelines = Pipelines(env, fail_units={"non-prod/us-east-1/qa/vpc"}, live=repo, work=tmp_path)
    pipelines.apply_all(base, "main")  # before the merge, main was live: every unit applied from it
    subprocess.run(["git", "-C", str(repo), "branch", "-q", "-f", "main", merge], check=True)
    result = dispatch(tmp_path, o, "--sha", merge)
    assert result.code == 1
    assert "1 job(s) failed (apply:non-prod/us-east-1/qa/vpc); 4 skipped" in result.err
    out = result.json()
    # Waves 1 and 2 hold only dependents of qa/vpc (4 jobs): they are skipped, never dispatched.
    assert len(pipelines.seen) == 1 and len(out["runs"]) == 1 and out["runs"][0]["conclusion"] == "failure"
    issues = env.issues(LIVE)
    assert len(issues) == 1
    issue = issues[0]
    assert len(out["issue_urls"]) == 1 and out["issue_urls"][0].endswith(f"/issues/{issue.number}")
    assert issue.title == f"gwpipelines: apply of non-prod/us-east-1/qa/vpc failed at {merge[:12]}"
    assert "#step:" in issue.body and "AccessDenied" in issue.body
    assert_golden("dispatch/push_issue.md", normalise(issue.body or "", env), {"merge": merge})
    merged_comments = [c for pr in (PR, PR + 1) for c in env.comments(LIVE, pr)]
    assert len(merged_comments) == 1
    assert_golden("dispatch/push_merged_failed.md", normalise(merged_comments[0].body, env), {"merge": merge})

    # The same push again (a re-run): the issue is updated, not duplicated; the comment too.
    again = dispatch(tmp_path, o, "--sha", merge)
    assert again.code == 1
    assert len(env.issues(LIVE)) == 1 and len(env.posts_to("issues/create")) == 1
    assert len([c for pr in (PR, PR + 1) for c in env.comments(LIVE, pr)]) == 1

    # Fixed and re-run: the issue is closed, the merged PR's comment says applied.
    pipelines.fail_units.clear()
    fixed = dispatch(tmp_path, o, "--sha", merge)
    assert fixed.code == 0, fixed.err
    assert env.issues(LIVE)[0].state == "closed" and fixed.json()["issue_urls"] == []
    body = next(c for pr in (PR, PR + 1) for c in env.comments(LIVE, pr)).body
    assert_golden("dispatch/push_merged_applied.md", normalise(body, env), {"merge": merge})


@pytest.mark.parametrize(
    ("args", "env_unset", "message"),
    [
        ((), "PIPELINES_DISPATCH_TOKEN", "environment variable PIPELINES_DISPATCH_TOKEN is not set"),
        ((), "GITHUB_TOKEN", "environment variable GITHUB_TOKEN is not set"),
        (("--live-repo", "not-a-repo"), None, "--live-repo: 'not-a-repo' is not OWNER/NAME"),
    ],
)
def test_bad_input_exit_2_one_line(
    env: GitHubServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...], env_unset: str | None, message: str,
) -> None:  # fmt: skip
    if env_unset:
        monkeypatch.delenv(env_unset)
    jobs = [{"id": "plan:a", "unit": "a", "action": "plan", "ref": "a" * 40, "account": "dev", "change_types": [],
             "wave": 0, "needs": []}]  # fmt: skip
    result = dispatch(tmp_path, jobs, "--pr", "3", *args)
    assert result.code == 2 and message in result.err and result.err.count("\n") == 1, result.err
    assert env.posts == []


def test_pull_request_never_applies(env: GitHubServer, tmp_path: Path) -> None:
    jobs = [{"id": "apply:a", "unit": "a", "action": "apply", "ref": "a" * 40, "account": "dev", "change_types": [],
             "wave": 0, "needs": []}]  # fmt: skip
    result = dispatch(tmp_path, jobs, "--pr", "3")
    assert result.code == 2 and "applies run only on push" in result.err
    assert env.posts == []


def test_token_that_cannot_comment_still_dispatches_then_exits_2(
    env: GitHubServer, demo_orchestrations: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    o = demo_orchestrations["pull_request"]
    setup(env, pr=PR, head=o["head"], base=o["base"])
    Pipelines(env)
    env.tokens = {"dispatch-token": "pipelines-bot"}  # GITHUB_TOKEN's "live-token" is unknown: 401
    result = dispatch(tmp_path, o, "--pr", str(PR))
    assert result.code == 2
    assert (
        result.err.strip().splitlines()[-1].startswith("gwpipelines: error: reading the token's own login (GET /user)")
    )
    assert "GitHub rejected the token in GITHUB_TOKEN (401" in result.err
    out = result.json()  # the runs' results are still printed
    assert [r["conclusion"] for r in out["runs"]] == ["success"] * 3 and out["comment_url"] is None


def test_workflow_missing_fails_every_job_names_the_permission(
    env: GitHubServer, demo_orchestrations: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    o = demo_orchestrations["pull_request"]
    setup(env, pr=PR, head=o["head"], base=o["base"])
    result = dispatch(tmp_path, o, "--pr", str(PR), "--workflow", "missing.yml")
    assert result.code == 2
    assert "the token in PIPELINES_DISPATCH_TOKEN needs actions: write on acme/infrastructure-pipelines" in result.err
    body = env.comments(LIVE, PR)[0].body
    # wave 0 could not be dispatched; its dependents are skipped; the comment says so
    assert "**11 jobs:** ❌ 7 failed · ⏭️ 4 skipped\n" in body and "not dispatched" in body


def test_push_applies_only_the_pushed_commit(env: GitHubServer, tmp_path: Path) -> None:
    jobs = [{"id": "apply:a", "unit": "a", "action": "apply", "ref": "a" * 40, "account": "dev", "change_types": [],
             "wave": 0, "needs": []}]  # fmt: skip
    result = dispatch(tmp_path, jobs, "--sha", "b" * 40)
    assert result.code == 2 and "applies a commit other than --sha" in result.err
    assert env.posts == []


def test_huge_plan_posts_one_valid_comment(env: GitHubServer, tmp_path: Path) -> None:
    setup(env, pr=PR)
    big = "".join(f'  + resource "aws_s3_object" "o{k}" {{ key = "{k:060d}" }}\n' for k in range(260))
    Pipelines(env, log=lambda job: big + "Plan: 260 to add, 0 to change, 0 to destroy.\n")
    jobs = [
        {"id": f"plan:u{i:02d}", "unit": f"acct/us-east-1/dev/u{i:02d}", "action": "plan", "ref": "a" * 40,
         "account": "acct", "change_types": ["ModuleChanged"], "wave": 0, "needs": []}
        for i in range(50)
    ]  # fmt: skip
    assert len(big) * 50 > 1_000_000
    result = dispatch(tmp_path, jobs, "--pr", str(PR))
    assert result.code == 0, result.err
    (comment,) = env.comments(LIVE, PR)  # the server refuses bodies over 65,536 characters, as GitHub does
    assert len(comment.body) <= 65_536
    assert comment.body.count("Plan: 260 to add, 0 to change, 0 to destroy.") == 50


def test_a_short_sha_is_refused_on_one_line(env: GitHubServer, tmp_path: Path) -> None:
    # Jobs carry full shas: a short --sha would never match an apply job's ref, nor the issue markers.
    jobs = [{"id": "apply:a", "unit": "a", "action": "apply", "ref": "a" * 40, "account": "dev", "change_types": [],
             "wave": 0, "needs": []}]  # fmt: skip
    result = dispatch(tmp_path, jobs, "--sha", "a" * 7)
    assert result.code == 2 and "full 40-hex commit sha" in result.err and result.err.count("\n") == 1, result.err
    assert env.posts == []
