"""Reporting a drift run: one issue per drifted unit, updated by later runs and closed once the drift is gone.

A unit is drifted when its plan at the default branch's tip succeeded with changes (`-detailed-exitcode` 2; the
executor summarises that plan's resource changes). Its issue carries a marker naming the unit, and is found again
by that marker *and* its author, the token's own login: an issue anyone else opened with a copied marker is never
touched. A unit whose plan failed is not known to be clean: its issue is left as it is. Units a run did not plan
(filtered out) keep their issues too. Like `reporter`, a failed write is recorded, not raised.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import jinja2

from gwpipelines.errors import GwError
from gwpipelines.github.client import Comment, IssueRef
from gwpipelines.models import Job
from gwpipelines.models.results import JobResult, PlanSummary, Status
from gwpipelines.templating import render

MARKER_PREFIX = "<!-- gwpipelines:drift "
# Who owns the issues when GitHub will not tell (an Actions token cannot read GET /user): the Actions bot.
_LOG = 20_000
# The executor's own summary line of a plan (extensions.terragrunt), then one `  <sign> <address>` line a resource.
_SUMMARY_LINE = re.compile(r"^Plan: \d+ to add, \d+ to change, \d+ to destroy, \d+ to replace\.$")
_RESOURCE_LINE = re.compile(r"^  (\+|~|-|-/\+|\+/-) (\S.*)$")


class Client(Protocol):
    """The calls the drift reporter makes (github.client.GitHub satisfies it)."""

    def issues_with(self, repo: str, marker_prefix: str) -> list[IssueRef]: ...
    def create_issue(self, repo: str, title: str, body: str, *, marker: str) -> IssueRef: ...
    def edit_issue(self, repo: str, number: int, *, title: str, body: str, state: str = "open") -> IssueRef: ...
    def create_comment(self, repo: str, number: int, body: str, *, is_ours: Callable[[Comment], bool]) -> Comment: ...


@dataclass(frozen=True)
class Drifted:
    unit: str
    account: str | None
    summary: PlanSummary
    resources: tuple[str, ...]
    issue_url: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "unit": self.unit,
            "account": self.account,
            "summary": self.summary.to_json(),
            "resources": list(self.resources),
            "issue_url": self.issue_url or None,
        }


@dataclass
class DriftReport:
    drifted: list[Drifted] = field(default_factory=list)
    clean: list[str] = field(default_factory=list)
    failed: list[JobResult] = field(default_factory=list)
    closed_urls: list[str] = field(default_factory=list)
    errors: list[GwError] = field(default_factory=list)


# --- Pure -----------------------------------------------------------------------------------------------------


def marker(unit: str) -> str:
    return f"{MARKER_PREFIX}{unit} -->"


def resolved_marker(sha: str) -> str:
    return f"<!-- gwpipelines:drift-resolved {sha} -->"


def title(unit: str) -> str:
    what = unit if len(unit) <= 200 else "..." + unit[-197:]  # GitHub refuses titles over 256 characters
    return f"gwpipelines: drift in {what}"


def is_drifted(result: JobResult) -> bool:
    """Changes in the plan: resources to add, change, destroy or replace, or only outputs (which also make
    `-detailed-exitcode` answer 2; OpenTofu and Terraform print them under "Changes to Outputs:")."""
    s = result.summary
    if result.status is not Status.SUCCEEDED:
        return False
    return (s.add + s.change + s.destroy + s.replace) > 0 or any(
        line.startswith("Changes to Outputs:") for line in result.log.splitlines()
    )


def resources_in(log: str) -> tuple[str, ...]:
    """The resource addresses listed right below the plan's summary line in a job's log (the last such summary)."""
    found: list[str] = []
    inside = False
    for line in log.splitlines():
        if _SUMMARY_LINE.match(line):
            found, inside = [], True
        elif inside and (m := _RESOURCE_LINE.match(line)):
            found.append(f"{m.group(1)} {m.group(2)}")
        else:
            inside = False
    return tuple(dict.fromkeys(found))


def classify(jobs: Iterable[Job], results: Mapping[str, JobResult]) -> DriftReport:
    report = DriftReport()
    for job in jobs:
        result = results.get(job.id)
        unit = job.unit or job.id
        if result is None or result.status is not Status.SUCCEEDED:
            missing = JobResult(job.id, job.unit, str(job.action), Status.FAILED, failure="no result")
            report.failed.append(result or missing)
        elif is_drifted(result):
            report.drifted.append(Drifted(unit, job.account, result.summary, resources_in(result.log)))
        else:
            report.clean.append(unit)
    return report


def summary_markdown(sha: str, report: DriftReport) -> str:
    failed = [{"unit": r.unit or r.id, "failure": r.failure or str(r.status)} for r in report.failed]
    return render(
        "drift_summary.md.j2",
        sha=sha,
        planned=len(report.drifted) + len(report.clean) + len(report.failed),
        drifted=report.drifted,
        clean=len(report.clean),
        failed=failed,
        closed=report.closed_urls,
    )


# --- Writing the issues ---------------------------------------------------------------------------------------


class DriftReporter:
    def __init__(
        self,
        client: Client,
        live_repo: str,
        sha: str,
        *,
        log: Callable[[str], None] = lambda s: None,
        now: Callable[[], str] = lambda: time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    ) -> None:
        self.client, self.live_repo, self.sha = client, live_repo, sha
        self._log, self._now = log, now

    def report(
        self,
        jobs: Iterable[Job],
        results: Mapping[str, JobResult],
        links: Mapping[str, str],
        *,
        gone: Callable[[str], bool] = lambda unit: False,
    ) -> DriftReport:
        """`gone(unit)`: the unit no longer exists where this run looked; its open issue is closed."""
        jobs = list(jobs)
        report = classify(jobs, results)
        try:
            self._write(jobs, results, links, report, gone)
        except jinja2.TemplateError as bug:  # a template bug must not hide the plans' results
            report.errors.append(GwError(f"rendering failed (a bug in a gwpipelines template): {bug}"))
        except GwError as e:
            self._log(f"reporting drift failed: {e}")
            report.errors.append(e)
        return report

    def existing(self) -> dict[str, IssueRef]:
        """Our drift issues by marker: the open one if there is one, else the newest closed one. `issues_with` keeps
        only the issues this token's own login opened, so a copied marker in someone else's issue is never ours."""
        found: dict[str, IssueRef] = {}
        for issue in self.client.issues_with(self.live_repo, MARKER_PREFIX):  # newest first
            m = re.search(r"<!-- gwpipelines:drift (.+?) -->", issue.body)
            if m is None:
                continue
            key = marker(m.group(1))
            if key not in found or (found[key].state != "open" and issue.state == "open"):
                found[key] = issue
        return found

    def _write(
        self,
        jobs: list[Job],
        results: Mapping[str, JobResult],
        links: Mapping[str, str],
        report: DriftReport,
        gone: Callable[[str], bool],
    ) -> None:
        by_unit = {(j.unit or j.id): j for j in jobs}
        existing = self.existing()
        for i, d in enumerate(report.drifted):
            job = by_unit[d.unit]
            body = self._body(d, results[job.id], links.get(job.id, ""))
            old = existing.get(marker(d.unit))
            if old is None:
                issue = self.client.create_issue(self.live_repo, title(d.unit), body, marker=marker(d.unit))
                self._log(f"drift in {d.unit}: opened {issue.html_url}")
            else:
                issue = self.client.edit_issue(self.live_repo, old.number, title=title(d.unit), body=body)
                self._log(f"drift in {d.unit}: updated {issue.html_url}")
            report.drifted[i] = Drifted(d.unit, d.account, d.summary, d.resources, issue.html_url)
        for unit in report.clean:
            why = f"a plan of {self.sha} (the default branch's tip) shows no changes for `{unit}`"
            self._close(existing.get(marker(unit)), unit, why + self._logs(links.get(by_unit[unit].id, "")), report)
        planned = set(by_unit)
        for key, issue in existing.items():
            unit = key.removeprefix(MARKER_PREFIX).removesuffix(" -->")
            if unit not in planned and gone(unit):
                why = f"`{unit}` is no longer a unit at {self.sha} (the default branch's tip)"
                self._close(issue, unit, why, report)

    def _close(self, issue: IssueRef | None, unit: str, why: str, report: DriftReport) -> None:
        if issue is None or issue.state != "open":
            return
        note = resolved_marker(self.sha)
        text = f"{note}\nNo drift any more: {why}. Closing."
        self.client.create_comment(
            self.live_repo, issue.number, text, is_ours=lambda c: note in c.body and c.body.startswith(note)
        )
        self.client.edit_issue(self.live_repo, issue.number, title=issue.title, body=issue.body, state="closed")
        report.closed_urls.append(issue.html_url)
        self._log(f"no drift in {unit} any more: closed {issue.html_url}")

    def _body(self, d: Drifted, result: JobResult, link: str) -> str:
        log = result.log[-_LOG:].replace("```", "` ` `").rstrip("\n")
        return render(
            "drift_issue.md.j2",
            marker=marker(d.unit),
            unit=d.unit,
            account=d.account,
            sha=self.sha,
            summary=d.summary,
            resources=d.resources,
            logs_url=link,
            checked=self._now(),
            log=log,
            omitted=max(0, len(result.log) - _LOG),
        )

    @staticmethod
    def _logs(link: str) -> str:
        return f" ([workflow run]({link}))" if link else ""
