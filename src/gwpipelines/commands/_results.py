"""What `execute` and `run` share: loading the config, validating and running jobs, printing the results."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from gwpipelines import config as pipeline_config
from gwpipelines import executor
from gwpipelines.commands._options import emit_json, log
from gwpipelines.errors import RunFailed
from gwpipelines.models import Job
from gwpipelines.models.results import JobResult, Status


def config_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        default=None,
        help="pipelines.yml (default: Terragrunt with built-in defaults, no role assumed).",
    )(f)


def results_dir_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option(
        "--results-dir",
        type=click.Path(file_okay=False),
        default=None,
        help="Where each job's result file and log go (default: $RUNNER_TEMP/gwpipelines-results or ./).",
    )(f)


def run_jobs(
    repo: Path,
    jobs: list[Job],
    cfg: pipeline_config.PipelineConfig,
    config_path: str | None,
    results_dir: str | None,
    pr: int | None = None,
    live_repo: str | None = None,
) -> executor.Execution:
    """Validate against the repo and `cfg` (loaded from `config_path`; refusals exit 2 before anything runs), then
    run every job."""
    out_dir = Path(results_dir) if results_dir else executor.default_results_dir()
    environ = dict(os.environ)
    if config_path:  # files the config names (the account baseline template) are relative to it
        environ["GWPIPELINES_CONFIG_DIR"] = str(Path(config_path).resolve().parent)
    ctx = executor.Context(
        repo=repo,
        results_dir=out_dir,
        environ=environ,
        pr=pr,
        live_repo=live_repo,
        progress=log,
    )
    return executor.execute(jobs, cfg, ctx)


def load_config(config_path: str | None) -> pipeline_config.PipelineConfig:
    return pipeline_config.load(Path(config_path) if config_path else None)


def emit(done: executor.Execution, fmt: str, extra: dict[str, Any] | None = None) -> None:
    """Print the results (`{"results": [...]}`, the execute contract, with `"notices": [...]` after them only when
    there are any, e.g. that plan tools could not run as a separate user), then exit 1 when a job failed."""
    results = done.results
    if fmt == "json":
        notices = {"notices": list(done.notices)} if done.notices else {}
        emit_json({"results": [r.to_json() for r in results], **notices, **(extra or {})})
    else:
        click.echo(render_text(results))
        for notice in done.notices:
            click.echo(f"notice: {notice}")
        for key, value in (extra or {}).items():
            click.echo(f"{key}: {value}")
    failed = [r.id for r in results if r.status is Status.FAILED]
    if failed:
        raise RunFailed(f"{len(failed)} job(s) failed: {', '.join(failed)}")


def render_text(results: list[JobResult]) -> str:
    lines = [f"Results ({len(results)})"]
    for r in results:
        s = r.summary
        plan = f"+{s.add} ~{s.change} -{s.destroy} ±{s.replace}"
        lines.append(f"  {r.status:<9} {r.id}  {plan}  {r.seconds:.1f}s" + (f"  ({r.failure})" if r.failure else ""))
    return "\n".join(lines)


def stdin_text() -> str:
    return sys.stdin.read()
