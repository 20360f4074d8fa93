"""`gwpipelines dry-run`: the orchestrator's answer for people, offline. The changes, the jobs in the order they
would run, the exact command each job runs, and the pull-request comment that would be posted."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from gwpipelines import orchestrator
from gwpipelines.commands._options import emit_json, format_option, repo_option
from gwpipelines.extensions.terragrunt_cli import commands_for
from gwpipelines.models import Action, Event, Job, Orchestration

RULE = "-" * 78


@click.command("dry-run")
@repo_option
@format_option("text", "json")
@click.option("--base", required=True, help="The commit the change starts from.")
@click.option("--head", required=True, help="The commit to plan or apply.")
@click.option(
    "--event",
    type=click.Choice(["pull_request", "push"]),
    default="pull_request",
    show_default=True,
    help="pull_request plans; push applies or destroys.",
)
def command(repo: str, fmt: str, base: str, head: str, event: str) -> None:
    """Show what a pull request or a push would do, without running anything."""
    result = orchestrator.orchestrate(Path(repo), base, head, event)
    commands = {j.id: job_commands(j) for j in result.jobs}
    comment = _comment(result)
    if fmt == "json":
        emit_json({**result.to_json(), "commands": commands, "comment": comment})
    else:
        click.echo(render(result, commands, comment))


def job_commands(job: Job) -> list[str]:
    """The commands a job runs, as shell-quoted lines (account jobs describe their API calls)."""
    if job.action is Action.ACCOUNT_PLAN:
        return [
            f"# account factory: check that account '{job.account}' can be created (OU exists, name and email unused)"
        ]
    if job.action is Action.ACCOUNT_CREATE:
        return [
            f"# account factory: create account '{job.account}' in AWS Organizations, move it into its OU, "
            "and open the baseline pull request"
        ]
    return [shlex.join(argv) for argv in commands_for(str(job.action), job.unit or ".")]


def _comment(result: Orchestration) -> str:
    """What the reporter would post first: the pull request's sticky comment, or for a push the comment on the
    merged pull request."""
    from gwpipelines.dispatcher.comment import render_comment
    from gwpipelines.dispatcher.loop import Progress
    from gwpipelines.dispatcher.reporter import merged_comment

    if result.event is Event.PUSH:
        return merged_comment(result, Progress(), sha=result.head)
    return render_comment(result)[0]


def render(o: Orchestration, commands: dict[str, list[str]], comment: str) -> str:
    lines = [
        f"gwpipelines dry-run: {o.event}, base {o.base[:12]} -> head {o.head[:12]} (offline: nothing is run)",
        "",
        f"Changes ({len(o.changes)})",
    ]
    width = max((len(str(c.unit or c.account)) for c in o.changes), default=0)
    for c in o.changes:
        lines.append(f"  {c.type:<17} {c.unit or c.account!s:<{width}}  {', '.join(c.files)}")
    lines += ["", f"Ignored files ({len(o.ignored)})", *(f"  {f}" for f in o.ignored)]
    lines += ["", f"Warnings ({len(o.warnings)})", *(f"  ! {w}" for w in o.warnings)]
    lines += ["", f"Jobs ({len(o.jobs)}), in the order they run"]
    wave = None
    for j in o.jobs:
        if j.wave != wave:
            wave = j.wave
            lines.append(f"  wave {wave}")
        where = "base" if j.ref == o.base and j.ref != o.head else "head"
        lines.append(f"    {j.id}  [{', '.join(j.change_types)}]  account {j.account or '-'}, at {where} {j.ref[:12]}")
        if j.needs:
            lines.append(f"      needs {', '.join(j.needs)}")
        lines += [f"      $ {c}" if not c.startswith("#") else f"      {c}" for c in commands[j.id]]
    where = "Comment on the merged pull request" if o.event is Event.PUSH else "Pull-request comment"
    lines += ["", f"{where} that would be posted", RULE, comment.rstrip("\n"), RULE]
    return "\n".join(lines)
