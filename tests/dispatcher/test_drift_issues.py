"""Drift issues (issue 17) against the local GitHub server: found again by marker *and* author (the token's own
login from GET /user, or the Actions bot when GitHub will not say), updated, closed with one comment; a failed plan
leaves its unit's issue alone."""

from __future__ import annotations

from typing import Any

from gwpipelines.dispatcher.drift import DriftReporter, marker, resources_in, summary_markdown
from gwpipelines.github.client import ACTIONS_BOT_LOGIN as ACTIONS_BOT
from gwpipelines.models import Action, Job
from gwpipelines.models.results import JobResult, PlanSummary, Status
from testing.dispatch_harness import LIVE, client
from testing.github_server import GitHubServer

SHA = "c" * 40
LOG = "$ terragrunt run\nPlan: 1 to add, 1 to change, 0 to destroy, 0 to replace.\n  + aws_s3_bucket.logs\n  ~ x.y\n"


def job(unit: str) -> Job:
    return Job(f"plan:{unit}", unit, Action.PLAN, SHA, None, ())


def result(unit: str, *, change: int = 0, status: Status = Status.SUCCEEDED, log: str = "") -> JobResult:
    return JobResult(f"plan:{unit}", unit, "plan", status, PlanSummary(change=change), log=log)


def report(server: GitHubServer, results: list[JobResult], token: str = "test-token") -> Any:
    gh = client(server)
    if token != "test-token":
        from gwpipelines.github.client import GitHub, token_auth

        gh = GitHub(token_auth(token), api_url=server.url, throttle=False, policy=gh.policy)
    jobs = [job(str(r.unit)) for r in results]
    return DriftReporter(gh, LIVE, SHA).report(jobs, {r.id: r for r in results}, {})


def test_resources_come_from_the_plan_summary_in_the_log() -> None:
    assert resources_in(LOG) == ("+ aws_s3_bucket.logs", "~ x.y")
    assert resources_in("no plan here\n  + not.a.resource\n") == ()


def test_a_plan_changing_only_outputs_is_drift_too() -> None:
    from gwpipelines.dispatcher.drift import is_drifted

    outputs_only = 'Changes to Outputs:\n  ~ vpc_id = "vpc-1" -> "vpc-2"\n'
    assert is_drifted(result("a", log=outputs_only))
    assert not is_drifted(result("a", log="No changes. Your infrastructure matches the configuration.\n"))
    assert not is_drifted(result("a", change=1, status=Status.FAILED))


def test_only_our_own_issue_is_updated_and_closed(github_server: GitHubServer) -> None:
    github_server.add_repo(LIVE)
    github_server.tokens = {"drift-token": "drift-bot", "mallory-token": "mallory"}
    # Someone else's issue carrying our marker: never ours to update or close.
    github_server.client("mallory-token").get_repo(LIVE).create_issue(title="copied", body=marker("a") + "\nfake")
    got = report(github_server, [result("a", change=1, log=LOG)], token="drift-token")
    assert not got.errors
    issues = sorted(github_server.issues(LIVE), key=lambda i: i.number)
    assert [(i.user, i.state) for i in issues] == [("mallory", "open"), ("drift-bot", "open")]
    assert "aws_s3_bucket.logs" in issues[1].body and got.drifted[0].resources == ("+ aws_s3_bucket.logs", "~ x.y")

    again = report(github_server, [result("a", change=1, log=LOG)], token="drift-token")
    assert len(github_server.issues(LIVE)) == 2 and again.drifted[0].issue_url == got.drifted[0].issue_url

    closed = report(github_server, [result("a")], token="drift-token")
    issues = sorted(github_server.issues(LIVE), key=lambda i: i.number)
    assert [(i.user, i.state) for i in issues] == [("mallory", "open"), ("drift-bot", "closed")]
    assert closed.closed_urls == [got.drifted[0].issue_url]
    assert github_server.comments(LIVE, issues[0].number) == []
    assert len(github_server.comments(LIVE, issues[1].number)) == 1


def test_an_actions_token_falls_back_to_the_actions_bot(github_server: GitHubServer) -> None:
    github_server.add_repo(LIVE)  # no token map: every token is github-actions[bot], which may not read /user
    got = report(github_server, [result("a", change=1)])
    [issue] = github_server.issues(LIVE)
    assert issue.user == ACTIONS_BOT and not got.errors
    # Drift again after a close: the closed issue is reopened, not duplicated.
    report(github_server, [result("a")])
    assert github_server.issues(LIVE)[0].state == "closed"
    report(github_server, [result("a", change=2)])
    [issue] = github_server.issues(LIVE)
    assert issue.state == "open" and "2 to change" in issue.body


def test_a_failed_plan_leaves_the_issue_open_and_is_in_the_summary(github_server: GitHubServer) -> None:
    github_server.add_repo(LIVE)
    report(github_server, [result("a", change=1), result("b", change=1)])
    failed = result("a", status=Status.FAILED)
    failed = JobResult(failed.id, failed.unit, failed.action, failed.status, failure="terragrunt: plan failed (exit 1)")
    got = report(github_server, [failed, result("b")])
    by_title = {i.title: i.state for i in github_server.issues(LIVE)}
    assert by_title == {"gwpipelines: drift in a": "open", "gwpipelines: drift in b": "closed"}
    text = summary_markdown(SHA, got)
    assert "0 drifted, 1 without drift, 1 not checked" in text and "`a`: terragrunt: plan failed (exit 1)" in text


def test_the_issue_of_a_unit_that_is_gone_is_closed_and_one_not_planned_is_kept(github_server: GitHubServer) -> None:
    github_server.add_repo(LIVE)
    report(github_server, [result("old", change=1), result("elsewhere", change=1)])
    gh = client(github_server)
    got = DriftReporter(gh, LIVE, SHA).report([], {}, {}, gone=lambda unit: unit == "old")
    by_title = {i.title: i for i in github_server.issues(LIVE)}
    assert by_title["gwpipelines: drift in old"].state == "closed"
    assert by_title["gwpipelines: drift in elsewhere"].state == "open"  # filtered out of this run: left alone
    [comment] = github_server.comments(LIVE, by_title["gwpipelines: drift in old"].number)
    assert "`old` is no longer a unit" in comment.body and got.closed_urls
