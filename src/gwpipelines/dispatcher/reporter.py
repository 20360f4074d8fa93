"""Reporting to the live repo: the only writer of gwpipelines' comments and issues, so runs never race on them.

- Pull request: one sticky comment (found again by its hidden marker), updated in place as runs progress; with
  `new_comment_per_push`, one comment per head commit instead. Split bodies map onto the existing comments in
  order; surplus ones are emptied (kept for the next split).
- Push to the default branch: each failed apply/destroy/account creation gets an issue (title names the unit and the
  commit; body links the merged pull request and the logs), found again by a marker per (action, unit, commit) so
  a re-run updates it, and closes it once the job succeeds; the merged pull request (via commits/{sha}/pulls) gets
  one comment with the outcome.

Every write is matched by marker first, so running the same event twice leaves one comment and at most one issue
per failure. A failed post is recorded in the report, not raised: the runs' results stand on their own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import jinja2

from gwpipelines.dispatcher.comment import MARKER, build_view, job_name, render_comment
from gwpipelines.dispatcher.loop import Progress
from gwpipelines.errors import GwError
from gwpipelines.github.client import Comment, IssueRef, PullRef
from gwpipelines.models import MUTATING_ACTIONS, Event, Job, Orchestration
from gwpipelines.models.results import JobResult, Status
from gwpipelines.templating import render

ISSUE_MARKER_PREFIX = "<!-- gwpipelines:failed "
_ISSUE_LOG = 20_000


class Client(Protocol):
    """The calls the reporter makes (github_client.GitHub satisfies it)."""

    def login(self) -> str: ...
    def comments(self, repo: str, number: int) -> list[Comment]: ...
    def create_comment(self, repo: str, number: int, body: str, *, is_ours: Callable[[Comment], bool]) -> Comment: ...
    def edit_comment(self, repo: str, comment_id: int, body: str) -> None: ...
    def issues_with(self, repo: str, marker_prefix: str) -> list[IssueRef]: ...
    def create_issue(self, repo: str, title: str, body: str, *, marker: str) -> IssueRef: ...
    def edit_issue(self, repo: str, number: int, *, title: str, body: str, state: str = "open") -> IssueRef: ...
    def pulls_for_commit(self, repo: str, sha: str) -> list[PullRef]: ...


@dataclass(frozen=True)
class ReportOptions:
    new_comment_per_push: bool = False
    max_comments: int = 3
    pipelines_repo: str = ""  # named under the log links: who can open them


@dataclass
class Report:
    comment_url: str | None = None
    issue_urls: list[str] = field(default_factory=list)
    errors: list[GwError] = field(default_factory=list)


def head_marker(sha: str) -> str:
    return f"<!-- gwpipelines:head {sha} -->"


def push_marker(sha: str) -> str:
    return f"<!-- gwpipelines:push {sha} -->"


def issue_marker(job: Job, sha: str) -> str:
    return f"{ISSUE_MARKER_PREFIX}{job.action} {job_name(job)} {sha} -->"


def issue_title(job: Job, sha: str) -> str:
    what = job_name(job)
    if len(what) > 180:  # GitHub refuses titles over 256 characters; the unit's tail is the telling part
        what = "..." + what[-177:]
    return f"gwpipelines: {job.action} of {what} failed at {sha[:12]}"


def merged_comment(
    o: Orchestration, p: Progress, *, sha: str, issues: Sequence[str] = (), pipelines_repo: str = ""
) -> str:
    """The comment a push posts on the pull request it merged (also what `dry-run --event push` shows)."""
    view = build_view(
        o, p.results, p.links, marker=push_marker(sha), notices=tuple(p.notices), pipelines_repo=pipelines_repo
    )
    failed = any(r.status is not Status.SUCCEEDED for r in p.results.values())
    applying = not failed and any(j.id not in p.results for j in o.jobs)
    return render("merged.md.j2", c=view, failed=failed, applying=applying, issues=list(issues))


class StickyComment:
    """The comment(s) on one issue or pull request that hold all of `markers` and were written by our own login;
    created once, then edited. Anyone can post a comment holding the marker first: it is never touched."""

    def __init__(self, client: Client, repo: str, number: int, markers: tuple[str, ...]) -> None:
        self.client, self.repo, self.number, self.markers = client, repo, number, markers
        self._mine: list[Comment] | None = None
        self._me = ""

    def post(self, bodies: list[str]) -> str:
        if self._mine is None:
            self._me = self.client.login()
            found = [c for c in self.client.comments(self.repo, self.number) if self._matches(c)]
            self._mine = sorted(found, key=lambda c: c.id)
        mine = self._mine
        for i, body in enumerate(bodies):
            if i < len(mine):
                if mine[i].body != body:
                    self.client.edit_comment(self.repo, mine[i].id, body)
                    mine[i] = replace(mine[i], body=body)
                continue
            created = self.client.create_comment(self.repo, self.number, body, is_ours=self._new_match(mine))
            mine.append(replace(created, body=body))
        # Fewer parts than before: the surplus comments are emptied, not deleted, and reused by the next split.
        for i in range(len(bodies), len(mine)):
            spare = "\n".join([*self.markers, "", "_(no further output)_", ""])
            if mine[i].body != spare:
                self.client.edit_comment(self.repo, mine[i].id, spare)
                mine[i] = replace(mine[i], body=spare)
        return mine[0].html_url

    def _new_match(self, mine: list[Comment]) -> Callable[[Comment], bool]:
        known = {c.id for c in mine}
        return lambda c: self._matches(c) and c.id not in known

    def _matches(self, c: Comment) -> bool:
        return c.author == self._me and all(m in c.body for m in self.markers)


class Reporter:
    def __init__(
        self,
        client: Client,
        live_repo: str,
        orchestration: Orchestration,
        *,
        pr: int | None,
        sha: str,
        options: ReportOptions | None = None,
        log: Callable[[str], None] = lambda s: None,
    ) -> None:
        self.client, self.live_repo, self.orchestration = client, live_repo, orchestration
        self.pr, self.sha = pr, sha
        self.options = options or ReportOptions()
        self._log = log
        self.report = Report()
        # With one comment per head commit, that commit's marker is in the comment and finds it again.
        self._extra_markers = (head_marker(sha),) if self.options.new_comment_per_push else ()
        self._sticky: StickyComment | None = None
        if pr is not None:
            self._sticky = StickyComment(client, live_repo, pr, (MARKER, *self._extra_markers))

    def progress(self, p: Progress) -> None:
        """Pull requests: the sticky comment shows runs as they go (pending, running, done)."""
        if self._sticky is not None:
            self._guard("updating the pull-request comment", lambda: self._post_sticky(p))

    def final(self, p: Progress) -> Report:
        if self._sticky is not None:
            self._guard("updating the pull-request comment", lambda: self._post_sticky(p))
        elif self.orchestration.event is Event.PUSH:
            self._guard("reporting the push", lambda: self._report_push(p))
        return self.report

    def _post_sticky(self, p: Progress) -> None:
        assert self._sticky is not None
        bodies = render_comment(
            self.orchestration,
            p.results,
            run_links=p.links,
            max_comments=self.options.max_comments,
            running=p.running,
            extra_markers=self._extra_markers,
            notices=p.notices,
            pipelines_repo=self.options.pipelines_repo,
        )
        self.report.comment_url = self._sticky.post(bodies)

    def _report_push(self, p: Progress) -> None:
        pulls = self.client.pulls_for_commit(self.live_repo, self.sha)
        pr = next((x for x in pulls if x.merged), pulls[0] if pulls else None)
        issues = self._issues(p, pr)
        if pr is None:
            self._log(f"no pull request found for {self.sha[:12]}; the outcome is in the run logs and issues only")
            return
        body = merged_comment(
            self.orchestration,
            p,
            sha=self.sha,
            issues=[f"#{i.number}" for i in issues],
            pipelines_repo=self.options.pipelines_repo,
        )
        sticky = StickyComment(self.client, self.live_repo, pr.number, (push_marker(self.sha),))
        self.report.comment_url = sticky.post([body])

    def _issues(self, p: Progress, pr: PullRef | None) -> list[IssueRef]:
        jobs = [j for j in self.orchestration.jobs if j.action in MUTATING_ACTIONS and j.id in p.results]
        if not jobs:
            return []
        markers = {issue_marker(j, self.sha) for j in jobs}
        existing: dict[str, IssueRef] = {}
        for issue in self.client.issues_with(self.live_repo, ISSUE_MARKER_PREFIX):  # newest first
            for marker in markers:
                if marker in issue.body:
                    existing.setdefault(marker, issue)
        opened = []
        for job in jobs:
            result, marker = p.results[job.id], issue_marker(job, self.sha)
            old = existing.get(marker)
            if result.status is Status.FAILED:
                body = self._issue_body(job, result, p, pr, marker, resolved=False)
                if old is None:
                    issue = self.client.create_issue(self.live_repo, issue_title(job, self.sha), body, marker=marker)
                else:
                    issue = self.client.edit_issue(
                        self.live_repo, old.number, title=issue_title(job, self.sha), body=body, state="open"
                    )
                opened.append(issue)
                self.report.issue_urls.append(issue.html_url)
            elif result.status is Status.SUCCEEDED and old is not None and old.state == "open":
                body = self._issue_body(job, result, p, pr, marker, resolved=True)
                self.client.edit_issue(self.live_repo, old.number, title=old.title, body=body, state="closed")
        return opened

    def _issue_body(
        self, job: Job, result: JobResult, p: Progress, pr: PullRef | None, marker: str, *, resolved: bool
    ) -> str:
        log = result.log[-_ISSUE_LOG:].rstrip("\n")
        link = p.links.get(job.id, "")
        skipped = [
            r.unit or r.id
            for r in p.results.values()
            if r.status is Status.SKIPPED and r.failure.startswith(f"skipped: {job.id} ")
        ]
        return render(
            "issue.md.j2",
            marker=marker,
            action=str(job.action),
            unit=job_name(job),
            sha=self.sha,
            pr=pr,
            logs_url=link,
            logs_label="failing step" if "#step:" in link else "workflow run",
            failure=result.failure,
            log=log,
            omitted=max(0, len(result.log) - _ISSUE_LOG),
            skipped=skipped,
            resolved=resolved,
        )

    def _guard(self, what: str, fn: Callable[[], None]) -> None:
        try:
            fn()
        except jinja2.TemplateError as bug:  # a template bug must not hide the runs' results
            self._record(what, GwError(f"rendering failed (a bug in a gwpipelines template): {bug}"))
        except GwError as e:
            self._record(what, e)

    def _record(self, what: str, e: GwError) -> None:
        if all(str(e) != str(seen) for seen in self.report.errors):
            self._log(f"{what} failed: {e}")
            self.report.errors.append(e)
