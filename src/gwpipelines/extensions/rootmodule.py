"""The `opentofu` and `terraform` extensions: a plain root module (a directory of .tf files, no Terragrunt), with
the same plan -> show -json -> apply-the-saved-plan sequence as the terragrunt extension."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from gwpipelines.extensions import terragrunt_cli, tool_env
from gwpipelines.extensions.base import ExtensionConfig, ExtensionError, Step
from gwpipelines.extensions.terragrunt import TerragruntExtension


class RootModuleConfig(ExtensionConfig):
    binary: str = Field(default="", description="The executable (default: tofu for opentofu, terraform for terraform).")
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment.")


class OpenTofuExtension(TerragruntExtension):
    Config: ClassVar[type[ExtensionConfig]] = RootModuleConfig
    default_binary: ClassVar[str] = "tofu"

    @property
    def binary(self) -> str:
        assert isinstance(self.config, RootModuleConfig)
        return self.config.binary or self.default_binary

    def initialize(self, step: Step) -> None:
        unit_dir = step.checkout / (step.unit or ".")
        if not unit_dir.is_dir() or not any(unit_dir.glob("*.tf")):
            raise ExtensionError(
                f"{step.unit}: no .tf files here; the {self.default_binary} extension runs root modules"
            )

    def resolve_tf_path(self, env: dict[str, str]) -> str:
        return self.binary

    def extra_env(self) -> dict[str, str]:
        assert isinstance(self.config, RootModuleConfig)
        return {**tool_env.AUTOMATION, **self.config.env}

    def commands(self, action: str, unit: str) -> list[tuple[str, list[str]]]:
        """`init`, then the commands of `terragrunt_cli.tf_commands` run directly on the module."""
        prefix = [self.binary, f"-chdir={unit}"]
        init = ["init", "-input=false", "-no-color"]
        return [(args[0], [*prefix, *args]) for args in [init, *terragrunt_cli.tf_commands(action)]]


class TerraformExtension(OpenTofuExtension):
    default_binary: ClassVar[str] = "terraform"
