"""`gwpipelines graph`: every unit with the units its dependency blocks name (json, dot or mermaid)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypedDict

import click

from gwpipelines.commands._options import emit_json, format_option, repo_option
from gwpipelines.commands.units import analyse_directory


class GraphUnit(TypedDict):
    path: str
    dependencies: list[str]


@click.command("graph")
@repo_option
@format_option("json", "dot", "mermaid", "text", default="text")
def command(repo: str, fmt: str) -> None:
    """Print the dependency graph of the units."""
    analysis = analyse_directory(Path(repo))
    units: list[GraphUnit] = [
        {"path": p, "dependencies": list(analysis.units[p].dependencies)} for p in sorted(analysis.units)
    ]
    if fmt == "json":
        emit_json({"units": units})
    elif fmt == "dot":
        click.echo(to_dot(units))
    elif fmt == "mermaid":
        click.echo(to_mermaid(units))
    else:
        for u in units:
            deps = ", ".join(u["dependencies"]) or "-"
            click.echo(f"{u['path']}: {deps}")


def to_dot(units: list[GraphUnit]) -> str:
    lines = ["digraph units {", "  rankdir=LR;"]
    for u in units:
        lines.append(f'  "{u["path"]}";')
        for d in u["dependencies"]:
            lines.append(f'  "{u["path"]}" -> "{d}";')
    lines.append("}")
    return "\n".join(lines)


def mermaid_id(path: str) -> str:
    return "u_" + re.sub(r"[^A-Za-z0-9_]", "_", path)


def to_mermaid(units: list[GraphUnit]) -> str:
    lines = ["graph LR"]
    for u in units:
        path = u["path"]
        lines.append(f'  {mermaid_id(path)}["{path}"]')
    for u in units:
        for d in u["dependencies"]:
            lines.append(f"  {mermaid_id(u['path'])} --> {mermaid_id(d)}")
    return "\n".join(lines)
