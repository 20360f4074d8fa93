"""Jobs as a GitHub Actions `strategy.matrix`: one entry per job, batched past GitHub's 256-entry limit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

MATRIX_LIMIT = 256


class Listed(Protocol):
    """What a matrix entry needs of a job: a `models.Job`, or one read back from orchestrate's JSON."""

    @property
    def id(self) -> str: ...
    @property
    def wave(self) -> int: ...
    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class _JsonJob:
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def wave(self) -> int:
        return int(self.data.get("wave", 0))

    def to_json(self) -> dict[str, Any]:
        return self.data


def from_json_jobs(jobs: Sequence[dict[str, Any]], limit: int = MATRIX_LIMIT) -> dict[str, list[dict[str, Any]]]:
    """`to_matrix` of the jobs of orchestrate's JSON (`--format json`): the matrix `--format matrix` prints, without
    running the orchestrator a second time."""
    return to_matrix([_JsonJob(j) for j in jobs], limit)


def to_matrix(jobs: Sequence[Listed], limit: int = MATRIX_LIMIT) -> dict[str, list[dict[str, Any]]]:
    """`{"include": [...]}`. Every entry has `name`, `wave` and `jobs` (a list of job objects). With at most
    `limit` jobs each entry holds one job; with more, jobs of the same wave are grouped into as few batches as
    keep the matrix within `limit` entries, so a workflow always iterates `matrix.jobs` the same way.
    With more waves than `limit`, waves cannot each have an entry: consecutive waves share one, its jobs listed in
    wave order with their `needs`, which the executor honours inside a batch; `wave` is then the entry's first."""
    if len(jobs) <= limit:
        return {"include": [{"name": j.id, "wave": j.wave, "jobs": [j.to_json()]} for j in jobs]}
    per_batch = -(-len(jobs) // limit)
    # Each wave needs at least one entry, so per-wave batching can fit only while waves <= limit.
    if len({j.wave for j in jobs}) <= limit:
        while True:
            entries = _batches(jobs, per_batch)
            if len(entries) <= limit:
                return {"include": entries}
            per_batch += 1
    ordered = sorted(jobs, key=lambda j: j.wave)
    return {
        "include": [
            {
                "name": f"batch {i // per_batch + 1}",
                "wave": ordered[i].wave,
                "jobs": [j.to_json() for j in ordered[i : i + per_batch]],
            }
            for i in range(0, len(ordered), per_batch)
        ]
    }


def _batches(jobs: Sequence[Listed], size: int) -> list[dict[str, Any]]:
    by_wave: dict[int, list[Listed]] = {}
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
