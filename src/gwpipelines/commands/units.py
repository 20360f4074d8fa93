"""`gwpipelines units [--reading FILE]...`: the units of a checkout, optionally only those reading some files."""

from __future__ import annotations

from pathlib import Path

import click

from gwpipelines.commands._options import emit_json, format_option, repo_option
from gwpipelines.errors import UserError
from gwpipelines.orchestrator import directory, terragrunt


@click.command("units")
@repo_option
@format_option("text", "json")
@click.option("--reading", "reading", multiple=True, help="Only units reading this file (relative to --repo).")
def command(repo: str, fmt: str, reading: tuple[str, ...]) -> None:
    """List the Terragrunt units, sorted; with --reading, only those that read one of the files."""
    analysis = analyse_directory(Path(repo))
    units = sorted(analysis.units)
    if reading:
        wanted: set[str] = set()
        for f in reading:
            rel = _relative(f)
            wanted.update(analysis.readers(rel))
        units = [u for u in units if u in wanted]
    if fmt == "json":
        emit_json({"units": units})
    else:
        for u in units:
            click.echo(u)


def analyse_directory(repo: Path) -> terragrunt.Analysis:
    if not repo.is_dir():
        raise UserError(f"--repo {repo}: no such directory")
    # No diff to narrow the checks to: every file read is parsed in full (once per content), so any syntax error
    # is reported.
    return directory.analyse(repo)


def _relative(path: str) -> str:
    import posixpath

    norm = posixpath.normpath(path.replace("\\", "/"))
    if norm.startswith("../") or norm == ".." or norm.startswith("/"):
        raise UserError(f"--reading {path}: give a path relative to --repo, inside it")
    return norm
