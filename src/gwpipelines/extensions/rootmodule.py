"""The `opentofu` and `terraform` extensions: a plain root module (a directory of .tf files, no Terragrunt), with
the same plan -> show -json -> apply-the-saved-plan sequence as the terragrunt extension."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from gwpipelines.extensions.base import ExtensionConfig, ExtensionError, Step
from gwpipelines.extensions.terragrunt import TerragruntExtension
from gwpipelines.terragrunt_cli import PLAN_FILE


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

    def extra_env(self) -> dict[str, str]:
        assert isinstance(self.config, RootModuleConfig)
        return {"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", **self.config.env}

    def commands(self, action: str, unit: str) -> list[tuple[str, list[str]]]:
        def tf(*args: str) -> tuple[str, list[str]]:
            return args[0], [self.binary, f"-chdir={unit}", *args]

        destroy = ["-destroy"] if action in ("plan-destroy", "destroy") else []
        steps = [
            tf("init", "-input=false", "-no-color"),
            tf("plan", *destroy, "-no-color", "-input=false", "-detailed-exitcode", f"-out={PLAN_FILE}"),
            tf("show", "-no-color", "-json", PLAN_FILE),
        ]
        if action in ("apply", "destroy"):
            steps.append(tf("apply", "-no-color", "-input=false", PLAN_FILE))
        if action == "apply":
            steps.append(tf("output", "-no-color", "-json"))
        return steps


class TerraformExtension(OpenTofuExtension):
    default_binary: ClassVar[str] = "terraform"
