"""`gwpipelines run --base REF --head REF --event E`: orchestrate and execute in one process (single-repo mode, and
local runs with one's own credentials)."""

from __future__ import annotations

from pathlib import Path

import click

from gwpipelines import config as pipeline_config
from gwpipelines import git, jobvalidation, orchestrator
from gwpipelines.commands._options import format_option, repo_option
from gwpipelines.commands._results import config_option, results_dir_option, run_jobs
from gwpipelines.errors import UserError
from gwpipelines.models import Orchestration


@click.command("run")
@repo_option
@format_option("text", "json")
@click.option("--base", required=True, help="The commit the change starts from.")
@click.option("--head", required=True, help="The commit to plan or apply.")
@click.option("--event", type=click.Choice(["pull_request", "push"]), required=True, help="pull_request plans.")
@config_option
@results_dir_option
def command(
    repo: str, fmt: str, base: str, head: str, event: str, config_path: str | None, results_dir: str | None
) -> None:
    """Plan (pull_request) or apply (push) a change here and now."""
    # A bad pipelines.yml is bad input: one line on stderr, before any progress is printed.
    cfg = pipeline_config.load(Path(config_path) if config_path else None)
    result = orchestrator.orchestrate(Path(repo), base, head, event)
    root = orchestrator.repository_root(Path(repo))
    _check_merged(root, result, cfg.core.default_branch)
    click.echo(f"gwpipelines: {len(result.changes)} change(s), {len(result.jobs)} job(s)", err=True)
    for warning in result.warnings:
        click.echo(f"gwpipelines: warning: {warning}", err=True)
    run_jobs(root, list(result.jobs), config_path, results_dir, fmt)


def _check_merged(root: Path, result: Orchestration, branch: str) -> None:
    """The refusal a local `run --event push` meets most (an unmerged commit), as one line before any progress;
    the executor still checks every job itself."""
    refs = sorted({j.ref for j in result.jobs if j.action in jobvalidation.MUTATING})
    if not refs:
        return
    tip = jobvalidation.default_branch_sha(root, branch)
    for ref in refs:
        if not git.is_ancestor(root, ref, tip):
            raise UserError(
                f"--event push: commit {ref[:12]} is not on the default branch '{branch}'; only merged commits are "
                "applied (use --event pull_request to plan it)"
            )
