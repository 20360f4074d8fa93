"""`gwpipelines event`: what the running workflow's GitHub event asks for (base, head, event, PR, repository)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import click

from gwpipelines.commands._options import emit_json, format_option, repo_option
from gwpipelines.github import events
from gwpipelines.github.actions import Runner


@click.command("event")
@repo_option
@format_option("text", "json")
@click.option("--event-path", type=click.Path(dir_okay=False), help="The payload file [default: $GITHUB_EVENT_PATH].")
@click.option("--event-name", help="pull_request or push [default: $GITHUB_EVENT_NAME].")
def command(repo: str, fmt: str, event_path: str | None, event_name: str | None) -> None:
    """Parse the event payload; a push that creates a branch gets the merge-base with the default branch as base."""
    runner = Runner.from_mapping(os.environ)
    runner = dataclasses.replace(
        runner, event_path=event_path or runner.event_path, event_name=event_name or runner.event_name
    )
    context = events.from_runner(
        runner, hint="pass --event-path FILE and --event-name pull_request|push, or run inside GitHub Actions"
    )
    if context.base is None:
        context = dataclasses.replace(context, base=events.new_branch_base(context, Path(repo)))
    if fmt == "json":
        emit_json(context.to_json())
        return
    pr = f" #{context.pr}" if context.pr is not None else ""
    new = " (new branch)" if context.new_branch else ""
    click.echo(f"{context.event} {context.repo}{pr} {context.branch}{new}: {context.base}..{context.head}")
