"""The `opentofu` and `terraform` extensions: a plain root module (a directory of .tf files, no Terragrunt), with
the same plan -> show -json -> apply-the-saved-plan sequence as the terragrunt extension (`tfrun`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from gwpipelines.extensions import terragrunt_cli, tfrun, tool_env
from gwpipelines.extensions.base import Extension, ExtensionConfig, ExtensionError, Outcome, Step
from gwpipelines.extensions.terragrunt import UNIT_ACTIONS


class RootModuleConfig(ExtensionConfig):
    binary: str = Field(default="", description="The executable (default: tofu for opentofu, terraform for terraform).")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment.")


class OpenTofuExtension(Extension):
    Config: ClassVar[type[ExtensionConfig]] = RootModuleConfig
    actions: ClassVar[frozenset[str]] = UNIT_ACTIONS
    default_binary: ClassVar[str] = "tofu"

    def __init__(self, name: str, config: ExtensionConfig, unit: str | None) -> None:
        super().__init__(name, config, unit)
        assert isinstance(config, RootModuleConfig)
        self.settings = config
        self._outputs: dict[str, Any] = {}

    @property
    def binary(self) -> str:
        return self.settings.binary or self.default_binary

    def initialize(self, step: Step) -> None:
        unit_dir = step.checkout / (step.unit or ".")
        if not unit_dir.is_dir() or not any(unit_dir.glob("*.tf")):
            raise ExtensionError(
                f"{step.unit}: no .tf files here; the {self.default_binary} extension runs root modules"
            )

    def execute(self, step: Step) -> Outcome:
        unit = step.unit or "."
        env = {**step.env, **tool_env.AUTOMATION, **self.settings.env}
        run = tfrun.run_sequence(commands(self.binary, step.action, unit), step, env, unit)
        self._outputs = run.outputs
        return run.outcome

    def get_output_data(self) -> dict[str, Any]:
        return self._outputs


class TerraformExtension(OpenTofuExtension):
    default_binary: ClassVar[str] = "terraform"


def commands(binary: str, action: str, unit: str) -> list[tfrun.Command]:
    """`init`, then the commands of `terragrunt_cli.tf_commands` run directly on the module."""
    prefix = [binary, f"-chdir={unit}"]
    init = ["init", "-input=false", "-no-color"]
    return [(args[0], [*prefix, *args]) for args in [init, *terragrunt_cli.tf_commands(action)]]
