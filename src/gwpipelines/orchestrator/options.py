"""What a team may tune about the orchestrator's answer. It runs in the live repository, which has no pipelines.yml,
so these come from `orchestrate` flags (and the composite action's inputs): the workflow that runs it decides."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gwpipelines.errors import UserError
from gwpipelines.orchestrator.terragrunt.paths import ROOT
from gwpipelines.orchestrator.terragrunt.values import glob_patterns


@dataclass(frozen=True)
class Options:
    # Also plan (or apply) the units that depend on a changed unit, transitively (Gruntwork Pipelines does not).
    plan_dependents: bool = False
    # Globs of repository paths that are never planned: changed files matching one are listed as ignored.
    ignore: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for glob in self.ignore:
            if not glob or glob.startswith("/") or ".." in glob.split("/"):
                raise UserError(f"--ignore {glob!r}: give a glob of paths relative to the repository root")

    def ignored_by(self, path: str) -> str | None:
        """The first ignore glob matching `path` (a folder's glob, `docs/`, matches every file below it)."""
        for glob in self.ignore:
            if any(rx.fullmatch(path) for rx in _compiled(glob)):
                return glob
        return None


def _compiled(glob: str) -> list[re.Pattern[str]]:
    text = glob + "**" if glob.endswith("/") else glob
    return [re.compile(p) for p in glob_patterns(text, ROOT)]
