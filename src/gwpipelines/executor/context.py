"""Where and as whom the executor runs jobs."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from gwpipelines.github.actions import Runner
from gwpipelines.models.results import JobResult


@dataclass(frozen=True)
class Context:
    """`repo` is the live repo's checkout; `live_repo` the OWNER/NAME the jobs were dispatched for (checked against
    core.live_repo; None when run locally)."""

    repo: Path
    results_dir: Path
    environ: Mapping[str, str]
    pr: int | None = None
    sleep: Callable[[float], None] = time.sleep
    live_repo: str | None = None
    # Progress lines for people (stderr in the CLI), after the gate let the jobs through.
    progress: Callable[[str], None] = lambda line: None

    @cached_property
    def runner(self) -> Runner:
        """The Actions runner this executor runs on (all fields empty outside Actions)."""
        return Runner.from_mapping(self.environ)


@dataclass(frozen=True)
class Execution:
    """What a run produced: one result per job, and notices for people (e.g. that plan tools could not run as a
    separate user), published next to the results."""

    results: list[JobResult]
    notices: list[str] = field(default_factory=list)
