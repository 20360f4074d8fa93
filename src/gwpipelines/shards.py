"""Fan-out: one pipelines run's jobs split into legs, one runner each (issue 16, item 3); pure.

A run's jobs go first to their account, as the pipelines workflow always did: the account factory's jobs
(account-plan, account-create) to `_account-factory` (no account name starts with `_`), jobs with no account to
`none`. Within an account they are split into up to `n` shards (`core.max_runners_per_wave`):

- Jobs joined by `needs` stay in one shard: the executor runs a dependency before its dependent inside one process,
  and a leg cannot wait for another leg. Only independent components are split.
- Applies, destroys and account-create go to a stable hash of their unit mod `n`: the same unit lands in the same
  shard, hence the same concurrency group, in every run, so two applies of one unit never run at once.
- Plans are balanced, longest first onto the least loaded shard, by each unit's last known duration; a unit with
  none counts as the median of those known, or 1 when none is known (balance by count).

Shards that get no job are dropped. With `n` = 1 a leg is named after its account, as before fan-out; with more,
every leg of the run is `<account>-<k>` (k from 1, the shard's number, never renumbered): the same shard keeps its
name (and concurrency group) whichever shards are empty, and two legs can never share a name (k has no `-`).

Durations come from a cache the workflow writes from results that runners running pull-request code published:
`durations()` reads them as hostile, and they only ever change how the jobs are balanced, never which run.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gwpipelines.models import MUTATING_ACTIONS, Action, Job

FACTORY_LEG = "_account-factory"
NO_ACCOUNT_LEG = "none"
MAX_SHARDS = 64
MAX_LEGS = 256  # GitHub's limit on the jobs of one matrix
MAX_DURATIONS = 20_000  # entries in a durations file; a bigger one is ignored
MAX_SECONDS = 6 * 3600.0  # a job's time limit on a GitHub-hosted runner: longer is clamped
MAX_KEY = 1024  # characters of a unit path kept in the durations

_FACTORY_ACTIONS = frozenset({Action.ACCOUNT_PLAN, Action.ACCOUNT_CREATE})


@dataclass(frozen=True)
class Leg:
    leg: str
    account: str
    shard: int
    jobs: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"leg": self.leg, "account": self.account, "shard": self.shard, "jobs": list(self.jobs)}


def account_of(job: Job) -> str:
    """The leg's account: the rule the pipelines workflow applied before fan-out."""
    if job.action in _FACTORY_ACTIONS:
        return FACTORY_LEG
    return job.account or NO_ACCOUNT_LEG


def key_of(job: Job) -> str:
    """What a job's duration is remembered by: its unit (account jobs have none: their id)."""
    return job.unit if job.unit is not None else job.id


def shard_of(key: str, n: int) -> int:
    """A stable shard in 1..n: sha256, not `hash()`, which Python salts per process."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % n + 1


def legs(jobs: Sequence[Job], n: int, durations: Mapping[str, float] | None = None) -> list[Leg]:
    """The run's legs, sorted by account then shard; each leg's jobs in the order given."""
    if not 1 <= n <= MAX_SHARDS:
        raise ValueError(f"shards: n must be 1..{MAX_SHARDS}, got {n}")
    by_account: dict[str, list[Job]] = {}
    for job in jobs:
        by_account.setdefault(account_of(job), []).append(job)
    # More legs than a matrix holds: fewer shards per account (only with over 256 / n accounts in one run).
    n = min(n, max(1, MAX_LEGS // max(1, len(by_account))))
    cost = _costs(jobs, durations or {})
    order = {job.id: i for i, job in enumerate(jobs)}
    out: list[Leg] = []
    for account in sorted(by_account):
        shards = _split(by_account[account], n, cost)
        for k in sorted(shards):
            ids = sorted((j.id for j in shards[k]), key=order.__getitem__)
            out.append(Leg(account if n == 1 else f"{account}-{k}", account, k, tuple(ids)))
    return out


def _costs(jobs: Sequence[Job], durations: Mapping[str, float]) -> dict[str, float]:
    known = [durations[key_of(j)] for j in jobs if key_of(j) in durations]
    unknown = statistics.median(known) if known else 1.0
    return {j.id: durations.get(key_of(j), unknown) for j in jobs}


def _split(jobs: Sequence[Job], n: int, cost: Mapping[str, float]) -> dict[int, list[Job]]:
    """Shard number -> its jobs (no empty shard): hashed components first, then longest-first balance."""
    shards: dict[int, list[Job]] = {}
    load = dict.fromkeys(range(1, n + 1), 0.0)
    balanced = []
    for part in components(jobs):
        key = min(key_of(j) for j in part)
        if any(j.action in MUTATING_ACTIONS for j in part):
            k = shard_of(key, n)
            shards.setdefault(k, []).extend(part)
            load[k] += sum(cost[j.id] for j in part)
        else:
            balanced.append((sum(cost[j.id] for j in part), key, part))
    for work, _, part in sorted(balanced, key=lambda t: (-t[0], t[1])):
        k = min(load, key=lambda s: (load[s], s))
        shards.setdefault(k, []).extend(part)
        load[k] += work
    return shards


def components(jobs: Sequence[Job]) -> list[list[Job]]:
    """The jobs in groups joined by `needs` (either way; needs outside `jobs` ran in an earlier run), in the
    order of each group's first job."""
    parent = {j.id: j.id for j in jobs}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for job in jobs:
        for need in job.needs:
            if need in parent:
                a, b = root(job.id), root(need)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[str, list[Job]] = {}
    for job in jobs:
        groups.setdefault(root(job.id), []).append(job)
    return list(groups.values())


def durations(data: Any) -> tuple[dict[str, float], str | None]:
    """`{unit: seconds}` as read from a file nobody vouches for: the usable entries (seconds clamped to
    [0, 6 h]) and a warning when anything was not usable. A file that is no such object, or over
    MAX_DURATIONS entries, gives nothing (balance by count)."""
    if not isinstance(data, dict):
        return {}, "not a JSON object {unit: seconds}; ignored"
    if len(data) > MAX_DURATIONS:
        return {}, f"{len(data)} entries, over {MAX_DURATIONS}; ignored"
    kept: dict[str, float] = {}
    for key, value in data.items():
        usable = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if usable and 0 < len(key) <= MAX_KEY:
            kept[key] = min(max(float(value), 0.0), MAX_SECONDS)
    dropped = len(data) - len(kept)
    return kept, (f"{dropped} entries are not a unit with a number of seconds; skipped" if dropped else None)
