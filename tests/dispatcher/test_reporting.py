"""Reporting against the GitHub test server: sticky comment across splits, one comment per push, issue life cycle."""

from __future__ import annotations

from gwpipelines.dispatcher.comment import MARKER
from gwpipelines.dispatcher.loop import Progress
from gwpipelines.dispatcher.reporter import Reporter, ReportOptions, StickyComment
from gwpipelines.models import Action, ChangeType, Event, Job, Orchestration
from gwpipelines.models.results import JobResult, PlanSummary, Status
from testing.dispatch_harness import LIVE, client, normalise, setup
from testing.github_server import GitHubServer
from testing.golden import assert_golden

SHA = "0ad483ef19fd1b0e0433bc2c2bb516899b35732a"


def orchestration(event: Event, head: str = SHA) -> Orchestration:
    action = Action.PLAN if event is Event.PULL_REQUEST else Action.APPLY
    job = Job(f"{action}:dev/vpc", "dev/vpc", action, head, "dev", (ChangeType.MODULE_CHANGED,))
    return Orchestration("b" * 40, head, event, (), (), (), (job,))


def test_split_comment_reuses_its_comments_and_empties_the_spare(github_server: GitHubServer) -> None:
    setup(github_server)
    sticky = StickyComment(client(github_server), LIVE, 7, (MARKER,))
    sticky.post([f"{MARKER}\npart 1\n", f"{MARKER}\npart 2\n"])
    again = StickyComment(client(github_server), LIVE, 7, (MARKER,))  # a later run: finds them by marker
    again.post([f"{MARKER}\nall in one\n"])
    bodies = [c.body for c in github_server.comments(LIVE, 7)]
    assert bodies == [f"{MARKER}\nall in one\n", f"{MARKER}\n\n_(no further output)_\n"]
    assert len(github_server.posts_to("issues/create-comment")) == 2


def test_new_comment_per_push_keeps_one_comment_per_head(github_server: GitHubServer) -> None:
    setup(github_server)
    opts = ReportOptions(new_comment_per_push=True)
    for head in (SHA, "c" * 40, SHA):  # the third is a re-run of the first push
        Reporter(client(github_server), LIVE, orchestration(Event.PULL_REQUEST, head), pr=7, sha=head,
                 options=opts).final(Progress())  # fmt: skip
    comments = github_server.comments(LIVE, 7)
    assert len(comments) == 2
    assert f"<!-- gwpipelines:head {SHA} -->" in comments[0].body and "c" * 40 in comments[1].body
    # The default (sticky) updates the newest matching comment set rather than adding a third.
    Reporter(client(github_server), LIVE, orchestration(Event.PULL_REQUEST), pr=7, sha=SHA).final(Progress())
    assert len(github_server.comments(LIVE, 7)) == 2


def test_issue_resolved_by_a_rerun_is_closed_with_a_note(github_server: GitHubServer) -> None:
    setup(github_server)
    github_server.add_pull(LIVE, 9, head_sha="d" * 40, base_sha="b" * 40, head_ref="x", merged_sha=SHA)
    o = orchestration(Event.PUSH)
    job = o.jobs[0]
    failed = Progress(results={job.id: JobResult(job.id, job.unit, "apply", Status.FAILED, log="Error: denied\n",
                                                 failure="terragrunt apply exited 1")},
                      links={job.id: "https://github.com/acme/p/actions/runs/5/job/6#step:3:1"})  # fmt: skip
    report = Reporter(client(github_server), LIVE, o, pr=None, sha=SHA).final(failed)
    assert len(report.issue_urls) == 1 and github_server.issues(LIVE)[0].state == "open"
    ok = Progress(results={job.id: JobResult(job.id, job.unit, "apply", Status.SUCCEEDED, PlanSummary(1, 0, 0))},
                  links={job.id: "https://github.com/acme/p/actions/runs/8"})  # fmt: skip
    report = Reporter(client(github_server), LIVE, o, pr=None, sha=SHA).final(ok)
    issue = github_server.issues(LIVE)[0]
    assert report.issue_urls == [] and issue.state == "closed" and len(github_server.issues(LIVE)) == 1
    assert_golden("dispatch/issue_resolved.md", normalise(issue.body or "", github_server))
    assert len(github_server.comments(LIVE, 9)) == 1  # one comment on the merged PR, updated


def test_comment_failure_is_reported_not_fatal(github_server: GitHubServer) -> None:
    setup(github_server)
    github_server.tokens = {"someone-else": "octocat"}  # our token is unknown: 401
    reporter = Reporter(client(github_server), LIVE, orchestration(Event.PULL_REQUEST), pr=7, sha=SHA)
    reporter.progress(Progress())
    report = reporter.final(Progress())
    assert len(report.errors) == 1  # the same failure is recorded once
    assert "GitHub rejected the token in GITHUB_TOKEN (401" in str(report.errors[0])


def test_issue_title_fits_githubs_256_characters() -> None:
    from gwpipelines.dispatcher.reporter import issue_title

    deep = "/".join(f"level{i:02d}" for i in range(40))
    job = Job(f"apply:{deep}", deep, Action.APPLY, SHA, "dev", ())
    title = issue_title(job, SHA)
    assert len(title) <= 256 and title.endswith(f"level39 failed at {SHA[:12]}")


def test_a_planted_marker_comment_is_never_edited(github_server: GitHubServer) -> None:
    """Anyone who can comment can post our marker first: the reporter edits only comments its own login wrote."""
    setup(github_server)
    github_server.tokens = {"test-token": "github-actions[bot]", "mallory-token": "mallory"}
    planted = f"{MARKER}\n## gwpipelines plan: approved, no changes"
    github_server.client("mallory-token").get_repo(LIVE).get_issue(7).create_comment(planted)
    for _ in range(2):  # a re-run finds its own comment, still not mallory's
        Reporter(client(github_server), LIVE, orchestration(Event.PULL_REQUEST), pr=7, sha=SHA).final(Progress())
    comments = github_server.comments(LIVE, 7)
    assert [(c.user, c.body == planted) for c in comments] == [("mallory", True), ("github-actions[bot]", False)]
    assert ("GET", "/user") in github_server.requests


def test_a_users_token_finds_its_comments_by_its_own_login(github_server: GitHubServer) -> None:
    setup(github_server)
    github_server.tokens = {"test-token": "pipelines-bot", "other-token": "github-actions[bot]"}
    github_server.client("other-token").get_repo(LIVE).get_issue(7).create_comment(f"{MARKER}\nnot ours")
    for _ in range(2):
        Reporter(client(github_server), LIVE, orchestration(Event.PULL_REQUEST), pr=7, sha=SHA).final(Progress())
    assert [c.user for c in github_server.comments(LIVE, 7)] == ["github-actions[bot]", "pipelines-bot"]


def test_a_planted_failure_issue_is_left_alone(github_server: GitHubServer) -> None:
    from gwpipelines.dispatcher.reporter import issue_marker

    setup(github_server)
    github_server.tokens = {"test-token": "github-actions[bot]", "mallory-token": "mallory"}
    o = orchestration(Event.PUSH)
    job = o.jobs[0]
    planted = github_server.client("mallory-token").get_repo(LIVE).create_issue("fake", f"{issue_marker(job, SHA)}\nok")
    failed = Progress(results={job.id: JobResult(job.id, job.unit, "apply", Status.FAILED, failure="exit 1")})
    ok = Progress(results={job.id: JobResult(job.id, job.unit, "apply", Status.SUCCEEDED, PlanSummary(1, 0, 0))})
    for progress in (failed, failed, ok):
        Reporter(client(github_server), LIVE, o, pr=None, sha=SHA).final(progress)
    issues = {i.number: i for i in github_server.issues(LIVE)}
    assert issues[planted.number].state == "open" and issues[planted.number].body.endswith("\nok")
    [ours] = [i for i in issues.values() if i.user == "github-actions[bot]"]
    assert ours.state == "closed" and len(issues) == 2
