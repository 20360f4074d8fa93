"""A job's plan checks (policies): run between the saved plan and the apply, handed the plan's JSON; any refusal
stops the apply. Every check runs on every plan (all verdicts are shown), the first refusal is the answer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from gwpipelines.config import Instance
from gwpipelines.executor.instance import InstanceRun, check_instance
from gwpipelines.extensions.base import Outcome, Step
from gwpipelines.models import Job


class PlanChecks:
    def __init__(self, checks: tuple[Instance, ...], job: Job, step_for: Callable[[Instance], Step]) -> None:
        self.checks = checks
        self.job = job
        self.step_for = step_for
        self.runs: dict[str, InstanceRun] = {}
        self.seen = False
        self._lock = threading.Lock()  # one job's steps may hand plans from several threads

    def __call__(self, plan: Mapping[str, Any]) -> Outcome:
        with self._lock:
            self.seen = True
            refusal: Outcome | None = None
            for inst in self.checks:
                outcome, outputs = check_instance(inst, self.job, self.step_for(inst), plan)
                self.runs[inst.name] = InstanceRun(inst.name, outcome, 1, outputs)
                if not outcome.ok and refusal is None:
                    refusal = Outcome(ok=False, message=f"{inst.name}: {outcome.message}")
            return refusal or Outcome(ok=True)

    def unseen(self) -> str:
        """Why the job fails when checks exist but no step handed them a plan; empty otherwise."""
        if not self.checks or self.seen:
            return ""
        names = ", ".join(i.name for i in self.checks)
        return f"plan checks not run: {names}: no step of this job produced a saved plan for them to check"
