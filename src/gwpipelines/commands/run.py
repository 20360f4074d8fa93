"""`gwpipelines run --base REF --head REF --event E`: orchestrate and execute in one process (single-repo mode, and
local runs with one's own credentials). With `--live-repo` (and `GITHUB_TOKEN`), the results are reported as the
dispatcher reports them: the sticky comment on `--pr`, or on a push the issues for failed applies and the comment
on the merged pull request."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from gwpipelines import git, orchestrator
from gwpipelines.commands._options import format_option, log, repo_option
from gwpipelines.commands._results import config_option, emit, load_config, results_dir_option, run_jobs
from gwpipelines.errors import UserError
from gwpipelines.executor import gate
from gwpipelines.github import actions
from gwpipelines.models import MUTATING_ACTIONS, Orchestration
from gwpipelines.models.results import JobResult


@click.command("run")
@repo_option
@format_option("text", "json")
@click.option("--base", required=True, help="The commit the change starts from.")
@click.option("--head", required=True, help="The commit to plan or apply.")
@click.option("--event", type=click.Choice(["pull_request", "push"]), required=True, help="pull_request plans.")
@config_option
@results_dir_option
@click.option("--live-repo", default=None, metavar="OWNER/NAME", help="Report to this repo (needs GITHUB_TOKEN).")
@click.option("--pr", type=click.IntRange(min=1), default=None, help="The pull request to comment on.")
def command(
    repo: str,
    fmt: str,
    base: str,
    head: str,
    event: str,
    config_path: str | None,
    results_dir: str | None,
    live_repo: str | None,
    pr: int | None,
) -> None:
    """Plan (pull_request) or apply (push) a change here and now."""
    if pr is not None and live_repo is None:
        raise UserError("--pr: give --live-repo OWNER/NAME too (the repository to comment on)")
    # A bad pipelines.yml is bad input: one line on stderr, before any progress is printed.
    cfg = load_config(config_path)
    result = orchestrator.orchestrate(Path(repo), base, head, event)
    root = orchestrator.repository_root(Path(repo))
    _check_merged(root, result, cfg.core.default_branch)
    click.echo(f"gwpipelines: {len(result.changes)} change(s), {len(result.jobs)} job(s)", err=True)
    for warning in result.warnings:
        click.echo(f"gwpipelines: warning: {warning}", err=True)
    reporter = _reporter(result, live_repo, pr) if live_repo else None
    done = run_jobs(root, list(result.jobs), cfg, config_path, results_dir, pr, live_repo)
    extra: dict[str, Any] = {}
    if reporter is not None:
        extra = _report(reporter, done.results)
    emit(done, fmt, extra)


def _reporter(o: Orchestration, live_repo: str, pr: int | None) -> Any:
    """The dispatcher's reporter, in process; imported here so that local runs never load the GitHub client."""
    from gwpipelines.dispatcher.reporter import Reporter
    from gwpipelines.github.actions import Runner
    from gwpipelines.github.client import from_runner

    needs = f"pull-requests: write and issues: write on {live_repo}"
    client = from_runner(
        Runner.from_mapping(os.environ), actions.COMMENT_TOKEN_VAR, needs=needs, where="--live-repo", throttle=False
    )
    return Reporter(client, live_repo, o, pr=pr, sha=o.head, log=log)


def _report(reporter: Any, results: list[JobResult]) -> dict[str, Any]:
    from gwpipelines.dispatcher.loop import Progress

    report = reporter.final(Progress(results={r.id: r for r in results}))
    for error in report.errors:
        click.echo(f"gwpipelines: warning: reporting: {error}", err=True)
    return {"comment_url": report.comment_url, "issue_urls": report.issue_urls}


def _check_merged(root: Path, result: Orchestration, branch: str) -> None:
    """The refusal a local `run --event push` meets most (an unmerged commit), as one line before any progress;
    the executor still checks every job itself."""
    refs = sorted({j.ref for j in result.jobs if j.action in MUTATING_ACTIONS})
    if not refs:
        return
    tip = gate.default_branch_sha(root, branch)
    for ref in refs:
        if not git.is_ancestor(root, ref, tip):
            raise UserError(
                f"--event push: commit {ref[:12]} is not on the default branch '{branch}'; only merged commits are "
                "applied (use --event pull_request to plan it)"
            )
