"""The `terragrunt` extension: plan, apply, destroy and plan -destroy of one Terragrunt unit, running exactly the
command lines of `terragrunt_cli` (the ones `dry-run` shows) with OpenTofu or Terraform underneath."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from gwpipelines.extensions import process, terragrunt_cli, tfrun, tool_env
from gwpipelines.extensions.base import Extension, ExtensionConfig, ExtensionError, Outcome, Step

# Kept here too: extensions and custom steps import it from this module.
PLAN_JSON = tfrun.PLAN_JSON
UNIT_ACTIONS = frozenset({"plan", "plan-destroy", "apply", "destroy"})


class TerragruntConfig(ExtensionConfig):
    tf_path: str | None = Field(
        default=None,
        description="OpenTofu or Terraform: tofu, terraform (or a path). Unset: TG_TF_PATH if the job's environment "
        "sets it, else tofu.",
    )
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment (e.g. TG_PROVIDER_CACHE=1).")


class TerragruntExtension(Extension):
    Config: ClassVar[type[ExtensionConfig]] = TerragruntConfig
    actions: ClassVar[frozenset[str]] = UNIT_ACTIONS

    def __init__(self, name: str, config: ExtensionConfig, unit: str | None) -> None:
        super().__init__(name, config, unit)
        assert isinstance(config, TerragruntConfig)
        self.settings = config
        self._outputs: dict[str, Any] = {}

    def initialize(self, step: Step) -> None:
        if step.unit is None:
            raise ExtensionError("terragrunt runs units; this job has none")
        stack = terragrunt_cli.generating_stack(step.checkout, step.unit)
        if stack is not None:  # a unit a stack generates: Terragrunt writes it first
            argv = terragrunt_cli.stack_generate(stack)
            env = {**step.env, **self.settings.env}
            done = process.run(argv, cwd=step.checkout, env=env, timeout=step.timeout_seconds, log=step.log)
            if done.returncode != 0:
                raise ExtensionError(f"terragrunt stack generate in {stack} failed (exit {done.returncode})")
        if not (step.checkout / step.unit / "terragrunt.hcl").is_file():
            raise ExtensionError(f"{step.unit}/terragrunt.hcl does not exist at this commit")

    def execute(self, step: Step) -> Outcome:
        unit = step.unit or "."
        env = {**step.env, **self.settings.env}
        tf_path = tool_env.tf_path(env, self.settings.tf_path, terragrunt_cli.DEFAULT_TF_PATH)
        env = {**tool_env.defaults(env, tf_path=tf_path), **env}
        run = tfrun.run_sequence(commands(step.action, unit, tf_path), step, env, unit)
        self._outputs = run.outputs
        return run.outcome

    def get_output_data(self) -> dict[str, Any]:
        return self._outputs


def commands(action: str, unit: str, tf_path: str) -> list[tfrun.Command]:
    """(tofu command, argv) in order: exactly `terragrunt_cli.commands_for`, what dry-run shows."""
    return [(argv[argv.index("--") + 1], argv) for argv in terragrunt_cli.commands_for(action, unit, tf_path=tf_path)]
