"""Where and as whom the executor runs jobs."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path


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
