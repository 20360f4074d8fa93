"""`gwpipelines orchestrate --base REF --head REF --event pull_request|push`: changes and ordered jobs."""

from __future__ import annotations

from pathlib import Path

import click

from gwpipelines import orchestrator
from gwpipelines.commands._options import emit_json, format_option, repo_option
from gwpipelines.models import Orchestration
from gwpipelines.orchestrator.options import Options

EVENTS = click.Choice(["pull_request", "push"])


@click.command("orchestrate")
@repo_option
@format_option("text", "json", "matrix")
@click.option("--base", required=True, help="The commit the change starts from (PR base, or push `before`).")
@click.option("--head", required=True, help="The commit to plan or apply (PR head, or push `after`).")
@click.option("--event", type=EVENTS, required=True, help="pull_request plans; push applies or destroys.")
@click.option(
    "--plan-dependents", is_flag=True, help="Also plan/apply the units that depend on a changed unit (transitively)."
)
@click.option(
    "--ignore",
    "ignore",
    multiple=True,
    metavar="GLOB",
    help="Never plan changed paths matching GLOB (repeatable; `*` within a folder, `**` across, `{a,b}`).",
)
def command(
    repo: str, fmt: str, base: str, head: str, event: str, plan_dependents: bool, ignore: tuple[str, ...]
) -> None:
    """Turn a git diff into typed infrastructure changes and ordered jobs."""
    options = Options(plan_dependents=plan_dependents, ignore=ignore)
    result = orchestrator.orchestrate(Path(repo), base, head, event, options=options)
    if fmt == "json":
        emit_json(result.to_json())
    elif fmt == "matrix":
        from gwpipelines.orchestrator import matrix  # (only here: a JSON run need not import it)

        emit_json(matrix.to_matrix(result.jobs))
    else:
        click.echo(render_text(result))


def render_text(o: Orchestration) -> str:
    lines = [f"{o.event}: {o.base[:12]}..{o.head[:12]}", "", f"Changes ({len(o.changes)}):"]
    for c in o.changes:
        lines.append(f"  {c.type:<17} {c.unit or c.account}  ({', '.join(c.files)})")
    if o.ignored:
        lines += ["", f"Ignored files ({len(o.ignored)}):", *(f"  {f}" for f in o.ignored)]
    if o.warnings:
        lines += ["", f"Warnings ({len(o.warnings)}):", *(f"  ! {w}" for w in o.warnings)]
    lines += ["", f"Jobs ({len(o.jobs)}):"]
    for j in o.jobs:
        needs = f"  needs {', '.join(j.needs)}" if j.needs else ""
        lines.append(f"  wave {j.wave}  {j.id}  @{j.ref[:12]}{needs}")
    return "\n".join(lines)
