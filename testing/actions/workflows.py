"""Reading GitHub workflow and action files in tests: every file we ship, and every `uses:` and `run:` in them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
REUSABLE = ROOT / ".github" / "workflows"
LIVE_TEMPLATE = ROOT / "infrastructure-live-template"
PIPELINES_TEMPLATE = ROOT / "infrastructure-pipelines-template"
OWN_REPO = "gwpipelines/gwpipelines"


def load(path: Path) -> dict[str, Any]:
    """YAML as GitHub reads it: `on:` stays the string "on" (YAML 1.1 would make it True)."""
    data = yaml.safe_load(path.read_text())
    if True in data:
        data["on"] = data.pop(True)
    return dict(data)


def workflow_files(*roots: Path) -> list[Path]:
    return sorted(p for root in roots for p in (root / ".github" / "workflows").glob("*.y*ml"))


def shipped_files() -> list[Path]:
    """Every workflow and action file gwpipelines ships."""
    return [ACTION, *workflow_files(ROOT, LIVE_TEMPLATE, PIPELINES_TEMPLATE)]


@dataclass(frozen=True)
class Step:
    file: Path
    job: str | None
    index: int
    body: dict[str, Any]


def steps(path: Path) -> Iterator[Step]:
    data = load(path)
    if "runs" in data:
        for i, s in enumerate(data["runs"].get("steps", [])):
            yield Step(path, None, i, s)
    for job_id, job in (data.get("jobs") or {}).items():
        for i, s in enumerate(job.get("steps", [])):
            yield Step(path, job_id, i, s)


def uses_lines(path: Path) -> Iterator[tuple[int, str, str]]:
    """(line number, reference, trailing comment) of every `uses:` in the file, steps and reusable-workflow calls."""
    for n, line in enumerate(path.read_text().splitlines(), 1):
        m = re.match(r"^\s*(?:-\s*)?uses:\s*['\"]?([^'\"\s#]+)['\"]?\s*(?:#\s*(.*))?$", line)
        if m:
            yield n, m[1], (m[2] or "").strip()


EXPRESSION = re.compile(r"\$\{\{.*?\}\}", re.S)
