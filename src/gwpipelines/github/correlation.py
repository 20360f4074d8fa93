"""Finding the workflow run a dispatch started, from its correlation id (pure).

The pipelines workflow puts the id in its `run-name`, which the API shows as `display_title`; users may add more to
it (`Plan #12 ${{ inputs.correlation_id }}`), so the id is matched as a whole word, never as the whole title. Only
runs created after the dispatch count (with a margin for clock skew: ids are fresh, so no earlier run can hold one),
and of those the oldest is ours: anyone else can only start a run with the id after seeing ours. When the two
oldest were created in the same second, which one is ours cannot be told: that is refused, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from gwpipelines.errors import CorrelationError

# GitHub's created_at has second resolution and the runner's clock may be a little off.
CLOCK_MARGIN = timedelta(seconds=120)


def carries(display_title: str, correlation_id: str) -> bool:
    """The id appears in the title as a whole word (not inside a longer id, e.g. `...-wave-1` in `...-wave-1a`)."""
    return re.search(rf"(?<![A-Za-z0-9_-]){re.escape(correlation_id)}(?![A-Za-z0-9_-])", display_title) is not None


def pick(runs: Iterable[tuple[int, str, datetime, str]], correlation_id: str, since: datetime) -> int | None:
    """The id of our run among `(run id, display title, created at, html url)`, or None if none is there yet."""
    ours = sorted(
        (created, run_id, url)
        for run_id, title, created, url in runs
        if created >= since - CLOCK_MARGIN and carries(title, correlation_id)
    )
    if len(ours) >= 2 and ours[0][0] == ours[1][0]:
        raise CorrelationError(
            f"two runs carry correlation id {correlation_id}, created at the same time ({ours[0][2]}, {ours[1][2]}): "
            "cannot tell which one gwpipelines started; cancel both and re-run the pipeline"
        )
    return ours[0][1] if ours else None
