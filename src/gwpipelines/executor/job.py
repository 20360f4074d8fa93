"""One job: its extension instances in their configured order (in parallel where `depends_on` allows), each
through the whole extension lifecycle with bounded retries of transient failures, ending in one result."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gwpipelines.config import Instance, PipelineConfig
from gwpipelines.executor import scheduler, workspace
from gwpipelines.executor.context import Context
from gwpipelines.executor.environment import job_environment, private_env
from gwpipelines.executor.instance import InstanceRun, run_instance
from gwpipelines.executor.joblog import JobLog
from gwpipelines.executor.plancheck import PlanChecks
from gwpipelines.extensions.base import Outcome, Step, no_plan_checks
from gwpipelines.models import Job
from gwpipelines.models.results import JobResult, PlanSummary, Status


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
            job.id, job.unit, str(job.action), status, summary, outputs, log.tail(), time.monotonic() - start, failure,
            tuple(r for r in detail.get("resources", ()) if r.split(" ", 1)[0] in ("-", "-/+", "+/-")),
            {r.name: r.outputs for r in runs if r.outputs},
        )  # fmt: skip

    runs: list[InstanceRun] = []
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
    runs, checks = _run_instances(job, checkout, instances, envs, config, ctx, log)
    detail["instances"] = [
        {"name": r.name, "ok": r.outcome.ok, "attempts": r.attempts, "message": r.outcome.message} for r in runs
    ]
    detail["resources"] = [res for r in runs for res in r.outcome.resources]
    outputs: dict[str, Any] = {}
    for r in runs:
        outputs.update(r.outputs)
    summary = next((r.outcome.summary for r in runs if r.outcome.summary != PlanSummary()), PlanSummary())
    # A refusing plan check is the reason, before the step it stopped.
    failed = sorted((r for r in runs if not r.outcome.ok), key=lambda r: r.name not in checks.runs)
    ran = {r.name for r in runs}
    not_run = [i.name for i in instances if i.name not in ran and i.name not in {c.name for c in checks.checks}]
    unseen = checks.unseen() if not failed else ""
    if failed or not_run or unseen:
        first = failed[0] if failed else None
        failure = f"{first.name}: {first.outcome.message}" if first else unseen or f"not run: {', '.join(not_run)}"
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
) -> tuple[list[InstanceRun], PlanChecks]:
    """The steps in order (in parallel where `depends_on` allows), the plan checks handed to every step; returns
    the steps' runs followed by the checks' runs."""
    checkers = tuple(i for i in instances if i.cls.checks_plan(i.config))
    steps = tuple(i for i in instances if i not in checkers)
    by_name = {i.name: i for i in instances}
    finished: dict[str, InstanceRun] = {}
    delay = config.core.execution_defaults.retry_delay_seconds
    grace = float(config.core.execution_defaults.stop_grace_seconds)

    def step_for(inst: Instance, checks: PlanChecks | None = None) -> Step:
        inputs = {d: finished[d].outputs for d in inst.config.depends_on if d in finished}
        others = private_env(config, but=inst)
        env = {k: v for k, v in envs[inst.cls.role_account(inst.config, job.account)].items() if k not in others}
        return Step(
            str(job.action),
            job.unit,
            job.account,
            checkout,
            env,
            log,
            inst.config.timeout_seconds,
            inputs=inputs,
            check_plan=checks if checks is not None else no_plan_checks,
            stop_grace_seconds=grace,
        )

    checks = PlanChecks(checkers, job, step_for)

    def work(task: scheduler.Task) -> InstanceRun:
        inst = by_name[task.id]
        step = step_for(inst, checks if checkers else None)

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

    tasks = [scheduler.Task(i.name, _needs(i, by_name, steps)) for i in steps]
    done = scheduler.run(tasks, work, lambda r: r.outcome.ok, parallelism=max(1, len(tasks)))
    runs = []
    for inst in steps:
        d = done[inst.name]
        if d.value is not None:
            runs.append(d.value)
        elif d.skipped_because:
            log(f"-- {inst.name}: not run, {d.skipped_because} failed")
    return [*runs, *checks.runs.values()], checks


def _needs(inst: Instance, by_name: Mapping[str, Instance], steps: tuple[Instance, ...]) -> tuple[str, ...]:
    """`depends_on` among the steps; a dependency on a plan check means on what that check depends on (it runs
    inside those steps)."""
    names = {i.name for i in steps}
    out: list[str] = []
    todo, seen = list(inst.config.depends_on), set()
    while todo:
        name = todo.pop(0)
        if name in seen or name not in by_name:
            continue
        seen.add(name)
        if name in names:
            out.append(name)
        else:
            todo.extend(by_name[name].config.depends_on)
    return tuple(dict.fromkeys(out))
