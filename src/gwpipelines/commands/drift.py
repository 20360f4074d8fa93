"""`gwpipelines drift`: plan every unit (or the selected ones) at the default branch's tip, in the pipelines repo,
and report each drifted unit in an issue of its own.

    gwpipelines drift --repo DIR --live-repo OWNER/NAME --pipelines-repo OWNER/NAME [--config pipelines.yml]
                      [--path GLOB]... [--branch main] [--workflow pipelines.yml] [--ref main] [--jobs-only]

The jobs are `plan` jobs at the tip, dispatched as a push's are (no pull request: the plan role, the pipelines
workflow's drift mode), sharded into runs of `--units-per-run`. `drift.paths` / `drift.ignore` / `drift.max_units`
come from pipelines.yml's `drift` section; `--path` narrows a run by hand. Nothing is ever applied. Environment as
for `dispatch` (GITHUB_API_URL, PIPELINES_DISPATCH_TOKEN, GITHUB_TOKEN). `--format json` prints `{"sha", "runs",
"drifted": [{"unit", "account", "summary", "resources", "issue_url"}], "clean", "failed", "issue_urls",
"closed_issue_urls"}` (text: the summary); exit 0 when every plan ran (drift or not: the issues are the report), 1
when a plan or a run failed, 2 for bad input. `--jobs-only` prints the jobs (with `--format json`, the orchestrate
JSON) and touches no network.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from gwpipelines import config as pipeline_config
from gwpipelines import unit_globs
from gwpipelines.commands._options import REPO, emit_json, format_option, log, repo_option
from gwpipelines.dispatcher import Dispatcher, DispatchOptions, Granularity, Progress, Target
from gwpipelines.dispatcher.drift import DriftReport, DriftReporter, summary_markdown
from gwpipelines.errors import RunFailed, UserError
from gwpipelines.github import actions
from gwpipelines.github.actions import Runner
from gwpipelines.github.client import GitHub, from_runner
from gwpipelines.orchestrator.drift import UNITS_PER_RUN, drift_jobs, select


@click.command("drift")
@repo_option
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="pipelines.yml (its drift section).")
@click.option("--path", "paths", multiple=True, metavar="GLOB", help="Plan only units these globs cover.")
@click.option("--branch", default=None, help="The live repo's default branch [default: core.default_branch].")
@click.option("--jobs-only", is_flag=True, help="Print the drift jobs (orchestrate JSON) and stop; no network.")
@click.option("--live-repo", metavar="OWNER/NAME", help="The infrastructure-live repository.")
@click.option("--pipelines-repo", metavar="OWNER/NAME", help="The repository holding the workflow.")
@click.option("--workflow", default="pipelines.yml", show_default=True, help="The workflow file to dispatch.")
@click.option("--ref", default="main", show_default=True, help="The pipelines repo's branch the workflow runs from.")
@click.option("--units-per-run", type=click.IntRange(min=1), default=UNITS_PER_RUN, show_default=True)
@click.option("--max-parallel-runs", type=click.IntRange(min=1), default=4, show_default=True)
@click.option("--timeout", type=click.FloatRange(min=1), default=6 * 3600.0, show_default=True, help="Seconds per run.")
@click.option("--poll-interval", type=click.FloatRange(min=0), default=10.0, show_default=True, help="First poll wait.")
@click.option("--summary-file", type=click.Path(dir_okay=False), help="Append the markdown summary here.")
@click.option("--throttle/--no-throttle", default=True, show_default=True, help="Space API requests out (PyGithub).")
@format_option("text", "json")
def command(
    repo: str,
    config_path: str | None,
    paths: tuple[str, ...],
    branch: str | None,
    jobs_only: bool,
    live_repo: str | None,
    pipelines_repo: str | None,
    workflow: str,
    ref: str,
    units_per_run: int,
    max_parallel_runs: int,
    timeout: float,
    poll_interval: float,
    summary_file: str | None,
    throttle: bool,
    fmt: str,
) -> None:
    """Plan every unit at the default branch's tip; one issue per drifted unit, closed once resolved."""
    cfg = pipeline_config.load(Path(config_path) if config_path else None)
    globs = _globs(paths) or cfg.drift.paths
    where = branch or cfg.core.default_branch
    selection = select(Path(repo), where, paths=globs, ignore=cfg.drift.ignore, max_units=cfg.drift.max_units)
    orchestration = drift_jobs(selection, units_per_run=units_per_run)
    for warning in orchestration.warnings:
        log(f"warning: {warning}")
    if jobs_only:
        if fmt == "json":
            emit_json(orchestration.to_json())
        else:
            click.echo("\n".join(f"{j.id}  (run {j.wave}, account {j.account or '-'})" for j in orchestration.jobs))
        return
    live, pipelines = _repos(live_repo, pipelines_repo)
    if config_path and cfg.core.live_repo and cfg.core.live_repo.lower() != live.lower():
        raise UserError(
            f"{config_path}: core.live_repo is {cfg.core.live_repo}, not --live-repo {live}; "
            "pass the pipelines.yml of this live repository"
        )
    sha, jobs = orchestration.head, orchestration.jobs
    progress = Progress()
    if jobs:
        dispatching = _client(actions.DISPATCH_TOKEN_VAR, f"actions: write on {pipelines}", throttle)
        options = DispatchOptions(
            granularity=Granularity.WAVE,
            max_parallel_runs=max_parallel_runs,
            poll_interval=poll_interval,
            poll_max=max(poll_interval, 60.0),
            run_timeout=timeout,
        )
        # pr=None: the runs are a push's (the plan role all the same: every job is a plan).
        target = Target(pipelines, workflow, ref, live, None)
        progress = Dispatcher(dispatching, target, options, log=log).run(jobs)
    commenting = _client(actions.COMMENT_TOKEN_VAR, f"issues: write on {live}", throttle)
    reporter = DriftReporter(commenting, live, sha, log=log)
    report = reporter.report(jobs, progress.results, progress.links, gone=selection.gone)
    summary = summary_markdown(sha, report)
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as f:
            f.write(summary + "\n")
    out = _json(sha, progress, report)
    if fmt == "json":
        emit_json(out)
    else:
        click.echo(summary)
    _exit(progress, report)


def _globs(paths: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return tuple(unit_globs.check_glob(p) for p in paths)
    except ValueError as e:
        raise UserError(f"--path: {e}") from None


def _repos(live_repo: str | None, pipelines_repo: str | None) -> tuple[str, str]:
    for flag, value in (("--live-repo", live_repo), ("--pipelines-repo", pipelines_repo)):
        if not value:
            raise UserError(f"drift: {flag} OWNER/NAME is required (or --jobs-only to print the jobs)")
        if not REPO.match(value):
            raise UserError(f"{flag}: {value!r} is not OWNER/NAME")
    assert live_repo and pipelines_repo
    return live_repo, pipelines_repo


def _json(sha: str, progress: Progress, report: DriftReport) -> dict[str, Any]:
    return {
        "sha": sha,
        "runs": [r.to_json() for r in progress.runs],
        "drifted": [d.to_json() for d in report.drifted],
        "clean": report.clean,
        "failed": [r.id for r in report.failed],
        "issue_urls": [d.issue_url for d in report.drifted if d.issue_url],
        "closed_issue_urls": report.closed_urls,
    }


def _exit(progress: Progress, report: DriftReport) -> None:
    if progress.errors or report.errors:
        raise [*progress.errors, *report.errors][0]
    if report.failed or any(r.conclusion != "success" for r in progress.runs):
        ids = [r.id for r in report.failed]
        raise RunFailed(f"{len(ids)} drift plan(s) failed ({', '.join(ids[:5])}); their units were not checked")


def _client(token_env: str, needs: str, throttle: bool) -> GitHub:
    return from_runner(Runner.from_mapping(os.environ), token_env, needs=needs, where="drift", throttle=throttle)
