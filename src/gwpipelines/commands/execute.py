"""`gwpipelines execute (--job JSON | --jobs-file F)`: validate jobs as hostile input, then run them."""

from __future__ import annotations

from pathlib import Path

import click

from gwpipelines import git
from gwpipelines.commands._options import format_option, repo_option
from gwpipelines.commands._results import config_option, emit, load_config, results_dir_option, run_jobs, stdin_text
from gwpipelines.errors import UserError
from gwpipelines.executor import gate


@click.command("execute")
@repo_option
# The contract line prints the results JSON: json is the default, text the opt-in (as for `dispatch`).
@format_option("json", "text", default="json")
@click.option("--job", "job_json", default=None, help="One job object (the orchestrate shape) as JSON.")
@click.option("--jobs-file", default=None, help="A JSON file of jobs (a list, or orchestrate's output); - for stdin.")
@config_option
@results_dir_option
@click.option("--pr", type=click.IntRange(min=1), default=None, help="The pull request the jobs are for.")
@click.option("--live-repo", default=None, help="OWNER/NAME the jobs came from; must match core.live_repo.")
def command(
    repo: str,
    fmt: str,
    job_json: str | None,
    jobs_file: str | None,
    config_path: str | None,
    results_dir: str | None,
    pr: int | None,
    live_repo: str | None,
) -> None:
    """Run jobs in a checkout of the live repo; print their results."""
    if (job_json is None) == (jobs_file is None):
        raise UserError("give exactly one of --job JSON or --jobs-file FILE")
    if job_json is not None:
        text, source = job_json, "--job"
    elif jobs_file == "-":
        text, source = stdin_text(), "stdin"
    else:
        assert jobs_file is not None
        try:
            text, source = Path(jobs_file).read_text(), jobs_file
        except OSError as e:
            raise UserError(f"{jobs_file}: cannot read the jobs file: {e.strerror}") from None
    jobs = gate.parse(text, source)
    root = git.toplevel(Path(repo))
    emit(run_jobs(root, jobs, load_config(config_path), config_path, results_dir, pr, live_repo), fmt)
