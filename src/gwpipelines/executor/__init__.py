"""The executor: validates each job as hostile, assumes the account's role, runs the extensions, writes results.

Its one door is `execute()`: the gate's checks always run first, so no caller can run jobs without them."""

from __future__ import annotations

from gwpipelines.config import PipelineConfig
from gwpipelines.executor import gate, runner
from gwpipelines.executor.context import Context, Execution
from gwpipelines.executor.environment import job_environment, private_env
from gwpipelines.executor.workspace import default_results_dir
from gwpipelines.models import Job

__all__ = ["Context", "Execution", "default_results_dir", "execute", "job_environment", "private_env"]


def execute(jobs: list[Job], config: PipelineConfig, ctx: Context) -> Execution:
    """Refuse the batch (`gate.JobRefused`, exit 2, nothing run) unless every job passes the checks against the
    live repo and pipelines.yml; then run them all."""
    gate.check_live_repo(ctx.live_repo, config)
    gate.check_repo(ctx.repo, jobs, config.core.default_branch)
    gate.check_dependents(ctx.repo, jobs, config)
    gate.check_accounts(jobs, config)
    ctx.progress(f"running {len(jobs)} job(s); results and logs in {ctx.results_dir}")
    return runner.run(jobs, config, ctx) if jobs else Execution([])
