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


def tf_commands(action: str) -> list[list[str]]:
    """The OpenTofu/Terraform commands (the arguments after the binary) a unit job runs, in order; the `opentofu`
    and `terraform` extensions run the same ones on a root module. Account jobs run none."""
    act = Action(action)
    if act not in (Action.PLAN, Action.PLAN_DESTROY, Action.APPLY, Action.DESTROY):
        return []
    destroy = ["-destroy"] if act in (Action.PLAN_DESTROY, Action.DESTROY) else []
    commands = [
        # A saved plan; `-detailed-exitcode` makes 2 mean "changes present", not failure.
        ["plan", *destroy, "-no-color", "-input=false", "-detailed-exitcode", f"-out={PLAN_FILE}"],
        ["show", "-no-color", "-json", PLAN_FILE],
    ]
    if act in (Action.APPLY, Action.DESTROY):
        # Apply the saved plan: no approval prompt is asked for a saved plan, and nothing unreviewed slips in.
        commands.append(["apply", "-no-color", "-input=false", PLAN_FILE])
    if act is Action.APPLY:
        # The unit's outputs after an apply, for the pipeline state and the report (and its dependents' reads).
        commands.append(["output", "-no-color", "-json"])
    return commands


def commands_for(action: str, unit: str, *, tf_path: str = DEFAULT_TF_PATH) -> list[list[str]]:
    """The argv lists a unit job runs, in order: `tf_commands` through `terragrunt run`."""
    return [_run(unit, tf_path, *args) for args in tf_commands(action)]
