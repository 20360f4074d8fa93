"""A pip-installable gwpipelines extension, the way a third party would write one: it reads the plan the
terragrunt step saved and fails the job when the plan destroys or replaces more than `max_destroy` resources."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import Field

from gwpipelines.extensions.base import Extension, ExtensionConfig, ExtensionError, Outcome, Step

PLAN_JSON = "gwpipelines-plan.json"


class PlanPolicyConfig(ExtensionConfig):
    max_destroy: int = Field(default=0, ge=0, description="Most resources a plan may destroy or replace.")


class PlanPolicy(Extension):
    Config: ClassVar[type[ExtensionConfig]] = PlanPolicyConfig
    actions: ClassVar[frozenset[str]] = frozenset({"plan", "plan-destroy"})
    core_min: ClassVar[str] = "0.1"
    core_max: ClassVar[str] = "1.0"

    def initialize(self, step: Step) -> None:
        self._plan_path = step.checkout / (step.unit or ".") / PLAN_JSON
        if not self._plan_path.is_file():
            raise ExtensionError(f"no saved plan at {PLAN_JSON}: run plan-policy after the terragrunt step")
        self._verdict: dict[str, Any] = {}

    def execute(self, step: Step) -> Outcome:
        assert isinstance(self.config, PlanPolicyConfig)
        plan = json.loads(self._plan_path.read_text())
        doomed = [
            rc["address"]
            for rc in plan.get("resource_changes", [])
            if "delete" in rc.get("change", {}).get("actions", [])
        ]
        self._verdict = {"policy_destroyed": len(doomed)}
        if len(doomed) > self.config.max_destroy:
            step.log(f"plan-policy: {len(doomed)} resource(s) destroyed, at most {self.config.max_destroy} allowed")
            return Outcome(ok=False, message=f"destroys {', '.join(doomed)} (max_destroy {self.config.max_destroy})")
        step.log(f"plan-policy: ok ({len(doomed)} destroyed)")
        return Outcome(ok=True)

    def get_output_data(self) -> dict[str, Any]:
        return self._verdict
