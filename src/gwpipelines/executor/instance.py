"""One extension instance through its lifecycle, once: as a step of a job (`run_instance`) or as a plan check
(`check_instance`). Cleanup always runs; an extension's bug fails its job, never the run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gwpipelines.config import Instance
from gwpipelines.extensions.base import Extension, ExtensionError, Outcome, Step
from gwpipelines.models import Job


@dataclass(frozen=True)
class InstanceRun:
    name: str
    outcome: Outcome
    attempts: int
    outputs: dict[str, Any]


def run_instance(inst: Instance, job: Job, step: Step) -> tuple[Outcome, dict[str, Any]]:
    """One attempt of one instance: initialize, execute, get_output_data, cleanup."""
    step.log(f"-- {inst.name} ({inst.extension}): {job.action}")
    return _lifecycle(inst, job, step, lambda ext: ext.execute(step))


def check_instance(inst: Instance, job: Job, step: Step, plan: Mapping[str, Any]) -> tuple[Outcome, dict[str, Any]]:
    """One plan check: initialize, check_plan, get_output_data, cleanup."""
    step.log(f"-- {inst.name} ({inst.extension}): checking the saved plan before {job.action}")
    return _lifecycle(inst, job, step, lambda ext: ext.check_plan(step, plan))


def _lifecycle(
    inst: Instance, job: Job, step: Step, work: Callable[[Extension], Outcome]
) -> tuple[Outcome, dict[str, Any]]:
    try:
        ext = inst.cls(inst.name, inst.config, job.unit)
    except Exception as e:
        return Outcome(ok=False, message=f"extension '{inst.extension}' could not start: {e}"), {}
    try:
        ext.initialize(step)
        outcome = work(ext)
        outputs = ext.get_output_data() if outcome.ok else {}
    except ExtensionError as e:
        outcome, outputs = Outcome(ok=False, message=str(e)), {}
    except Exception as e:  # a bug in an extension fails its job, never the run
        outcome, outputs = (
            Outcome(ok=False, message=f"extension '{inst.extension}' crashed: {type(e).__name__}: {e}"),
            {},
        )
    finally:
        try:
            ext.cleanup()
        except Exception as e:
            step.log(f"-- {inst.name}: cleanup failed: {type(e).__name__}: {e}")
    if not outcome.ok:
        step.log(f"-- {inst.name}: failed: {outcome.message}")
    return outcome, outputs
