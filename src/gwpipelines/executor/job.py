"""One job: its extension instances in their configured order (in parallel where `depends_on` allows), each
through the whole extension lifecycle with bounded retries of transient failures, ending in one result."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gwpipelines.config import Instance, PipelineConfig
from gwpipelines.executor import scheduler, workspace
from gwpipelines.executor.context import Context
from gwpipelines.executor.environment import job_environment, private_env
from gwpipelines.executor.joblog import JobLog
from gwpipelines.extensions.base import ExtensionError, Outcome, Step
from gwpipelines.models import Job
from gwpipelines.models.results import JobResult, PlanSummary, Status


@dataclass(frozen=True)
class InstanceRun:
    name: str
    outcome: Outcome
    attempts: int
    outputs: dict[str, Any]


def run_job(job: Job, checkout: Path, config: PipelineConfig, ctx: Context) -> tuple[JobResult, dict[str, Any]]:
    """Run `job` in `checkout`; returns its result and the extra details of its result file."""
    start = time.monotonic()
    log = JobLog(workspace.log_path(ctx.results_dir, job.id))
    log.path.write_text("")
    log(f"== {job.id}: {job.action} {job.unit or job.account} at {job.ref}")
    detail: dict[str, Any] = {"log_path": str(log.path), "started_at": workspace.now()}

    def finish(status: Status, summary: PlanSummary, outputs: dict[str, Any], failure: str) -> JobResult:
        detail["finished_at"] = workspace.now()
        return JobResult(
            job.id, job.unit, str(job.action), status, summary, outputs, log.tail(), time.monotonic() - start, failure
        )

    instances = config.steps_for(str(job.action))
    if not instances:
        why = f"no configured extension runs {job.action}"
        if str(job.action).startswith("account-"):
            why += "; install the account-factory extension and configure the account_factory section"
        log(why)
        return finish(Status.FAILED, PlanSummary(), {}, why), detail
    envs: dict[str | None, dict[str, str]] = {}
    for account in dict.fromkeys(i.cls.role_account(i.config, job.account) for i in instances):
        try:
            envs[account] = job_environment(job, account, config, ctx, log)
        except Exception as e:  # credentials: a GwError with a clear message, or anything boto3/HTTP raised
            log(f"credentials: {e}")
            return finish(Status.FAILED, PlanSummary(), {}, f"could not assume the role for '{account}': {e}"), detail
    runs = _run_instances(job, checkout, instances, envs, config, ctx, log)
    detail["instances"] = [
        {"name": r.name, "ok": r.outcome.ok, "attempts": r.attempts, "message": r.outcome.message} for r in runs
    ]
    detail["resources"] = [res for r in runs for res in r.outcome.resources]
    outputs: dict[str, Any] = {}
    for r in runs:
        outputs.update(r.outputs)
    summary = next((r.outcome.summary for r in runs if r.outcome.summary != PlanSummary()), PlanSummary())
    failed = [r for r in runs if not r.outcome.ok]
    ran = {r.name for r in runs}
    not_run = [i.name for i in instances if i.name not in ran]
    if failed or not_run:
        first = failed[0] if failed else None
        failure = f"{first.name}: {first.outcome.message}" if first else f"not run: {', '.join(not_run)}"
        log(f"== {job.id} failed: {failure}")
        return finish(Status.FAILED, summary, outputs, failure), detail
    log(f"== {job.id} succeeded")
    return finish(Status.SUCCEEDED, summary, outputs, ""), detail


def _run_instances(
    job: Job,
    checkout: Path,
    instances: tuple[Instance, ...],
    envs: Mapping[str | None, dict[str, str]],
    config: PipelineConfig,
    ctx: Context,
    log: JobLog,
) -> list[InstanceRun]:
    names = {i.name for i in instances}
    by_name = {i.name: i for i in instances}
    finished: dict[str, InstanceRun] = {}
    delay = config.core.execution_defaults.retry_delay_seconds

    def work(task: scheduler.Task) -> InstanceRun:
        inst = by_name[task.id]
        inputs = {d: finished[d].outputs for d in inst.config.depends_on if d in finished}
        others = private_env(config, but=inst)
        env = {k: v for k, v in envs[inst.cls.role_account(inst.config, job.account)].items() if k not in others}
        step = Step(
            str(job.action), job.unit, job.account, checkout, env, log, inst.config.timeout_seconds, inputs=inputs
        )

        def attempt(n: int) -> tuple[Outcome, dict[str, Any]]:
            if n > 1:
                log(f"-- {inst.name}: attempt {n}/{inst.config.max_attempts} after a transient failure")
            return run_instance(inst, job, step)

        (outcome, outputs), attempts = scheduler.retry(
            attempt,
            max_attempts=inst.config.max_attempts,
            transient=lambda r: not r[0].ok and r[0].transient,
            delay=delay,
            sleep=ctx.sleep,
        )
        run = InstanceRun(inst.name, outcome, attempts, outputs)
        finished[inst.name] = run
        return run

    tasks = [scheduler.Task(i.name, tuple(d for d in i.config.depends_on if d in names)) for i in instances]
    done = scheduler.run(tasks, work, lambda r: r.outcome.ok, parallelism=len(tasks))
    runs = []
    for inst in instances:
        d = done[inst.name]
        if d.value is not None:
            runs.append(d.value)
        elif d.skipped_because:
            log(f"-- {inst.name}: not run, {d.skipped_because} failed")
    return runs


def run_instance(inst: Instance, job: Job, step: Step) -> tuple[Outcome, dict[str, Any]]:
    """One attempt of one instance through the whole lifecycle; cleanup always runs."""
    step.log(f"-- {inst.name} ({inst.extension}): {job.action}")
    try:
        ext = inst.cls(inst.name, inst.config, job.unit)
    except Exception as e:
        return Outcome(ok=False, message=f"extension '{inst.extension}' could not start: {e}"), {}
    try:
        ext.initialize(step)
        outcome = ext.execute(step)
        outputs = ext.get_output_data() if outcome.ok else {}
    except ExtensionError as e:
        outcome, outputs = Outcome(ok=False, message=str(e)), {}
    except Exception as e:  # a bug in an extension fails its job, never the run
        outcome, outputs = (
            Outcome(ok=False, message=f"extension '{inst.extension}' crashed: {type(e).__name__}: {e}"),
            {},
        )
    finally:
        try:
            ext.cleanup()
        except Exception as e:
            step.log(f"-- {inst.name}: cleanup failed: {type(e).__name__}: {e}")
    if not outcome.ok:
        step.log(f"-- {inst.name}: failed: {outcome.message}")
    return outcome, outputs
