"""The `command` extension: a custom step (a policy check on the plan, a linter, a notification) as an argv run
without a shell, in the unit's directory, with a timeout. It learns about the job from environment variables:

- GWPIPELINES_ACTION, GWPIPELINES_UNIT, GWPIPELINES_ACCOUNT: the job;
- GWPIPELINES_PLAN_JSON: the saved plan's JSON file when an earlier step (terragrunt, opentofu) wrote one;
- GWPIPELINES_INPUTS: a JSON file with the output data of the instances this one `depends_on`.

With `outputs_from_stdout`, its stdout must be a JSON object: those become the job's outputs.

With `check_plan: true` the command is a plan check (e.g. `conftest test`): it runs between each saved plan and its
apply with GWPIPELINES_PLAN_JSON naming that plan's JSON, and a non-zero exit refuses the plan (nothing is applied).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from gwpipelines.extensions import process, tool_env, transient
from gwpipelines.extensions.base import Extension, ExtensionConfig, ExtensionError, Outcome, Step
from gwpipelines.extensions.tfrun import PLAN_JSON


class CommandConfig(ExtensionConfig):
    argv: tuple[str, ...] = Field(min_length=1, description="The program and its arguments; no shell.")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment.")
    in_unit: bool = Field(default=True, description="Run in the unit's directory (else the checkout's root).")
    outputs_from_stdout: bool = Field(default=False, description="stdout is a JSON object of outputs.")
    check_plan: bool = Field(
        default=False, description="A plan check: runs on each saved plan before it is applied; non-zero refuses it."
    )


class CommandExtension(Extension):
    Config: ClassVar[type[ExtensionConfig]] = CommandConfig
    actions: ClassVar[frozenset[str]] = frozenset({"plan", "plan-destroy", "apply", "destroy"})

    def __init__(self, name: str, config: ExtensionConfig, unit: str | None) -> None:
        super().__init__(name, config, unit)
        assert isinstance(config, CommandConfig)
        self.settings = config
        self._outputs: dict[str, Any] = {}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def initialize(self, step: Step) -> None:
        cwd = step.checkout / (step.unit or ".") if self.settings.in_unit else step.checkout
        if not cwd.is_dir():
            raise ExtensionError(f"{cwd.relative_to(step.checkout)}: no such directory at this commit")
        self._tmp = tempfile.TemporaryDirectory(prefix="gwpipelines-command-")

    @classmethod
    def checks_plan(cls, config: ExtensionConfig) -> bool:
        return isinstance(config, CommandConfig) and config.check_plan

    def check_plan(self, step: Step, plan: Mapping[str, Any]) -> Outcome:
        assert self._tmp is not None
        path = Path(self._tmp.name) / "plan.json"
        path.write_text(json.dumps(plan))
        outcome = self._run(step, path)
        if not outcome.ok and not outcome.transient:
            return Outcome(ok=False, message=outcome.message.replace(" exited ", " refused the plan: exit ", 1))
        return outcome

    def execute(self, step: Step) -> Outcome:
        unit_dir = step.checkout / (step.unit or ".")
        saved = unit_dir / PLAN_JSON
        return self._run(step, saved if saved.is_file() else None)

    def _run(self, step: Step, plan_json: Path | None) -> Outcome:
        assert self._tmp is not None
        inputs = Path(self._tmp.name) / "inputs.json"
        inputs.write_text(json.dumps(step.inputs))
        unit_dir = step.checkout / (step.unit or ".")
        env = {
            **tool_env.AUTOMATION,  # a custom step that runs tofu or terraform gets automation mode too
            **step.env,
            **self.settings.env,
            "GWPIPELINES_ACTION": step.action,
            "GWPIPELINES_UNIT": step.unit or "",
            "GWPIPELINES_ACCOUNT": step.account or "",
            "GWPIPELINES_INPUTS": str(inputs),
        }
        if plan_json is not None:
            env["GWPIPELINES_PLAN_JSON"] = str(plan_json)
        cwd = unit_dir if self.settings.in_unit else step.checkout
        done = process.run(
            self.settings.argv,
            cwd=cwd,
            env=env,
            timeout=step.timeout_seconds,
            log=step.log,
            log_stdout=True,
            grace=step.stop_grace_seconds,
        )
        if done.returncode != 0:
            kind = None if done.timed_out else transient.classify(done.stderr + "\n" + done.stdout)
            what = "timed out" if done.timed_out else f"exited {done.returncode}"
            what += f" and was killed: {process.LOCK_WARNING}" if done.killed else ""
            return Outcome(ok=False, message=f"{self.settings.argv[0]} {what}", transient=kind is not None)
        if self.settings.outputs_from_stdout:
            try:
                data = json.loads(done.stdout)
            except json.JSONDecodeError as e:
                return Outcome(ok=False, message=f"outputs_from_stdout: stdout is not JSON: {e}")
            if not isinstance(data, dict):
                return Outcome(ok=False, message="outputs_from_stdout: stdout must be a JSON object")
            self._outputs = data
        return Outcome(ok=True)

    def get_output_data(self) -> dict[str, Any]:
        return self._outputs

    def cleanup(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
