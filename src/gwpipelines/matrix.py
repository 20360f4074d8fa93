"""Jobs as a GitHub Actions `strategy.matrix`: one entry per job, batched past GitHub's 256-entry limit."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gwpipelines.models import Job

MATRIX_LIMIT = 256


def to_matrix(jobs: Sequence[Job], limit: int = MATRIX_LIMIT) -> dict[str, list[dict[str, Any]]]:
    """`{"include": [...]}`. Every entry has `name`, `wave` and `jobs` (a list of job objects). With at most
    `limit` jobs each entry holds one job; with more, jobs of the same wave are grouped into as few batches as
    keep the matrix within `limit` entries, so a workflow always iterates `matrix.jobs` the same way."""
    if len(jobs) <= limit:
        return {"include": [{"name": j.id, "wave": j.wave, "jobs": [j.to_json()]} for j in jobs]}
    per_batch = -(-len(jobs) // limit)
    while True:
        entries = _batches(jobs, per_batch)
        if len(entries) <= limit:
            return {"include": entries}
        per_batch += 1


def _batches(jobs: Sequence[Job], size: int) -> list[dict[str, Any]]:
    by_wave: dict[int, list[Job]] = {}
    for j in jobs:
        by_wave.setdefault(j.wave, []).append(j)
    entries = []
    for wave in sorted(by_wave):
        group = by_wave[wave]
        for i in range(0, len(group), size):
            chunk = group[i : i + size]
            entries.append(
                {
                    "name": f"wave {wave} batch {i // size + 1}",
                    "wave": wave,
                    "jobs": [j.to_json() for j in chunk],
                }
            )
    return entries
