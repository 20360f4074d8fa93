"""`gwpipelines config validate [FILE]` and `gwpipelines config schema [pipelines|accounts]`: the pipelines repo's
pipelines.yml, and the JSON Schemas of it and of the live repo's accounts.yml."""

from __future__ import annotations

from pathlib import Path

import click

from gwpipelines import config as pipeline_config
from gwpipelines import schemas
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
@click.argument("which", type=click.Choice(["pipelines", "accounts"]), default="pipelines")
def schema(repo: str, fmt: str, which: str) -> None:
    """Print the JSON Schema (for editors) of pipelines.yml (default; built from the installed extensions) or of
    the live repo's accounts.yml. The schema is a JSON document, so text and json print the same; --repo is
    accepted like everywhere and not read."""
    emit_json(schemas.pipelines() if which == "pipelines" else schemas.accounts_file())
