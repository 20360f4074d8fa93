"""`gwpipelines config validate [FILE]` and `gwpipelines config schema`: the pipelines repo's pipelines.yml."""

from __future__ import annotations

from pathlib import Path

import click

from gwpipelines import config as pipeline_config
from gwpipelines.commands._options import emit_json, format_option, repo_option


@click.group("config")
def command() -> None:
    """Check pipelines.yml, or print its JSON Schema."""


@command.command("validate")
@repo_option
@format_option("text", "json")
@click.argument("file", type=click.Path(dir_okay=False), default="pipelines.yml")
def validate(repo: str, fmt: str, file: str) -> None:
    """Validate FILE (relative to --repo, the pipelines repo; default pipelines.yml); exit 2 with the file, line and
    key of the first problem."""
    path = Path(repo) / file
    cfg = pipeline_config.load(path)
    if fmt == "json":
        emit_json({"file": str(path), "valid": True, "instances": len(cfg.instances), "steps": list(cfg.core.steps)})
        return
    steps = ", ".join(cfg.core.steps)
    click.echo(f"{path}: valid ({len(cfg.instances)} extension instance(s); unit jobs run: {steps})")


@command.command("schema")
@repo_option
@format_option("text", "json")
def schema(repo: str, fmt: str) -> None:
    """Print pipelines.yml's JSON Schema (for editors), built from the installed extensions. The schema is a JSON
    document, so text and json print the same; --repo is accepted like everywhere and not read."""
    emit_json(pipeline_config.schema())
