"""The `terragrunt` extension: plan, apply, destroy and plan -destroy of one Terragrunt unit, running exactly the
command lines of `gwpipelines.terragrunt_cli` (the ones `dry-run` shows) with OpenTofu or Terraform underneath."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import Field

from gwpipelines.extensions import plan, process, terragrunt_cli, tool_env, transient
from gwpipelines.extensions.base import Extension, ExtensionConfig, ExtensionError, Outcome, Step
from gwpipelines.models.results import PlanSummary

PLAN_JSON = "gwpipelines-plan.json"
# `-detailed-exitcode`: 0 no changes, 2 changes present (both success), anything else an error.
_PLAN_OK = (0, 2)


class TerragruntConfig(ExtensionConfig):
    tf_path: str | None = Field(
        default=None,
        description="OpenTofu or Terraform: tofu, terraform (or a path). Unset: TG_TF_PATH if the job's environment "
        "sets it, else tofu.",
    )
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment (e.g. TG_PROVIDER_CACHE=1).")


class TerragruntExtension(Extension):
    Config: ClassVar[type[ExtensionConfig]] = TerragruntConfig
    actions: ClassVar[frozenset[str]] = frozenset({"plan", "plan-destroy", "apply", "destroy"})

    def __init__(self, name: str, config: ExtensionConfig, unit: str | None) -> None:
        super().__init__(name, config, unit)
        self._outputs: dict[str, Any] = {}
        self._plan: dict[str, Any] = {}
        self._tf_path = terragrunt_cli.DEFAULT_TF_PATH

    @property
    def settings(self) -> TerragruntConfig:
        assert isinstance(self.config, TerragruntConfig)
        return self.config

    def extra_env(self) -> dict[str, str]:
        return dict(self.settings.env)

    def resolve_tf_path(self, env: dict[str, str]) -> str:
        """The OpenTofu/Terraform binary this job runs: `tf_path`, else the job's TG_TF_PATH, else tofu."""
        return tool_env.tf_path(env, self.settings.tf_path, terragrunt_cli.DEFAULT_TF_PATH)

    def initialize(self, step: Step) -> None:
        if step.unit is None:
            raise ExtensionError("terragrunt runs units; this job has none")
        stack = terragrunt_cli.generating_stack(step.checkout, step.unit)
        if stack is not None:  # a unit a stack generates: Terragrunt writes it first
            argv = terragrunt_cli.stack_generate(stack)
            env = {**step.env, **self.extra_env()}
            done = process.run(argv, cwd=step.checkout, env=env, timeout=step.timeout_seconds, log=step.log)
            if done.returncode != 0:
                raise ExtensionError(f"terragrunt stack generate in {stack} failed (exit {done.returncode})")
        if not (step.checkout / step.unit / "terragrunt.hcl").is_file():
            raise ExtensionError(f"{step.unit}/terragrunt.hcl does not exist at this commit")

    def execute(self, step: Step) -> Outcome:
        unit = step.unit or "."
        env = {**step.env, **self.extra_env()}
        self._tf_path = self.resolve_tf_path(env)
        env = {**tool_env.defaults(env, tf_path=self._tf_path), **env}
        summary: PlanSummary = PlanSummary()
        resources: tuple[str, ...] = ()
        for tf_command, argv in self.commands(step.action, unit):
            is_show = tf_command == "show"
            done = process.run(
                argv, cwd=step.checkout, env=env, timeout=step.timeout_seconds, log=step.log, log_stdout=not is_show
            )
            ok = done.returncode in _PLAN_OK if tf_command == "plan" else done.returncode == 0
            if not ok:
                return self._failed(tf_command, done)
            if is_show:
                try:
                    self._plan = plan.parse(done.stdout)
                except plan.PlanJSONError as e:
                    return Outcome(ok=False, message=str(e))
                summary, resources = plan.summarise(self._plan)
                # Later steps of the job (a policy check) read the plan from here; the checkout is thrown away.
                (step.checkout / unit / PLAN_JSON).write_text(done.stdout)
                step.log(_describe(summary, resources))
            elif tf_command == "output":
                self._outputs = _outputs(done.stdout)
        return Outcome(ok=True, summary=summary, resources=resources)

    def commands(self, action: str, unit: str) -> list[tuple[str, list[str]]]:
        """(tofu command, argv) in order: exactly `terragrunt_cli.commands_for`, what dry-run shows."""
        return [
            (argv[argv.index("--") + 1], argv)
            for argv in terragrunt_cli.commands_for(action, unit, tf_path=self.settings.tf_path or self._tf_path)
        ]

    def _failed(self, tf_command: str, done: process.Completed) -> Outcome:
        if done.timed_out:
            return Outcome(ok=False, message=f"{tf_command} timed out", transient=False)
        kind = transient.classify(done.stderr + "\n" + done.stdout)
        reason = f"{tf_command} failed (exit {done.returncode})" + (f": transient {kind} error" if kind else "")
        return Outcome(ok=False, message=reason, transient=kind is not None)

    def get_output_data(self) -> dict[str, Any]:
        return self._outputs


def _outputs(text: str) -> dict[str, Any]:
    """`output -json` prints {name: {value, type, sensitive}}; sensitive values are not published."""
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return {}
    return {
        k: ("(sensitive)" if v.get("sensitive") else v.get("value")) for k, v in data.items() if isinstance(v, dict)
    }


def _describe(summary: PlanSummary, resources: tuple[str, ...]) -> str:
    head = (
        f"Plan: {summary.add} to add, {summary.change} to change, {summary.destroy} to destroy, "
        f"{summary.replace} to replace."
    )
    return "\n".join([head, *(f"  {r}" for r in resources)])
