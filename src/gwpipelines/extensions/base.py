"""The extension interface: how the executor runs one IaC tool (or any custom step) for one job.

An extension class has a pydantic `Config` (its own settings only, merged with `core.execution_defaults`), declares
the range of gwpipelines core versions it supports, and goes through one lifecycle per job:

    ext = Extension(name, config, unit)   # instance name, validated own config, the unit/stack it works on
    ext.initialize(step)                  # prepare: check the tool is there, the directory exists, ...
    outcome = ext.execute(step)           # do the work; a failure is an Outcome, not an exception
    data = ext.get_output_data()          # outputs for the pipeline state (shown in the final report)
    ext.cleanup()                         # always called, even after a failure

A plan check (a policy) is an extension whose `checks_plan()` is true: the executor does not run it as a step of
its own but hands it every saved plan of the job, between the plan and the apply: the IaC extension calls
`step.check_plan(plan_json)` after `show -json`, the executor runs each check's `initialize()`,
`check_plan(step, plan)`, `get_output_data()` and `cleanup()`, and a refusal (`Outcome(ok=False)`) stops the apply.
A job whose checks never saw a plan fails (a policy that cannot look is no policy).

It never sees the pipeline config, other extensions or global state: everything a run needs arrives in the `Step`
(the action, the checkout, the environment with the job's credentials, a log sink, and the output data of the
instances this one `depends_on`).

How a Pulumi extension fits: `Config` holds `stack_template` (e.g. "{account}-{unit}"), `backend_url` and the
`pulumi` binary path; the unit name given at construction picks the project directory, and the stack name comes from
the template. `initialize()` runs `pulumi login BACKEND` and `pulumi stack select --create STACK`; `execute()` maps
plan/plan-destroy to `pulumi preview --json [--diff]` (and `pulumi destroy --preview-only`), apply/destroy to
`pulumi up --yes --skip-preview` / `pulumi destroy --yes`, and fills `Outcome.summary` from the preview's
`changeSummary` (create -> add, update -> change, delete -> destroy, replace -> replace) and `resources` from the step
URNs; `get_output_data()` returns `pulumi stack output --json`. AWS credentials arrive through `Step.env` exactly as
for Terragrunt, so nothing in the core changes.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from gwpipelines.errors import ExtensionError as ExtensionError
from gwpipelines.models.results import PlanSummary


class ExtensionConfig(BaseModel):
    """Settings every extension instance has; an extension's own `Config` subclasses this.

    `max_attempts`, `timeout_seconds` and `parallelism` come from `core.execution_defaults` unless the instance sets
    them. `depends_on` names the instances (of this job) that must finish first; `actions` limits the instance to
    some actions (empty: every action the extension supports)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="The instance's name, unique in pipelines.yml; core.steps refers to it.")
    depends_on: tuple[str, ...] = Field(default=(), description="Instances of the same job that must finish first.")
    actions: tuple[str, ...] = Field(default=(), description="Run only for these actions (empty: all supported).")
    max_attempts: int = Field(default=0, ge=0, le=10, description="0: core.execution_defaults.max_attempts.")
    timeout_seconds: int = Field(default=0, ge=0, le=86400, description="0: core.execution_defaults.timeout_seconds.")


def no_plan_checks(plan: Mapping[str, Any]) -> Outcome:
    """`Step.check_plan` of a job without plan checks: every plan may be applied."""
    return Outcome(ok=True)


@dataclass(frozen=True)
class Step:
    """Everything one run of an extension may use. Built by the executor; the extension owns nothing global."""

    action: str
    unit: str | None
    account: str | None
    checkout: Path
    env: Mapping[str, str]
    log: Callable[[str], None]
    timeout_seconds: int
    # Output data of the instances this one depends on, by instance name.
    inputs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # The job's plan checks: call with the saved plan's JSON before applying it; a refusal means "do not apply".
    check_plan: Callable[[Mapping[str, Any]], Outcome] = field(default=lambda plan: no_plan_checks(plan))
    # Seconds a tool gets between SIGTERM and SIGKILL when it times out or the run is cancelled.
    stop_grace_seconds: float = 300.0


@dataclass(frozen=True)
class Outcome:
    """What an extension's `execute()` reports. `transient` marks a failure worth retrying (see `transient.py`)."""

    ok: bool
    summary: PlanSummary = field(default_factory=PlanSummary)
    resources: tuple[str, ...] = ()
    message: str = ""
    transient: bool = False


class Extension(abc.ABC):
    """Subclass this, set `Config`, `actions` and the core version range, and register the class in the
    `gwpipelines.extensions` entry-point group under the extension's name."""

    Config: ClassVar[type[ExtensionConfig]] = ExtensionConfig
    # Actions this extension can run; the executor routes a job to the instances that support its action.
    actions: ClassVar[frozenset[str]] = frozenset()
    # Core versions supported: [min, max) as dotted numbers; the loader refuses the extension outside the range.
    core_min: ClassVar[str] = "0.1"
    core_max: ClassVar[str] = "1.0"

    def __init__(self, name: str, config: ExtensionConfig, unit: str | None) -> None:
        self.name = name
        self.config = config
        self.unit = unit

    @classmethod
    def role_account(cls, config: ExtensionConfig, job_account: str | None) -> str | None:
        """The account whose role the executor assumes for this instance (the plan or apply role, by the job's
        action; `authentication.accounts` in pipelines.yml): the job's own account by default. An extension that
        works through another account (the account factory, through the organization's management account)
        returns that one; None runs with the executor's own environment."""
        return job_account

    @classmethod
    def private_env(cls, config: ExtensionConfig) -> frozenset[str]:
        """Environment variables only this extension may see (a token it alone needs): the executor removes them
        from the environment of every other extension instance, so that code run for a unit cannot read them."""
        return frozenset()

    @classmethod
    def checks_plan(cls, config: ExtensionConfig) -> bool:
        """True when this instance is a plan check: it runs through `check_plan` between plan and apply, never as
        a step of its own."""
        return False

    def check_plan(self, step: Step, plan: Mapping[str, Any]) -> Outcome:
        """Judge a saved plan (`show -json`, OpenTofu's JSON format); `Outcome(ok=False, message=why)` refuses it."""
        raise NotImplementedError(f"{type(self).__name__} does not check plans")

    def initialize(self, step: Step) -> None:  # noqa: B027 - optional hook
        """Prepare the run; raise `ExtensionError` to fail the job with a clear message."""

    @abc.abstractmethod
    def execute(self, step: Step) -> Outcome:
        """Run the action. Failures are returned as `Outcome(ok=False, ...)`, with `transient` when retryable."""

    def get_output_data(self) -> dict[str, Any]:
        """Outputs for the pipeline state; shown in the job's result."""
        return {}

    def cleanup(self) -> None:  # noqa: B027 - optional hook
        """Release what `initialize`/`execute` took; called even when they failed."""
