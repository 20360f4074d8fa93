"""Reads a saved plan's JSON (`show -json PLANFILE`, OpenTofu/Terraform's documented format) into the numbers a
reviewer wants: resources to add, change, destroy and replace, with their addresses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gwpipelines.errors import PlanJSONError as PlanJSONError
from gwpipelines.models.results import PlanSummary

# `change.actions` -> (summary field, sign shown before the address); no-op and read change nothing.
_KINDS: dict[tuple[str, ...], tuple[str, str]] = {
    ("create",): ("add", "+"),
    ("update",): ("change", "~"),
    ("delete",): ("destroy", "-"),
    ("delete", "create"): ("replace", "-/+"),
    ("create", "delete"): ("replace", "+/-"),
}


def parse(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise PlanJSONError(f"show -json did not print JSON: {e}") from None
    if not isinstance(data, dict) or "format_version" not in data:
        raise PlanJSONError("show -json printed JSON without format_version: not a plan representation")
    return data


def load(path: Path) -> dict[str, Any]:
    """A plan's JSON from the file `show -json` streamed to."""
    try:
        with path.open("rb") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PlanJSONError(f"show -json did not print JSON: {e}") from None
    if not isinstance(data, dict) or "format_version" not in data:
        raise PlanJSONError("show -json printed JSON without format_version: not a plan representation")
    return data


def summarise(plan: dict[str, Any]) -> tuple[PlanSummary, tuple[str, ...]]:
    counts = {"add": 0, "change": 0, "destroy": 0, "replace": 0}
    resources: list[str] = []
    for rc in plan.get("resource_changes") or []:
        actions = tuple((rc.get("change") or {}).get("actions") or ())
        kind = _KINDS.get(actions)
        if kind is None:
            continue
        counts[kind[0]] += 1
        resources.append(f"{kind[1]} {rc.get('address', '?')}")
    return PlanSummary(**counts), tuple(resources)
