"""Runs validated jobs: each at its own commit, with its account's credentials, through the configured extension
instances, in dependency order; every job ends with a result (succeeded, failed or skipped) and a result file.

The seams: `jobvalidation` refuses bad input before this runs; `scheduler` orders and retries; extensions do the
tool work; `credentials` turns a job's account into environment variables. This module wires them and owns the
per-job log, the result files and the Actions job summary.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from gwpipelines import git
from gwpipelines.config import ACCOUNT_ACTIONS, Instance, PipelineConfig
from gwpipelines.errors import GitError
from gwpipelines.executor import credentials, scheduler
from gwpipelines.executor.summary import log_groups, write_step_summary
from gwpipelines.executor.summary import safe_name as safe_name
from gwpipelines.executor.summary import step_summary as step_summary
from gwpipelines.extensions import process
from gwpipelines.extensions.base import ExtensionError, Outcome, Step
from gwpipelines.github.actions import SECRET_VARIABLES, Runner
from gwpipelines.models import MUTATING_ACTIONS, Job
from gwpipelines.models.results import JobResult, PlanSummary, Status

# What a result's `log` keeps (the tail); the whole log is in the job's log file.
LOG_TAIL = 20_000
# The executor's own secrets: the tool run for a unit (and any code in the live repo it runs) must not see them.
WITHHELD_ENV = SECRET_VARIABLES
AWS_CREDENTIAL_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


@dataclass(frozen=True)
class Context:
    """Where and as whom the jobs run."""

    repo: Path
    results_dir: Path
    environ: Mapping[str, str]
    pr: int | None = None
    sleep: Callable[[float], None] = time.sleep

    @cached_property
    def runner(self) -> Runner:
        """The Actions runner this executor runs on (all fields empty outside Actions)."""
        return Runner.from_mapping(self.environ)


@dataclass
class _Log:
    """One job's log: lines go to its file at once (so a hung job's log is readable), secrets masked."""

    path: Path
    secrets: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, text: str) -> None:
        text = credentials.mask(text, self.secrets)
        with self.lock:
            self.lines.append(text)
            with self.path.open("a", encoding="utf-8", errors="replace") as f:
                f.write(text + "\n")

    def tail(self) -> str:
        text = "\n".join(self.lines)
        return text if len(text) <= LOG_TAIL else "[...]\n" + text[-LOG_TAIL:]


@dataclass(frozen=True)
class _InstanceRun:
    name: str
    outcome: Outcome
    attempts: int
    outputs: dict[str, Any]


def execute(jobs: list[Job], config: PipelineConfig, ctx: Context) -> list[JobResult]:
    """Run `jobs` (already validated) and return one result per job, in the jobs' order."""
    (ctx.results_dir / "logs").mkdir(parents=True, exist_ok=True)
    by_id = {j.id: j for j in jobs}
    details: dict[str, dict[str, Any]] = {}
    with checkouts(ctx.repo, sorted({j.ref for j in jobs})) as trees:

        def work(task: scheduler.Task) -> JobResult:
            job = by_id[task.id]
            result, detail = run_job(job, trees[job.ref], config, ctx)
            details[job.id] = detail
            return result

        tasks = [scheduler.Task(j.id, j.needs) for j in jobs]
        process.allow_runs()
        with _sigterm_as_interrupt():
            done = scheduler.run(
                tasks,
                work,
                lambda r: r.status is Status.SUCCEEDED,
                config.core.execution_defaults.parallelism,
                on_interrupt=process.stop_all,
            )
    results = [_result(j, done[j.id]) for j in jobs]
    for r in results:
        write_result_file(ctx.results_dir, r, details.get(r.id, {}))
    write_step_summary(ctx.runner, results)
    if ctx.runner.in_actions:
        log_groups(ctx.results_dir, results)
    return results


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


def _result(job: Job, done: scheduler.Done[JobResult]) -> JobResult:
    if done.value is not None:
        return done.value
    if done.skipped_because:
        return JobResult(
            job.id, job.unit, str(job.action), Status.SKIPPED, failure=f"dependency {done.skipped_because} failed"
        )
    return JobResult(job.id, job.unit, str(job.action), Status.FAILED, failure="internal error running the job")


@contextmanager
def checkouts(repo: Path, refs: list[str]) -> Iterator[dict[str, Path]]:
    """A detached worktree of the live repo per commit, removed afterwards: each job sees its commit's files only."""
    root = Path(tempfile.mkdtemp(prefix="gwpipelines-checkouts-"))
    trees: dict[str, Path] = {}
    try:
        for ref in refs:
            path = root / ref[:12]
            git.run(repo, "worktree", "add", "--detach", "--force", "--quiet", str(path), ref)
            trees[ref] = path
        yield trees
    finally:
        for path in trees.values():
            with suppress(GitError):
                git.run(repo, "worktree", "remove", "--force", str(path))
        shutil.rmtree(root, ignore_errors=True)
        git.run(repo, "worktree", "prune")


def run_job(job: Job, checkout: Path, config: PipelineConfig, ctx: Context) -> tuple[JobResult, dict[str, Any]]:
    start = time.monotonic()
    log = _Log(ctx.results_dir / "logs" / f"{safe_name(job.id)}.log")
    log.path.write_text("")
    log(f"== {job.id}: {job.action} {job.unit or job.account} at {job.ref}")
    detail: dict[str, Any] = {"log_path": str(log.path), "started_at": _now()}

    def finish(status: Status, summary: PlanSummary, outputs: dict[str, Any], failure: str) -> JobResult:
        detail["finished_at"] = _now()
        return JobResult(
            job.id, job.unit, str(job.action), status, summary, outputs, log.tail(), time.monotonic() - start, failure,
            tuple(r for r in detail.get("resources", ()) if r.split(" ", 1)[0] in ("-", "-/+", "+/-")),
            {r.name: r.outputs for r in runs if r.outputs},
        )  # fmt: skip

    runs: list[_InstanceRun] = []
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
    log: _Log,
) -> list[_InstanceRun]:
    """The job's extension instances in their configured order, in parallel where `depends_on` allows."""
    names = {i.name for i in instances}
    by_name = {i.name: i for i in instances}
    finished: dict[str, _InstanceRun] = {}
    delay = config.core.execution_defaults.retry_delay_seconds

    def work(task: scheduler.Task) -> _InstanceRun:
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
        run = _InstanceRun(inst.name, outcome, attempts, outputs)
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


def private_env(config: PipelineConfig, but: Instance) -> frozenset[str]:
    """The variables other configured instances keep to themselves (see Extension.private_env)."""
    names: set[str] = set()
    for inst in config.instances:
        if inst is not but:
            names |= inst.cls.private_env(inst.config) - but.cls.private_env(but.config)
    return frozenset(names)


def job_environment(job: Job, account: str | None, config: PipelineConfig, ctx: Context, log: _Log) -> dict[str, str]:
    """The environment an extension runs with: the executor's minus its own secrets, plus the assumed role of
    `account` when there is one and pipelines.yml has an `authentication` section."""
    env = {k: v for k, v in ctx.environ.items() if k not in WITHHELD_ENV}
    if str(job.action) in ACCOUNT_ACTIONS and config.core.live_repo:
        env["GWPIPELINES_LIVE_REPO"] = config.core.live_repo  # where the account factory opens the baseline PR
    if account is None or config.authentication is None:
        why = "the job has no account" if account is None else "pipelines.yml has no authentication section"
        log(f"credentials: no role assumed ({why}); the tools use this environment's own AWS credentials")
        return env
    action = str(job.action)
    name = credentials.session_name(actor=ctx.runner.actor or "local", ref=ctx.runner.ref, pr=ctx.pr, job_id=job.id)
    assumed: dict[str, str] = credentials.assume_role_env(
        action=action, account=account, auth=config.authentication, session_name=name, environ=ctx.environ
    )
    log.secrets.extend(credentials.secrets_of(assumed))
    for k in AWS_CREDENTIAL_ENV:
        env.pop(k, None)
    env.update(assumed)
    role = "apply" if action in MUTATING_ACTIONS else "plan"
    log(f"credentials: assumed the {role} role of account '{account}' (session {name})")
    return env


def _now() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"


def write_result_file(results_dir: Path, result: JobResult, detail: Mapping[str, Any]) -> Path:
    import json

    path = results_dir / f"{safe_name(result.id)}.json"
    data = {**result.to_json(), **detail}
    data.pop("log", None)  # the whole log is at log_path
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def default_results_dir(environ: Mapping[str, str] = os.environ) -> Path:
    base = Runner.from_mapping(environ).temp
    return Path(base) / "gwpipelines-results" if base else Path("gwpipelines-results")
