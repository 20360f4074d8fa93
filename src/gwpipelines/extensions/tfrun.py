"""The saved-plan sequence every OpenTofu/Terraform-based extension runs (terragrunt, opentofu, terraform): plan to
a file, `show -json` it (the summary comes from that), then for apply/destroy apply that very plan and read the
outputs. Plain functions an extension calls with its own command lines; no base class to inherit."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gwpipelines.extensions import plan, process, transient
from gwpipelines.extensions.base import Outcome, Step
from gwpipelines.models.results import PlanSummary

# Where the saved plan's JSON is left in the unit's directory for later steps of the job (a policy check).
PLAN_JSON = "gwpipelines-plan.json"
# `-detailed-exitcode`: 0 no changes, 2 changes present (both success), anything else an error.
_PLAN_OK = (0, 2)

# (tool command, argv): the tool command (`plan`, `show`, `apply`, `output`, `init`) names what the argv does.
Command = tuple[str, list[str]]


@dataclass
class Run:
    """What the sequence produced: the outcome, the saved plan's JSON and the outputs after an apply."""

    outcome: Outcome
    plan: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)


def run_sequence(commands: Sequence[Command], step: Step, env: Mapping[str, str], unit: str) -> Run:
    """Run `commands` in order in the checkout; the first failure ends the sequence."""
    summary: PlanSummary = PlanSummary()
    resources: tuple[str, ...] = ()
    result = Run(Outcome(ok=True))
    plan_json = step.checkout / unit / PLAN_JSON
    for tf_command, argv in commands:
        is_show = tf_command == "show"
        # The plan's JSON streams to its file (later steps of the job read it there): any size, never cut.
        done = process.run(
            argv,
            cwd=step.checkout,
            env=env,
            timeout=step.timeout_seconds,
            log=step.log,
            log_stdout=not is_show,
            grace=step.stop_grace_seconds,
            stdout_to=plan_json if is_show else None,
        )
        ok = done.returncode in _PLAN_OK if tf_command == "plan" else done.returncode == 0
        if not ok:
            result.outcome = failed(tf_command, done)
            return result
        if is_show:
            try:
                result.plan = plan.load(plan_json)
            except plan.PlanJSONError as e:
                result.outcome = Outcome(ok=False, message=str(e))
                return result
            summary, resources = plan.summarise(result.plan)
            step.log(describe(summary, resources))
            verdict = step.check_plan(result.plan)
            if not verdict.ok:  # before any apply: a refused plan is never applied
                step.log(f"-- plan refused, not applied: {verdict.message}")
                result.outcome = Outcome(
                    ok=False, summary=summary, resources=resources, message=f"plan refused: {verdict.message}"
                )
                return result
        elif tf_command == "output":
            result.outputs = outputs(done.stdout)
    result.outcome = Outcome(ok=True, summary=summary, resources=resources)
    return result


def failed(tf_command: str, done: process.Completed) -> Outcome:
    """A failed command as an outcome: transient (worth another attempt) when its output says so."""
    killed = f" and was killed: {process.LOCK_WARNING}" if done.killed else ""
    if done.timed_out:
        return Outcome(ok=False, message=f"{tf_command} timed out{killed}", transient=False)
    if done.killed:
        return Outcome(ok=False, message=f"{tf_command} was stopped{killed}", transient=False)
    kind = transient.classify(done.stderr + "\n" + done.stdout)
    reason = f"{tf_command} failed (exit {done.returncode})" + (f": transient {kind} error" if kind else "")
    return Outcome(ok=False, message=reason, transient=kind is not None)


def outputs(text: str) -> dict[str, Any]:
    """`output -json` prints {name: {value, type, sensitive}}; sensitive values are not published."""
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return {}
    return {
        k: ("(sensitive)" if v.get("sensitive") else v.get("value")) for k, v in data.items() if isinstance(v, dict)
    }


def describe(summary: PlanSummary, resources: tuple[str, ...]) -> str:
    head = (
        f"Plan: {summary.add} to add, {summary.change} to change, {summary.destroy} to destroy, "
        f"{summary.replace} to replace."
    )
    return "\n".join([head, *(f"  {r}" for r in resources)])
