"""`gwpipelines config validate FILE` and `gwpipelines config schema`: the pipelines repo's pipelines.yml."""

from __future__ import annotations

from pathlib import Path

import click

from gwpipelines import config as pipeline_config
from gwpipelines.commands._options import emit_json


@click.group("config")
def command() -> None:
    """Check pipelines.yml, or print its JSON Schema."""


@command.command("validate")
@click.argument("file", type=click.Path(dir_okay=False))
def validate(file: str) -> None:
    """Validate FILE; exit 2 with the file, line and key of the first problem."""
    cfg = pipeline_config.load(Path(file))
    steps = ", ".join(cfg.core.steps)
    click.echo(f"{file}: valid ({len(cfg.instances)} extension instance(s); unit jobs run: {steps})")


@command.command("schema")
def schema() -> None:
    """Print pipelines.yml's JSON Schema (for editors), built from the installed extensions."""
    emit_json(pipeline_config.schema())
