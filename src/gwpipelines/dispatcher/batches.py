"""Batches: which jobs go into one workflow run, and the dispatch inputs that carry them (pure).

Jobs are grouped per wave (the default), per job, or per account within a wave; a batch whose inputs would pass
GitHub's size limit is halved until it fits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from gwpipelines.errors import UserError
from gwpipelines.models import Job
from gwpipelines.models.results import JobResult, Status

# GitHub's limit on the dispatch inputs, all values together.
MAX_INPUTS_CHARS = 65_535


class Granularity(StrEnum):
    JOB = "job"
    WAVE = "wave"
    ACCOUNT = "account"


@dataclass(frozen=True)
class Batch:
    label: str
    jobs: tuple[Job, ...]


@dataclass(frozen=True)
class Target:
    """Where runs go and what they work on."""

    pipelines_repo: str
    workflow: str
    ref: str
    live_repo: str
    pr: int | None


def make_batches(jobs: Sequence[Job], granularity: Granularity, target: Target) -> list[Batch]:
    """Batches in dispatch order; a batch whose inputs would pass GitHub's size limit is halved until it fits."""
    groups: dict[str, list[Job]] = {}
    for i, job in enumerate(jobs):
        if granularity is Granularity.JOB:
            key = f"job-{i}"
        elif granularity is Granularity.ACCOUNT:
            key = f"wave-{job.wave}-{job.account or 'none'}"
        else:
            key = f"wave-{job.wave}"
        groups.setdefault(key, []).append(job)
    ordered = sorted(groups.items(), key=lambda kv: min(j.wave for j in kv[1]))
    return [b for label, group in ordered for b in _fit(Batch(label, tuple(group)), target)]


def _fit(batch: Batch, target: Target) -> list[Batch]:
    if len(batch.jobs) == 1 or _inputs_size(inputs_for(batch, target, "x" * 64)) <= MAX_INPUTS_CHARS:
        return [batch]
    half = len(batch.jobs) // 2
    return _fit(Batch(f"{batch.label}a", batch.jobs[:half]), target) + _fit(
        Batch(f"{batch.label}b", batch.jobs[half:]), target
    )


def inputs_for(batch: Batch, target: Target, correlation_id: str) -> dict[str, str]:
    """The workflow_dispatch inputs: exactly correlation_id, jobs (JSON), live_repo, pr ("" on push)."""
    return {
        "correlation_id": correlation_id,
        "jobs": json.dumps([j.to_json() for j in batch.jobs], separators=(",", ":")),
        "live_repo": target.live_repo,
        "pr": str(target.pr) if target.pr is not None else "",
    }


def _inputs_size(inputs: dict[str, str]) -> int:
    return sum(len(k) + len(v) for k, v in inputs.items())


def check_needs(jobs: Sequence[Job]) -> None:
    """Every `needs` must name a job in the set, listed earlier: otherwise nothing could ever wait for it."""
    seen: set[str] = set()
    for job in jobs:
        for need in job.needs:
            if need not in seen:
                raise UserError(
                    f"jobs: job {job.id!r} needs {need!r}, which is not an earlier job in the input; "
                    "pass the orchestrator's whole job list"
                )
        seen.add(job.id)


def failed(job: Job, reason: str) -> JobResult:
    return JobResult(id=job.id, unit=job.unit, action=str(job.action), status=Status.FAILED, failure=reason)


def skipped(job: Job, reason: str) -> JobResult:
    return JobResult(id=job.id, unit=job.unit, action=str(job.action), status=Status.SKIPPED, failure=reason)
