"""The `gwpipelines-results` artifact a run publishes: `results.json`, read for the jobs of one batch (pure).

The file comes back from a runner that ran pull-request code, so it is read as hostile: a file that is not JSON,
too deep, or not `{"results": [...]}` fails every job of the batch (ArtifactError); an entry with a wrong type, or
one that claims another unit or action than the job it names, fails that job alone; entries for jobs the batch
does not hold are ignored. Whatever fails says why, and the report goes on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gwpipelines.dispatcher.batches import Batch, failed
from gwpipelines.errors import ArtifactError
from gwpipelines.models import Job
from gwpipelines.models.results import JobResult, PlanSummary, Status

ARTIFACT = "gwpipelines-results"
RESULTS_FILE = "results.json"
MAX_DEPTH = 32  # results.json nests a few levels (outputs hold small JSON values)
_STATUSES = {str(s) for s in Status}


@dataclass(frozen=True)
class Published:
    results: dict[str, JobResult]
    notices: tuple[str, ...] = ()


def results_from_artifact(data: bytes | None, batch: Batch) -> dict[str, JobResult]:
    return read(data, batch).results


def read(data: bytes | None, batch: Batch) -> Published:
    """This batch's results (and the executor's notices) from results.json."""
    if data is None:
        return Published({})
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError) as e:
        raise _malformed(f"not JSON: {type(e).__name__}") from e
    if _depth(payload) > MAX_DEPTH:
        raise _malformed(f"nested deeper than {MAX_DEPTH} levels")
    if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
        raise _malformed('not {"results": [...]}')
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
            results[job.id] = failed(job, f"{RESULTS_FILE} in {ARTIFACT} has an invalid entry for {job.id} ({e})")
    notices = payload.get("notices")
    texts = tuple(n for n in notices if isinstance(n, str)) if isinstance(notices, list) else ()
    return Published(results, texts)


def _malformed(why: str) -> ArtifactError:
    return ArtifactError(f"{RESULTS_FILE} in {ARTIFACT} is malformed ({why})")


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
