"""The `terragrunt` extension: plan, apply, destroy and plan -destroy of one Terragrunt unit, running exactly the
command lines of `terragrunt_cli` (the ones `dry-run` shows) with OpenTofu or Terraform underneath."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from gwpipelines.extensions import terragrunt_cli, tfrun
from gwpipelines.extensions.base import Extension, ExtensionConfig, ExtensionError, Outcome, Step

# Kept here too: extensions and custom steps import it from this module.
PLAN_JSON = tfrun.PLAN_JSON
UNIT_ACTIONS = frozenset({"plan", "plan-destroy", "apply", "destroy"})


class TerragruntConfig(ExtensionConfig):
    tf_path: str = Field(default=terragrunt_cli.DEFAULT_TF_PATH, description="OpenTofu or Terraform: tofu, terraform.")
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
        if not (step.checkout / step.unit / "terragrunt.hcl").is_file():
            raise ExtensionError(f"{step.unit}/terragrunt.hcl does not exist at this commit")

    def execute(self, step: Step) -> Outcome:
        unit = step.unit or "."
        env = {**step.env, **self.settings.env}
        run = tfrun.run_sequence(commands(step.action, unit, self.settings.tf_path), step, env, unit)
        self._outputs = run.outputs
        return run.outcome

    def get_output_data(self) -> dict[str, Any]:
        return self._outputs


def commands(action: str, unit: str, tf_path: str) -> list[tfrun.Command]:
    """(tofu command, argv) in order: exactly `terragrunt_cli.commands_for`, what dry-run shows."""
    return [(argv[argv.index("--") + 1], argv) for argv in terragrunt_cli.commands_for(action, unit, tf_path=tf_path)]
