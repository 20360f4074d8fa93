"""Runs validated jobs: each at its own commit (`workspace`), in dependency order with the configured parallelism
(`scheduler`), each through its extension instances (`job`); every job ends with a result (succeeded, failed or
skipped), a result file and a line of the job summary. A cancel (SIGINT, or the runner's SIGTERM) stops the tools
gracefully (SIGTERM, `stop_grace_seconds`, then SIGKILL) and removes the worktrees."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from gwpipelines.config import PipelineConfig
from gwpipelines.executor import sandbox, scheduler, summary, workspace
from gwpipelines.executor.context import Context, Execution
from gwpipelines.executor.job import run_job
from gwpipelines.extensions import process
from gwpipelines.models import Job
from gwpipelines.models.results import JobResult, Status


def run(jobs: list[Job], config: PipelineConfig, ctx: Context) -> Execution:
    """Run `jobs` (validated by the gate) and return one result per job, in the jobs' order."""
    workspace.prepare_results_dir(ctx.results_dir)
    by_id = {j.id: j for j in jobs}
    details: dict[str, dict[str, Any]] = {}
    defaults = config.core.execution_defaults
    notices: list[str] = []
    with (
        sandbox.for_run(jobs, defaults.isolate_plans, ctx.results_dir, ctx.environ, notices) as box,
        workspace.checkouts(ctx.repo, sorted({j.ref for j in jobs})) as trees,
    ):
        run_ctx = ctx if box is None else replace(ctx, environ={**ctx.environ, **box.env()})
        if box is not None:
            for tree in trees.values():
                box.hand_over(tree)

        def work(task: scheduler.Task) -> JobResult:
            job = by_id[task.id]
            result, detail = run_job(job, trees[job.ref], config, run_ctx)
            details[job.id] = detail
            return result

        tasks = [scheduler.Task(j.id, j.needs) for j in jobs]
        process.allow_runs()
        try:
            with _sigterm_as_interrupt():
                done = scheduler.run(
                    tasks,
                    work,
                    lambda r: r.status is Status.SUCCEEDED,
                    defaults.parallelism,
                    on_interrupt=lambda: _stop_tools(defaults.stop_grace_seconds),
                )
        finally:
            sandbox.end(box)  # nothing pull-request code started outlives this point
    results = [_result(j, done[j.id]) for j in jobs]
    for r in results:
        workspace.write_result_file(ctx.results_dir, r, details.get(r.id, {}))
    summary.write_step_summary(ctx.runner, results, notices)
    if ctx.runner.in_actions:
        summary.log_groups(ctx.results_dir, results)
    return Execution(results, notices)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """The runner cancels a workflow with SIGINT then SIGTERM: both become KeyboardInterrupt, so the tools (in their
    own sessions) are stopped and the worktrees removed instead of being left running and locked."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stop_tools(grace: float) -> None:
    """Stop the tools, gracefully: a second signal (the runner sends SIGINT, then SIGTERM) must not cut the grace
    period short and leave them running in their own sessions."""
    if threading.current_thread() is not threading.main_thread():
        process.stop_all(grace)
        return
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        process.stop_all(grace)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _result(job: Job, done: scheduler.Done[JobResult]) -> JobResult:
    if done.value is not None:
        return done.value
    if done.skipped_because:
        return JobResult(
            job.id, job.unit, str(job.action), Status.SKIPPED, failure=f"dependency {done.skipped_because} failed"
        )
    return JobResult(job.id, job.unit, str(job.action), Status.FAILED, failure="internal error running the job")
