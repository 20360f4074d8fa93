"""The `gwpipelines-results` artifact a run publishes: `results.json`, read for the jobs of one batch (pure)."""

from __future__ import annotations

import json

from gwpipelines.dispatcher.batches import Batch
from gwpipelines.errors import ArtifactError
from gwpipelines.models.results import JobResult

ARTIFACT = "gwpipelines-results"
RESULTS_FILE = "results.json"


def results_from_artifact(data: bytes | None, batch: Batch) -> dict[str, JobResult]:
    """The results of this batch's jobs from results.json; entries for other jobs are ignored, not trusted."""
    if data is None:
        return {}
    try:
        payload = json.loads(data)
        entries = payload["results"]
        parsed = [JobResult.from_json(e) for e in entries]
    except (ValueError, KeyError, TypeError) as e:
        raise ArtifactError(f"{RESULTS_FILE} in {ARTIFACT} is malformed ({type(e).__name__}: {e})") from e
    ours = {j.id for j in batch.jobs}
    return {r.id: r for r in parsed if r.id in ours}
