"""The Terragrunt command lines a job runs: one place, so the dry-run shows exactly what the executor runs.

Terragrunt's current CLI (`terragrunt run [flags] -- <tofu command>`): `--working-dir` picks the unit,
`--non-interactive` answers prompts, `--tf-path` picks OpenTofu or Terraform. Every job first writes a saved plan
and shows it as JSON (the summary comes from that); apply and destroy then apply that very plan, so what runs is what
was summarised.
"""

from __future__ import annotations

import posixpath
from pathlib import Path

from gwpipelines.models import Action
from gwpipelines.models.units import STACK_FILE

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


def stack_generate(stack_dir: str) -> list[str]:
    """`terragrunt stack generate` in a stack's folder: writes the units of its terragrunt.stack.hcl (nested stacks
    too) under it, as a job on a generated unit needs before it runs."""
    return [TERRAGRUNT, "stack", "generate", "--working-dir", stack_dir, "--non-interactive", "--no-color"]


def generating_stack(checkout: Path, unit: str) -> str | None:
    """The folder of the nearest terragrunt.stack.hcl above a unit that has no terragrunt.hcl of its own (one
    that a stack generates, `<stack>/.terragrunt-stack/<path>`), or None."""
    if (checkout / unit / "terragrunt.hcl").is_file():
        return None
    d = posixpath.dirname(unit)
    while True:
        if (checkout / d / STACK_FILE).is_file():
            return d or "."
        if not d:
            return None
        d = posixpath.dirname(d)
