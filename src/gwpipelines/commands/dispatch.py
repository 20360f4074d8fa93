"""`gwpipelines dispatch (--jobs-file F | -) --live-repo OWNER/NAME --pipelines-repo OWNER/NAME [--workflow
pipelines.yml] [--ref main] [--pr N | --sha SHA]`: run jobs as workflow runs in the pipelines repo, follow them,
report on the pull request (or, for a push, in issues and on the merged pull request).

Environment: GITHUB_API_URL (default https://api.github.com), PIPELINES_DISPATCH_TOKEN (may dispatch in the
pipelines repo: actions: write), GITHUB_TOKEN (may comment in the live repo: pull-requests: write, issues: write).
Prints `{"runs": [{"jobs", "run_id", "html_url", "conclusion"}], "comment_url", "issue_urls"}`; exit 1 if any run or
job failed, 2 for bad input.
"""

from __future__ import annotations

import os
import re
import sys
from typing import Any

import click

from gwpipelines.commands._options import REPO, emit_json, format_option, log, repo_option
from gwpipelines.dispatcher.batches import Granularity, Target
from gwpipelines.dispatcher.loop import Dispatcher, DispatchOptions, Progress
from gwpipelines.dispatcher.reporter import Report, Reporter, ReportOptions
from gwpipelines.errors import RunFailed, UserError
from gwpipelines.github import actions
from gwpipelines.github.actions import Runner
from gwpipelines.github.client import ACTIONS_BOT_LOGIN, from_runner
from gwpipelines.models import MUTATING_ACTIONS, Action, Event, Orchestration
from gwpipelines.models.codec import parse
from gwpipelines.models.results import Status

_SHA = re.compile(r"^[0-9a-f]{40}$")


@click.command("dispatch")
@click.argument("source", required=False, metavar="[-]")
@click.option("--jobs-file", type=click.Path(dir_okay=False), help="The orchestrate JSON (or a list of jobs).")
@click.option("--live-repo", required=True, metavar="OWNER/NAME", help="The infrastructure-live repository.")
@click.option("--pipelines-repo", required=True, metavar="OWNER/NAME", help="The repository holding the workflow.")
@click.option("--workflow", default="pipelines.yml", show_default=True, help="The workflow file to dispatch.")
@click.option("--ref", default="main", show_default=True, help="The pipelines repo's branch the workflow runs from.")
@click.option("--pr", type=click.IntRange(min=1), help="The pull request to comment on (plans).")
@click.option("--sha", help="The commit pushed to the default branch (applies); issues and the merged PR's comment.")
@click.option(
    "--batch",
    type=click.Choice([g.value for g in Granularity]),
    default="wave",
    show_default=True,
    help="One workflow run per wave, per job, or per account within a wave.",
)
@click.option("--max-parallel-runs", type=click.IntRange(min=1), default=4, show_default=True)
@click.option("--timeout", type=click.FloatRange(min=1), default=6 * 3600.0, show_default=True, help="Seconds per run.")
@click.option("--poll-interval", type=click.FloatRange(min=0), default=10.0, show_default=True, help="First poll wait.")
@click.option("--new-comment-per-push", is_flag=True, help="One comment per head commit instead of one sticky comment.")
@click.option("--max-comments", type=click.IntRange(min=1), default=3, show_default=True, help="When output is split.")
@click.option(
    "--bot-login",
    default=ACTIONS_BOT_LOGIN,
    show_default=True,
    help="Who GITHUB_TOKEN writes as when it is an installation token (a GitHub App's: SLUG[bot]); a user's token "
    "is asked with GET /user. Only comments and issues by this login are ever edited.",
)
@click.option("--throttle/--no-throttle", default=True, show_default=True, help="Space API requests out (PyGithub).")
# The contract line prints the runs JSON: json is the default, text the opt-in (as for `execute`).
@format_option("json", "text", default="json")
# Accepted as by every command; the dispatcher works from the jobs alone and reads no checkout.
@repo_option
def command(
    repo: str,
    source: str | None,
    jobs_file: str | None,
    live_repo: str,
    pipelines_repo: str,
    workflow: str,
    ref: str,
    pr: int | None,
    sha: str | None,
    batch: str,
    max_parallel_runs: int,
    timeout: float,
    poll_interval: float,
    new_comment_per_push: bool,
    max_comments: int,
    bot_login: str,
    throttle: bool,
    fmt: str,
) -> None:
    """Dispatch jobs into the pipelines repo, follow the runs, and report the results."""
    orchestration = parse(*_read_input(source, jobs_file), sha=sha)
    _check(orchestration, live_repo, pipelines_repo, pr, sha)
    runner = Runner.from_mapping(os.environ)
    dispatching = from_runner(
        runner,
        actions.DISPATCH_TOKEN_VAR,
        needs=f"actions: write on {pipelines_repo}",
        where="dispatch",
        throttle=throttle,
        bot_login=bot_login,
    )
    commenting = from_runner(
        runner,
        actions.COMMENT_TOKEN_VAR,
        needs=f"pull-requests: write and issues: write on {live_repo}",
        where="dispatch",
        throttle=throttle,
    )
    head = sha or orchestration.head
    reporter = Reporter(
        commenting,
        live_repo,
        orchestration,
        pr=pr,
        sha=head,
        options=ReportOptions(
            new_comment_per_push=new_comment_per_push, max_comments=max_comments, pipelines_repo=pipelines_repo
        ),
        log=log,
    )
    options = DispatchOptions(
        granularity=Granularity(batch),
        max_parallel_runs=max_parallel_runs,
        poll_interval=poll_interval,
        poll_max=max(poll_interval, 15.0),
        run_timeout=timeout,
    )
    target = Target(pipelines_repo, workflow, ref, live_repo, pr)
    reporter.progress(Progress())
    progress = Dispatcher(dispatching, target, options, on_change=reporter.progress, log=log).run(orchestration.jobs)
    report = reporter.final(progress)
    out = {
        "runs": [r.to_json() for r in progress.runs],
        "comment_url": report.comment_url,
        "issue_urls": report.issue_urls,
    }
    if fmt == "json":
        emit_json(out)
    else:
        click.echo(_text(out, progress, report))
    _exit(progress, report)


def _read_input(source: str | None, jobs_file: str | None) -> tuple[str, str]:
    if source not in (None, "-"):
        raise UserError(f"dispatch: unexpected argument {source!r}; use `-` for stdin or --jobs-file FILE")
    if (source is None) == (jobs_file is None):
        raise UserError("dispatch: give exactly one of --jobs-file FILE or `-` (the orchestrate JSON on stdin)")
    if jobs_file is None or jobs_file == "-":
        return sys.stdin.read(), "<stdin>"
    try:
        with open(jobs_file, encoding="utf-8") as f:
            return f.read(), jobs_file
    except OSError as e:
        raise UserError(f"{jobs_file}: cannot read the jobs file ({e.strerror})") from e


def _check(o: Orchestration, live_repo: str, pipelines_repo: str, pr: int | None, sha: str | None) -> None:
    for flag, value in (("--live-repo", live_repo), ("--pipelines-repo", pipelines_repo)):
        if not REPO.match(value):
            raise UserError(f"{flag}: {value!r} is not OWNER/NAME")
    if pr is not None and sha is not None:
        raise UserError("dispatch: give --pr N (a pull request) or --sha SHA (a push), not both")
    if sha is not None and not _SHA.match(sha):
        raise UserError(f"--sha: {sha!r} is not a commit sha (give the full 40-hex commit sha)")
    applying = [j.id for j in o.jobs if j.action in MUTATING_ACTIONS]
    if pr is not None and applying:
        # Safety: a pull request only ever plans; applies come from pushes to the default branch.
        raise UserError(
            f"dispatch: --pr {pr} with apply/destroy jobs ({applying[0]}); applies run only on push (--sha)"
        )
    if pr is None and o.event is Event.PULL_REQUEST and o.jobs:
        raise UserError("dispatch: pull_request jobs need --pr N: the pull request that gets the comment")
    elsewhere = [j.id for j in o.jobs if j.action in (Action.APPLY, Action.ACCOUNT_CREATE) and sha and j.ref != sha]
    if elsewhere:
        # Safety: what is applied on a push is exactly the pushed commit.
        raise UserError(f"dispatch: job {elsewhere[0]} applies a commit other than --sha {sha}; re-run orchestrate")


def _text(out: dict[str, Any], progress: Progress, report: Report) -> str:
    lines = [f"run {r['run_id']}: {r['conclusion']}  {r['html_url']}  ({len(r['jobs'])} jobs)" for r in out["runs"]]
    lines += [f"{r.status:<9} {r.id}" + (f"  ({r.failure})" if r.failure else "") for r in progress.results.values()]
    lines.append(f"comment: {report.comment_url or '-'}")
    lines += [f"issue: {u}" for u in report.issue_urls]
    return "\n".join(lines)


def _exit(progress: Progress, report: Report) -> None:
    if progress.errors or report.errors:
        raise [*progress.errors, *report.errors][0]
    bad = [r for r in progress.results.values() if r.status is not Status.SUCCEEDED]
    runs_bad = [r for r in progress.runs if r.conclusion != "success"]
    if bad or runs_bad:
        failed = [r.id for r in bad if r.status is Status.FAILED]
        if not failed:
            raise RunFailed(f"run(s) ended {', '.join(sorted({str(r.conclusion) for r in runs_bad}))}")
        raise RunFailed(f"{len(failed)} job(s) failed ({', '.join(failed[:5])}); {len(bad) - len(failed)} skipped")
