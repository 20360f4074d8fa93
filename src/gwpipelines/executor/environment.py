"""The environment an extension instance runs with: the executor's own minus its secrets and other instances'
private variables, plus the job account's assumed role."""

from __future__ import annotations

from gwpipelines.config import ACCOUNT_ACTIONS, Instance, PipelineConfig
from gwpipelines.executor import credentials
from gwpipelines.executor.context import Context
from gwpipelines.executor.joblog import JobLog
from gwpipelines.github.actions import SECRET_VARIABLES, WORKFLOW_COMMAND_FILES
from gwpipelines.models import MUTATING_ACTIONS, Job

# The executor's own secrets: the tool run for a unit (and any code in the live repo it runs) must not see them.
WITHHELD_ENV = SECRET_VARIABLES | frozenset(WORKFLOW_COMMAND_FILES)
AWS_CREDENTIAL_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


def private_env(config: PipelineConfig, but: Instance) -> frozenset[str]:
    """The variables other configured instances keep to themselves (see Extension.private_env)."""
    names: set[str] = set()
    for inst in config.instances:
        if inst is not but:
            names |= inst.cls.private_env(inst.config) - but.cls.private_env(but.config)
    return frozenset(names)


def job_environment(job: Job, account: str | None, config: PipelineConfig, ctx: Context, log: JobLog) -> dict[str, str]:
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
