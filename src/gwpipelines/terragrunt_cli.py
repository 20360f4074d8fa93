"""The Terragrunt command lines a job runs: one place, so the dry-run shows exactly what the executor runs.

Terragrunt's current CLI (`terragrunt run [flags] -- <tofu command>`): `--working-dir` picks the unit,
`--non-interactive` answers prompts, `--tf-path` picks OpenTofu or Terraform. Every job first writes a saved plan
and shows it as JSON (the summary comes from that); apply and destroy then apply that very plan, so what runs is what
was summarised.
"""

from __future__ import annotations

from gwpipelines.models import Action

PLAN_FILE = "gwpipelines.tfplan"
TERRAGRUNT = "terragrunt"
DEFAULT_TF_PATH = "tofu"


def _run(unit: str, tf_path: str, *tf_args: str) -> list[str]:
    return [
        TERRAGRUNT,
        "run",
        "--working-dir",
        unit,
        "--non-interactive",
        "--no-color",
        "--tf-path",
        tf_path,
        "--",
        *tf_args,
    ]


def plan_command(unit: str, *, destroy: bool = False, tf_path: str = DEFAULT_TF_PATH) -> list[str]:
    """`plan` with a saved plan file; `-detailed-exitcode` makes 2 mean "changes present", not failure."""
    flags = ["-destroy"] if destroy else []
    return _run(unit, tf_path, "plan", *flags, "-no-color", "-input=false", "-detailed-exitcode", f"-out={PLAN_FILE}")


def show_command(unit: str, *, tf_path: str = DEFAULT_TF_PATH) -> list[str]:
    return _run(unit, tf_path, "show", "-no-color", "-json", PLAN_FILE)


def apply_command(unit: str, *, tf_path: str = DEFAULT_TF_PATH) -> list[str]:
    """Apply the saved plan: no approval prompt is asked for a saved plan, and nothing unreviewed slips in."""
    return _run(unit, tf_path, "apply", "-no-color", "-input=false", PLAN_FILE)


def output_command(unit: str, *, tf_path: str = DEFAULT_TF_PATH) -> list[str]:
    """The unit's outputs after an apply, for the pipeline state and the report (and its dependents' reads)."""
    return _run(unit, tf_path, "output", "-no-color", "-json")


def commands_for(action: str, unit: str, *, tf_path: str = DEFAULT_TF_PATH) -> list[list[str]]:
    """The argv lists a unit job runs, in order. Account jobs run no Terragrunt: they have none."""
    act = Action(action)
    if act in (Action.PLAN, Action.PLAN_DESTROY):
        return [
            plan_command(unit, destroy=act is Action.PLAN_DESTROY, tf_path=tf_path),
            show_command(unit, tf_path=tf_path),
        ]
    if act in (Action.APPLY, Action.DESTROY):
        return [
            plan_command(unit, destroy=act is Action.DESTROY, tf_path=tf_path),
            show_command(unit, tf_path=tf_path),
            apply_command(unit, tf_path=tf_path),
            *([output_command(unit, tf_path=tf_path)] if act is Action.APPLY else []),
        ]
    return []
