"""A pip-installable gwpipelines extension, the way a third party would write one: a plan check. The executor hands
it every saved plan of a job between the plan and the apply; it refuses a plan that destroys or replaces more than
`max_destroy` resources, and a refused plan is never applied."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field

from gwpipelines.extensions.base import Extension, ExtensionConfig, ExtensionError, Outcome, Step

PLAN_JSON = "gwpipelines-plan.json"


class PlanPolicyConfig(ExtensionConfig):
    max_destroy: int = Field(default=0, ge=0, description="Most resources a plan may destroy or replace.")


class PlanPolicy(Extension):
    Config: ClassVar[type[ExtensionConfig]] = PlanPolicyConfig
    actions: ClassVar[frozenset[str]] = frozenset({"plan", "plan-destroy", "apply", "destroy"})
    core_min: ClassVar[str] = "0.1"
    core_max: ClassVar[str] = "1.0"

    @classmethod
    def checks_plan(cls, config: ExtensionConfig) -> bool:
        return True

    def initialize(self, step: Step) -> None:
        self._verdict: dict[str, Any] = {}

    def check_plan(self, step: Step, plan: Mapping[str, Any]) -> Outcome:
        assert isinstance(self.config, PlanPolicyConfig)
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

    def execute(self, step: Step) -> Outcome:
        """Only as a plan check (see checks_plan); as a step of its own it reads the plan an earlier step saved."""
        path = step.checkout / (step.unit or ".") / PLAN_JSON
        if not path.is_file():
            raise ExtensionError(f"no saved plan at {PLAN_JSON}: run plan-policy after the terragrunt step")
        return self.check_plan(step, json.loads(path.read_text()))

    def get_output_data(self) -> dict[str, Any]:
        return self._verdict
