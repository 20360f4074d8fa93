"""Fan-out across runners on a simulated clock (issue 16, item 3): a seeded 300-unit pull request's plans, split
into legs by `gwpipelines.shards` exactly as the pipelines workflow's `gwpipelines shard` splits them, each leg
list-scheduled on `parallelism` slots as the executor runs them (a job starts once its needs are done, the job
with most jobs below it first), every job taking its simulated duration. The bound is total work / (runners x
parallelism) + the critical path (target: makespan <= 1.2 x the bound). Two makespans:

- one run: the whole pull request's jobs sharded together (a chain of needs stays on one leg): the slowest leg's;
- through the dispatcher: `Dispatcher.run` against the local GitHub server on a simulated clock, one pipelines run
  per wave as by default (a wave waits for the one before), each run publishing gwpipelines-shards and one results
  artifact per leg, and completing when its slowest leg would; the dispatcher polls as in production (10 s, then
  up to 15 s apart). The makespan is the clock when the last result is in.

The pull request: 300 units of one account, a few chains of `needs` among them (a chain stays on one runner), each
unit's duration drawn long-tailed (most plans take a minute or two, a few ten). Balanced with the durations of a
previous run (each unit's time then and now differ by up to 10 %), and by count (no run has saved durations yet).

    .venv/bin/python bench/fanout.py [--runners 4 8] [--parallelism 4] [--units 300] [--seed 3]
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import random
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gwpipelines import shards
from gwpipelines.models import Action, ChangeType, Job

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))  # testing/: the local GitHub server

from table import Row  # noqa: E402  (bench/ is not a package)

TARGET = 1.2
REF = "f" * 40


@dataclass(frozen=True)
class PullRequest:
    jobs: tuple[Job, ...]
    seconds: dict[str, float]  # job id -> how long it takes in this run
    previous: dict[str, float]  # unit -> how long it took last time (the durations cache)


def synthetic_pr(units: int = 300, seed: int = 3, chains: int = 6, chain_length: int = 5) -> PullRequest:
    rng = random.Random(seed)
    names = [f"prod/us-east-1/u{i:03d}" for i in range(units)]
    needs: dict[str, tuple[str, ...]] = {name: () for name in names}
    wave = dict.fromkeys(names, 0)
    for c in range(chains):  # unit k of a chain needs unit k-1: it is in wave k, as the orchestrator would say
        members = names[c * chain_length : (c + 1) * chain_length]
        for k, (before, after) in enumerate(itertools.pairwise(members), 1):
            needs[after], wave[after] = (f"plan:{before}",), k
    jobs = tuple(
        Job(f"plan:{n}", n, Action.PLAN, REF, "prod", (ChangeType.MODULE_CHANGED,), wave[n], needs[n]) for n in names
    )
    previous = {n: min(max(rng.lognormvariate(4.2, 0.8), 5.0), 1200.0) for n in names}
    seconds = {f"plan:{n}": previous[n] * rng.uniform(0.9, 1.1) for n in names}
    return PullRequest(jobs, seconds, previous)


def leg_makespan(jobs: Sequence[Job], seconds: Mapping[str, float], parallelism: int) -> float:
    """List scheduling of one leg's jobs on `parallelism` slots; needs outside the leg ran before it."""
    ids = {j.id for j in jobs}
    waiting = {j.id: {n for n in j.needs if n in ids} for j in jobs}
    below: dict[str, set[str]] = {j.id: set() for j in jobs}
    for j in reversed(jobs):  # needs come first in the order given: descendants are complete when read
        for n in waiting[j.id]:
            below[n] |= {j.id} | below[j.id]
    order = {j.id: i for i, j in enumerate(jobs)}
    ready = [(-len(below[i]), order[i], i) for i, w in waiting.items() if not w]
    heapq.heapify(ready)
    running: list[tuple[float, str]] = []
    now, free = 0.0, parallelism
    while ready or running:
        while ready and free:
            _, _, job = heapq.heappop(ready)
            heapq.heappush(running, (now + seconds[job], job))
            free -= 1
        now, done = heapq.heappop(running)
        free += 1
        for j, w in waiting.items():
            if done in w:
                w.discard(done)
                if not w:
                    heapq.heappush(ready, (-len(below[j]), order[j], j))
    return now


def critical_path(jobs: Sequence[Job], seconds: Mapping[str, float]) -> float:
    finish: dict[str, float] = {}
    for j in jobs:  # needs come first
        finish[j.id] = seconds[j.id] + max((finish[n] for n in j.needs if n in finish), default=0.0)
    return max(finish.values())


@dataclass(frozen=True)
class Outcome:
    makespan: float
    bound: float
    legs: int

    @property
    def ratio(self) -> float:
        return self.makespan / self.bound


def simulate(pr: PullRequest, runners: int, parallelism: int, durations: Mapping[str, float] | None) -> Outcome:
    """The slowest leg's makespan against total work / (runners x parallelism) + the critical path."""
    legs = shards.legs(pr.jobs, runners, durations)
    return Outcome(slowest_leg(pr, legs, parallelism), lower_bound(pr, runners, parallelism), len(legs))


def slowest_leg(pr: PullRequest, legs: Sequence[shards.Leg], parallelism: int) -> float:
    by_id = {j.id: j for j in pr.jobs}
    return max(leg_makespan([by_id[i] for i in leg.jobs], pr.seconds, parallelism) for leg in legs)


def lower_bound(pr: PullRequest, runners: int, parallelism: int) -> float:
    """Total work / (runners x parallelism) + the critical path: no schedule can do better than either part."""
    return sum(pr.seconds.values()) / (runners * parallelism) + critical_path(pr.jobs, pr.seconds)


def through_dispatcher(
    pr: PullRequest, runners: int, parallelism: int, durations: Mapping[str, float] | None
) -> Outcome:
    """The pull request dispatched wave by wave to the local GitHub server, on a simulated clock."""
    from gwpipelines.dispatcher.batches import Target
    from gwpipelines.dispatcher.loop import Dispatcher, DispatchOptions
    from gwpipelines.models.results import Status
    from testing.dispatch_harness import LIVE, PIPELINES, WORKFLOW, FakeClock, client, setup
    from testing.github_server import GitHubServer
    from testing.github_server.model import Dispatch, RunScript

    by_id = {j.id: j for j in pr.jobs}
    clock = FakeClock()
    most = 0

    def run(dispatch: Dispatch) -> RunScript:
        nonlocal most
        jobs = [by_id[j["id"]] for j in json.loads(dispatch.inputs["jobs"])]
        legs = shards.legs(jobs, runners, durations)
        most = max(most, len(legs))
        artifacts = {"gwpipelines-shards": {"shards.json": json.dumps({"legs": [g.to_json() for g in legs]}).encode()}}
        for leg in legs:
            done = [{"id": i, "unit": by_id[i].unit, "action": "plan", "status": "succeeded"} for i in leg.jobs]
            artifacts[f"gwpipelines-results-{leg.leg}"] = {"results.json": json.dumps({"results": done}).encode()}
        return RunScript(seconds=slowest_leg(pr, legs, parallelism), polls=0, artifacts=artifacts)

    with GitHubServer() as server:
        setup(server)
        server.clock, server.on_dispatch = clock, run
        target = Target(PIPELINES, WORKFLOW, "main", LIVE, 7)
        gh = client(server, "PIPELINES_DISPATCH_TOKEN")
        progress = Dispatcher(gh, target, DispatchOptions(), sleep=clock.sleep, clock=clock).run(pr.jobs)
    if server.violations or {r.status for r in progress.results.values()} != {Status.SUCCEEDED}:
        raise AssertionError(f"the simulated pull request did not go through: {server.violations[:3]}")
    return Outcome(clock.now, lower_bound(pr, runners, parallelism), most)


def rows(runner_counts: Sequence[int] = (4, 8), parallelism: int = 4, units: int = 300, seed: int = 3) -> list[Row]:
    pr = synthetic_pr(units, seed)
    size = f"{units}-unit PR"
    out = []
    for runners in runner_counts:
        cases = [
            ("one run, durations known", simulate, pr.previous),
            ("one run, by count", simulate, None),
            ("per-wave runs via dispatcher, durations known", through_dispatcher, pr.previous),
        ]
        for label, how, durations in cases:
            got = how(pr, runners, parallelism, durations)
            metric = f"fan-out makespan, N={runners} x p={parallelism}, {label}"
            verdict = ("ok" if got.ratio <= TARGET else "MISSED") if durations is not None else ""
            target = f"<= {TARGET:g}x" if durations is not None else ""
            floor = f"{got.bound:.0f} s work/(N*p)+crit."
            out.append(Row(size, metric, f"{got.makespan:.0f} s (sim.)", floor, f"{got.ratio:.2f}x", target, verdict))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runners", type=int, nargs="+", default=[4, 8], help="core.max_runners_per_wave")
    parser.add_argument("--parallelism", type=int, default=4, help="core.execution_defaults.parallelism")
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    from table import render

    got = rows(args.runners, args.parallelism, args.units, args.seed)
    print(render(got))
    return 0 if all(r.verdict in ("ok", "") for r in got) else 1


if __name__ == "__main__":
    sys.exit(main())
