"""The dispatcher: jobs -> workflow runs in the pipelines repo, followed to completion -> one result per job.

Jobs are grouped into batches (one workflow run each): per wave (the default), per job, or per account within a
wave. A batch is dispatched once every job it needs has succeeded, at most `max_parallel_runs` at a time; a job
whose need failed or was skipped is itself skipped, never dispatched. Each dispatch carries a fresh correlation id,
which the pipelines workflow puts in its run-name, so the run can be found again when GitHub answers 204 without
its id. Runs are polled with backoff until they complete or their deadline passes; the run's results artifacts
(one per leg when it fanned out across runners, see dispatcher.artifact) then give each job's result. Whatever goes
wrong with one run becomes failed results for its jobs, with the reason, and never hides the other runs' results.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from gwpipelines.dispatcher import artifact
from gwpipelines.dispatcher.batches import (
    Batch,
    Granularity,
    Target,
    check_needs,
    failed,
    inputs_for,
    make_batches,
    skipped,
)
from gwpipelines.errors import ArtifactError, CorrelationError, GwError
from gwpipelines.github.client import GitHubAccessError, GitHubError, Run
from gwpipelines.models import Job
from gwpipelines.models.results import JobResult, Status

_OK = frozenset({Status.SUCCEEDED})


@dataclass(frozen=True)
class DispatchOptions:
    granularity: Granularity = Granularity.WAVE
    max_parallel_runs: int = 4
    poll_interval: float = 10.0  # first wait between polls; grows by half up to poll_max while nothing changes
    # A finished run is noticed within this long; any run finishing resets the wait, so siblings are seen sooner.
    poll_max: float = 15.0
    run_timeout: float = 6 * 3600.0  # a run not completed this long after its dispatch is reported as failed
    appear_timeout: float = 300.0  # after a 204, how long to look for the run by its run-name


@dataclass
class RunRecord:
    batch: Batch
    correlation_id: str
    dispatched_at: float
    since: datetime  # wall-clock time of the dispatch: only runs created after it can be ours
    run_id: int | None = None
    html_url: str = ""
    conclusion: str | None = None
    fresh: bool = True  # not polled yet: the first poll waits one interval

    def to_json(self) -> dict[str, Any]:
        return {
            "jobs": [j.id for j in self.batch.jobs],
            "run_id": self.run_id,
            "html_url": self.html_url or None,
            "conclusion": self.conclusion,
        }


@dataclass
class Progress:
    """Everything known so far; handed to the reporter after each change."""

    results: dict[str, JobResult] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    running: set[str] = field(default_factory=set)
    runs: list[RunRecord] = field(default_factory=list)
    # Configuration problems met on the way (a token lacking a permission): the command exits 2 after reporting.
    errors: list[GwError] = field(default_factory=list)
    # The executors' own warnings (results.json's top-level `notices`), each once, in the order first seen.
    notices: list[str] = field(default_factory=list)


class Client(Protocol):
    """The calls the dispatcher makes (github_client.GitHub satisfies it)."""

    def dispatch(self, repo: str, workflow: str, ref: str, inputs: dict[str, str]) -> Run | None: ...
    def find_run(self, repo: str, workflow: str, correlation_id: str, since: datetime) -> Run | None: ...
    def get_run(self, repo: str, run_id: int) -> Run: ...
    def failing_step_url(self, repo: str, run_id: int) -> str | None: ...
    def artifact_file(self, repo: str, run_id: int, artifact: str, member: str) -> bytes | None: ...


# --- The loop -------------------------------------------------------------------------------------------------


class Dispatcher:
    def __init__(
        self,
        client: Client,
        target: Target,
        options: DispatchOptions | None = None,
        *,
        on_change: Callable[[Progress], None] = lambda p: None,
        log: Callable[[str], None] = lambda s: None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex[:12],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.client = client
        self.target = target
        self.options = options or DispatchOptions()
        self._on_change = on_change
        self._log = log
        self._sleep = sleep
        self._clock = clock
        self._new_id = new_id
        self._now = now

    def run(self, jobs: Sequence[Job]) -> Progress:
        check_needs(jobs)
        progress = Progress()
        pending = make_batches(jobs, self.options.granularity, self.target)
        inflight: list[RunRecord] = []
        interval = self.options.poll_interval
        while pending or inflight:
            changed = self._skip_blocked(pending, progress)
            changed = self._dispatch_ready(pending, inflight, progress) or changed
            changed = self._poll(inflight, progress) or changed
            if changed:
                self._on_change(progress)
                interval = self.options.poll_interval
            can_dispatch = bool(self._ready(pending, progress)) and len(inflight) < self.options.max_parallel_runs
            if inflight and not can_dispatch:
                self._sleep(interval)
                interval = min(interval * 1.5, self.options.poll_max)
            elif pending and not inflight and not can_dispatch:
                raise GwError(f"dispatcher: no batch can start ({[b.label for b in pending]}); this is a bug")
        return progress

    def _skip_blocked(self, pending: list[Batch], progress: Progress) -> bool:
        changed = False
        for i, batch in enumerate(pending):
            keep = []
            for job in batch.jobs:
                bad = [n for n in job.needs if n in progress.results and progress.results[n].status not in _OK]
                if bad:
                    progress.results[job.id] = skipped(job, f"skipped: {bad[0]} {progress.results[bad[0]].status}")
                    changed = True
                else:
                    keep.append(job)
            pending[i] = replace(batch, jobs=tuple(keep))
        pending[:] = [b for b in pending if b.jobs]
        return changed

    def _ready(self, pending: list[Batch], progress: Progress) -> list[Batch]:
        done = progress.results
        return [b for b in pending if all(n in done for j in b.jobs for n in j.needs)]

    def _dispatch_ready(self, pending: list[Batch], inflight: list[RunRecord], progress: Progress) -> bool:
        changed = False
        for batch in self._ready(pending, progress):
            if len(inflight) >= self.options.max_parallel_runs:
                break
            pending.remove(batch)
            changed = True
            record = RunRecord(batch, f"{self._new_id()}-{batch.label}", self._clock(), self._now())
            progress.runs.append(record)
            inputs = inputs_for(batch, self.target, record.correlation_id)
            t = self.target
            try:
                run = self.client.dispatch(t.pipelines_repo, t.workflow, t.ref, inputs)
            except (GitHubError, GitHubAccessError, CorrelationError) as e:
                record.conclusion = "not_dispatched"
                self._fail(batch, progress, f"not dispatched: {e}", e)
                continue
            if run is not None:
                record.run_id, record.html_url = run.id, run.html_url
            self._log(
                f"dispatched {batch.label} ({len(batch.jobs)} jobs) as {record.correlation_id}: {record.html_url}"
            )
            progress.running.update(j.id for j in batch.jobs)
            if record.html_url:
                progress.links.update({j.id: record.html_url for j in batch.jobs})
            inflight.append(record)
        return changed

    def _poll(self, inflight: list[RunRecord], progress: Progress) -> bool:
        changed = False
        for record in list(inflight):
            if record.fresh:  # dispatched moments ago: it cannot have finished, a GET now would be wasted
                record.fresh = False
                continue
            try:
                finished = self._poll_one(record, progress)
            except CorrelationError as e:
                record.conclusion = "ambiguous"
                self._fail(record.batch, progress, str(e))
                finished = True
            except (GitHubError, GitHubAccessError) as e:
                record.conclusion = record.conclusion or "unknown"
                where = record.html_url or record.correlation_id
                self._fail(record.batch, progress, f"lost track of run {where}: {e}", e)
                finished = True
            if finished:
                inflight.remove(record)
                changed = True
        return changed

    def _poll_one(self, record: RunRecord, progress: Progress) -> bool:
        t, age = self.target, self._clock() - record.dispatched_at
        if record.run_id is None:
            found = self.client.find_run(t.pipelines_repo, t.workflow, record.correlation_id, record.since)
            if found is None:
                if age <= self.options.appear_timeout:
                    return False
                record.conclusion = "never_started"
                self._fail(
                    record.batch,
                    progress,
                    f"the run for {record.correlation_id} never appeared in {t.pipelines_repo} within "
                    f"{self.options.appear_timeout:g}s; check that {t.workflow} has `run-name: gwpipelines "
                    "${{ inputs.correlation_id }}`",
                )
                return True
            record.run_id, record.html_url = found.id, found.html_url
            progress.links.update({j.id: found.html_url for j in record.batch.jobs})
            run = found  # the listing already says how the run is doing: one request per poll
        else:
            run = self.client.get_run(t.pipelines_repo, record.run_id)
        if run.status != "completed":
            if age <= self.options.run_timeout:
                return False
            record.conclusion = "timed_out"
            self._fail(
                record.batch, progress, f"run {run.html_url} did not complete within {self.options.run_timeout:g}s"
            )
            return True
        self._collect(record, run, progress)
        return True

    def _collect(self, record: RunRecord, run: Run, progress: Progress) -> None:
        t = self.target
        record.conclusion = run.conclusion or "unknown"
        self._log(f"run {run.html_url} completed: {record.conclusion}")
        try:
            published = artifact.collect(
                lambda name, member: self.client.artifact_file(t.pipelines_repo, run.id, name, member), record.batch
            )
            results, missing, why = published.results, published.missing, ""
            progress.notices.extend(n for n in published.notices if n not in progress.notices)
        except (ArtifactError, GitHubError, GitHubAccessError) as e:
            results, missing, why = {}, {}, f"; {e}"
        failing_url = None
        if run.conclusion != "success" or any(r.status is Status.FAILED for r in results.values()):
            try:
                failing_url = self.client.failing_step_url(t.pipelines_repo, run.id)
            except GitHubError as e:
                # Only a deep link is lost: the results already downloaded must still be reported.
                self._log(f"run {run.html_url}: no link to the failing step ({e}); linking the run")
        for job in record.batch.jobs:
            progress.running.discard(job.id)
            reason = missing.get(job.id, why)
            result = results.get(job.id) or failed(job, f"the run ended {record.conclusion} without a result{reason}")
            progress.results[job.id] = result
            progress.links[job.id] = failing_url if result.status is Status.FAILED and failing_url else run.html_url

    def _fail(self, batch: Batch, progress: Progress, reason: str, error: GwError | None = None) -> None:
        self._log(f"{batch.label}: {reason}")
        if isinstance(error, GitHubAccessError) and all(str(error) != str(e) for e in progress.errors):
            progress.errors.append(error)
        for job in batch.jobs:
            progress.running.discard(job.id)
            progress.results[job.id] = failed(job, reason)
