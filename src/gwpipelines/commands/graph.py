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
        lines.append(f"  {_dot_id(u['path'])};")
        for d in u["dependencies"]:
            lines.append(f"  {_dot_id(u['path'])} -> {_dot_id(d)};")
    lines.append("}")
    return "\n".join(lines)


def _dot_id(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _nodes(units: list[GraphUnit]) -> list[str]:
    """Every node: the units, then dependencies outside them (a `../` path), each once, in a stable order."""
    paths = [u["path"] for u in units]
    known = set(paths)
    extra = sorted({d for u in units for d in u["dependencies"] if d not in known})
    return [*paths, *extra]


def mermaid_id(path: str) -> str:
    return "u_" + re.sub(r"[^A-Za-z0-9_]", "_", path)


def mermaid_ids(paths: list[str]) -> dict[str, str]:
    """A readable id per path, unique: `a-b` and `a_b` read alike, so a later one gets a numbered suffix."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for path in paths:
        base = candidate = mermaid_id(path)
        n = 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        ids[path] = candidate
        taken.add(candidate)
    return ids


def to_mermaid(units: list[GraphUnit]) -> str:
    nodes = _nodes(units)
    ids = mermaid_ids(nodes)
    lines = ["graph LR"]
    for path in nodes:
        label = path.replace('"', "#quot;")
        lines.append(f'  {ids[path]}["{label}"]')
    for u in units:
        for d in u["dependencies"]:
            lines.append(f"  {ids[u['path']]} --> {ids[d]}")
    return "\n".join(lines)
