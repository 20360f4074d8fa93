"""The results a run publishes, read for the jobs of one batch (pure but for the `fetch` it is handed).

A run that fanned out (issue 16 item 3) publishes `gwpipelines-shards` (`shards.json`, written by its first job,
which runs no pull-request code: which leg runs which jobs) and one `gwpipelines-results-<leg>` per leg. A leg runs
pull-request code when it plans, so a job's result is taken only from the leg the shards name for it: one leg can
never forge another's results. A run without `gwpipelines-shards` (a pipelines repository calling an older
workflow) is read from the merged `gwpipelines-results`, as before.

Each `results.json` comes back from a runner that ran pull-request code, so it is read as hostile: a file that is
not JSON, too deep, or not `{"results": [...]}` fails every job it should hold (ArtifactError); an entry with a
wrong type, or one that claims another unit or action than the job it names, fails that job alone; entries for jobs
the file should not hold are ignored. Whatever fails says why, and the report goes on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gwpipelines.dispatcher.batches import Batch, failed
from gwpipelines.errors import ArtifactError
from gwpipelines.models import Job
from gwpipelines.models.results import JobResult, PlanSummary, Status

ARTIFACT = "gwpipelines-results"
RESULTS_FILE = "results.json"
SHARDS_ARTIFACT = "gwpipelines-shards"
SHARDS_FILE = "shards.json"
_LEG = re.compile(r"[A-Za-z0-9._-]{1,80}")  # an account name (1..64 of these) and `-<shard>`
MAX_DEPTH = 32  # results.json nests a few levels (outputs hold small JSON values)
_STATUSES = {str(s) for s in Status}


@dataclass(frozen=True)
class Published:
    results: dict[str, JobResult]
    notices: tuple[str, ...] = ()
    # Why a job of the batch has no result, when more is known than "none was published" (`; ...`).
    missing: dict[str, str] = field(default_factory=dict)


# (artifact name, member) -> the member's bytes, None when the run uploaded no such artifact.
Fetch = Callable[[str, str], bytes | None]


def leg_artifact(leg: str) -> str:
    return f"{ARTIFACT}-{leg}"


def results_from_artifact(data: bytes | None, batch: Batch) -> dict[str, JobResult]:
    return read(data, batch).results


def collect(fetch: Fetch, batch: Batch) -> Published:
    """This batch's results from a finished run: leg by leg when it fanned out, else from the merged artifact."""
    shards = fetch(SHARDS_ARTIFACT, SHARDS_FILE)
    if shards is None:
        data = fetch(ARTIFACT, RESULTS_FILE)
        published = read(data, batch)
        if data is not None:
            return published
        return Published({}, missing={j.id: f"; it published no {ARTIFACT} artifact" for j in batch.jobs})
    home = legs(shards)
    results: dict[str, JobResult] = {}
    notices: list[str] = []
    missing: dict[str, str] = {}
    for leg in sorted(set(home.values())):
        jobs = tuple(j for j in batch.jobs if home.get(j.id) == leg)
        if not jobs:
            continue
        name = leg_artifact(leg)
        try:
            data = fetch(name, RESULTS_FILE)
            published = read(data, Batch(leg, jobs), name)
        except ArtifactError as e:
            missing |= {j.id: f"; {e}" for j in jobs}
            continue
        results |= published.results
        notices += [n for n in published.notices if n not in notices]
        if data is None:
            missing |= {j.id: f"; its leg {leg} published no {name} artifact" for j in jobs}
    missing |= {j.id: f"; no leg of {SHARDS_ARTIFACT} holds it" for j in batch.jobs if j.id not in home}
    return Published(results, tuple(notices), missing)


def legs(data: bytes) -> dict[str, str]:
    """Job id -> its leg, from shards.json. The run's first job wrote it, before any pull-request code ran; it is
    still checked, since every result read afterwards is accepted or refused by it."""
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError) as e:
        raise ArtifactError(f"{SHARDS_FILE} in {SHARDS_ARTIFACT} is malformed (not JSON: {type(e).__name__})") from e
    entries = payload.get("legs") if isinstance(payload, dict) else None
    home: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else [None]:
        leg = entry.get("leg") if isinstance(entry, dict) else None
        jobs = entry.get("jobs") if isinstance(entry, dict) else None
        if not isinstance(leg, str) or not _LEG.fullmatch(leg) or not isinstance(jobs, list):
            raise ArtifactError(
                f'{SHARDS_FILE} in {SHARDS_ARTIFACT} is malformed (not {{"legs": [{{"leg", "jobs"}}]}})'
            )
        for job_id in jobs:
            if not isinstance(job_id, str) or job_id in home:
                raise ArtifactError(
                    f"{SHARDS_FILE} in {SHARDS_ARTIFACT} is malformed (job {job_id!r} is not one id of one leg)"
                )
            home[job_id] = leg
    return home


def read(data: bytes | None, batch: Batch, name: str = ARTIFACT) -> Published:
    """This batch's results (and the executor's notices) from the results.json of artifact `name`."""
    if data is None:
        return Published({})
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError) as e:
        raise _malformed(name, f"not JSON: {type(e).__name__}") from e
    if _depth(payload) > MAX_DEPTH:
        raise _malformed(name, f"nested deeper than {MAX_DEPTH} levels")
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise _malformed(name, 'not {"results": [...]}')
    jobs = {j.id: j for j in batch.jobs}
    results: dict[str, JobResult] = {}
    for entry in payload["results"]:
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        job = jobs.get(entry_id) if isinstance(entry_id, str) else None
        if job is None or job.id in results:
            continue  # not ours (or a second entry for a job): never trusted
        try:
            results[job.id] = _entry(entry, job)
        except (ValueError, TypeError) as e:
            results[job.id] = failed(job, f"{RESULTS_FILE} in {name} has an invalid entry for {job.id} ({e})")
    notices = payload.get("notices")
    texts = tuple(n for n in notices if isinstance(n, str)) if isinstance(notices, list) else ()
    return Published(results, texts)


def _malformed(name: str, why: str) -> ArtifactError:
    return ArtifactError(f"{RESULTS_FILE} in {name} is malformed ({why})")


def _depth(value: Any) -> int:
    """How deep a decoded JSON value nests, without recursion (a hostile file must not exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return deepest


def _entry(e: dict[str, Any], job: Job) -> JobResult:
    if e.get("unit") != job.unit or e.get("action") != str(job.action):
        raise ValueError(f"it claims {e.get('action')!r} of {e.get('unit')!r}, the job is {job.action} of {job.unit!r}")
    if e.get("status") not in _STATUSES:
        raise ValueError(f"status {e.get('status')!r} is not one of {', '.join(sorted(_STATUSES))}")
    summary = _typed(e, "summary", dict, {})
    counts = {k: summary.get(k, 0) for k in ("add", "change", "destroy", "replace")}
    if not all(type(v) is int and v >= 0 for v in counts.values()):
        raise ValueError(f"summary holds something other than counts: {counts}")
    by_instance = _typed(e, "outputs_by_instance", dict, {})
    if not all(isinstance(k, str) and isinstance(v, dict) for k, v in by_instance.items()):
        raise ValueError("outputs_by_instance is not {instance: {name: value}}")
    resources = _typed(e, "resources", list, [])
    if not all(isinstance(r, str) for r in resources):
        raise ValueError("resources is not a list of strings")
    seconds = _typed(e, "seconds", (int, float), 0.0)
    return JobResult(
        id=job.id,
        unit=job.unit,
        action=str(job.action),
        status=Status(e["status"]),
        summary=PlanSummary(**counts),
        outputs=_typed(e, "outputs", dict, {}),
        log=_typed(e, "log", str, ""),
        seconds=float(seconds),
        failure=_typed(e, "failure", str, ""),
        resources=tuple(resources),
        outputs_by_instance=by_instance,
    )


def _typed(e: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any) -> Any:
    value = e.get(key, default)
    if value is None:
        return default
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ValueError(f"{key} is {type(value).__name__}")
    return value
