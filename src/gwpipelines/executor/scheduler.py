"""Runs a DAG of tasks with bounded parallelism: a task starts once everything it `needs` succeeded; a task whose
dependency failed (or was skipped) is skipped with the name of the failed task, and everything else still runs.

Ready tasks start longest-remaining-path first (the critical path), which keeps the makespan close to the critical
path's length when the DAG is wider than `parallelism` (see bench/executor.py). Retries live in `retry()`: only
failures the caller classifies as transient, a bounded number of times, with a doubling delay.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Task:
    id: str
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Done(Generic[T]):
    """A task's end: its value when it ran, or the failed task that caused its skip."""

    value: T | None
    ok: bool
    skipped_because: str | None = None


def priorities(tasks: Sequence[Task]) -> dict[str, float]:
    """Each task's longest path to the end of the DAG, counted in tasks, itself included (durations are not known
    ahead; needs outside the set are ignored)."""
    dependents = _dependents(tasks)
    memo: dict[str, float] = {}
    for task_id in _reverse_topological(tasks, dependents):
        memo[task_id] = 1.0 + max((memo[d] for d in dependents[task_id]), default=0.0)
    return memo


def _dependents(tasks: Sequence[Task]) -> dict[str, list[str]]:
    """Task id -> the ids of the tasks that need it (needs outside the set are ignored)."""
    dependents: dict[str, list[str]] = {t.id: [] for t in tasks}
    for t in tasks:
        for n in t.needs:
            if n in dependents:
                dependents[n].append(t.id)
    return dependents


def _reverse_topological(tasks: Sequence[Task], dependents: dict[str, list[str]]) -> list[str]:
    indegree = {t.id: sum(1 for n in t.needs if n in dependents) for t in tasks}
    order = [t for t, d in indegree.items() if d == 0]
    i = 0
    while i < len(order):
        for d in dependents[order[i]]:
            indegree[d] -= 1
            if indegree[d] == 0:
                order.append(d)
        i += 1
    if len(order) != len(tasks):
        raise ValueError("the tasks' needs form a cycle")
    return order[::-1]


def run(
    tasks: Sequence[Task],
    work: Callable[[Task], T],
    succeeded: Callable[[T], bool],
    parallelism: int,
    on_interrupt: Callable[[], object] | None = None,
) -> dict[str, Done[T]]:
    """Run every task; returns each task's `Done`, in no particular order. `work` must not raise for an expected
    failure; an exception is recorded as a failure of that task (value None) so that the others still run."""
    ids = {t.id for t in tasks}
    waiting = {t.id: {n for n in t.needs if n in ids} for t in tasks}
    done: dict[str, Done[T]] = {}
    running: dict[Future[T], str] = {}
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as pool:
        try:
            _loop(tasks, work, succeeded, parallelism, pool, waiting, done, running)
        except KeyboardInterrupt:
            # Stop what runs before the pool waits for its threads; nothing new starts.
            for fut in running:
                fut.cancel()
            if on_interrupt is not None:
                on_interrupt()
            raise
    return done


def _loop(
    tasks: Sequence[Task],
    work: Callable[[Task], T],
    succeeded: Callable[[T], bool],
    parallelism: int,
    pool: ThreadPoolExecutor,
    waiting: dict[str, set[str]],
    done: dict[str, Done[T]],
    running: dict[Future[T], str],
) -> None:
    by_id = {t.id: t for t in tasks}
    prio = priorities(tasks)
    while len(done) < len(tasks):
        _skip_blocked(waiting, done)
        ready = sorted((t for t, w in waiting.items() if not w), key=lambda t: (-prio[t], t))
        for task_id in ready[: max(0, parallelism - len(running))]:
            del waiting[task_id]
            running[pool.submit(work, by_id[task_id])] = task_id
        if not running:
            if len(done) == len(tasks):  # the last ones were skipped
                break
            raise ValueError(f"tasks never became ready: {sorted(waiting)}")  # only with a cycle
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        for fut in finished:
            task_id = running.pop(fut)
            try:
                value: T | None = fut.result()
                ok = succeeded(value) if value is not None else False
            except Exception:
                value, ok = None, False
            done[task_id] = Done(value, ok)
            if ok:
                for deps in waiting.values():
                    deps.discard(task_id)


def _skip_blocked(waiting: dict[str, set[str]], done: dict[str, Done[T]]) -> None:
    """Skip every waiting task that needs a failed or skipped one, naming the task that actually failed."""
    changed = True
    while changed:
        changed = False
        for task_id, deps in list(waiting.items()):
            bad = sorted(d for d in deps if d in done and not done[d].ok)
            if bad:
                first = done[bad[0]]
                cause = first.skipped_because or bad[0]
                done[task_id] = Done(None, False, skipped_because=cause)
                del waiting[task_id]
                changed = True


def retry(
    attempt: Callable[[int], T],
    *,
    max_attempts: int,
    transient: Callable[[T], bool],
    delay: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[T, int]:
    """Call `attempt(n)` for n = 1.. until it is not a transient failure or `max_attempts` is reached; returns the
    last value and the number of attempts made."""
    n = 1
    while True:
        value = attempt(n)
        if n >= max_attempts or not transient(value):
            return value, n
        sleep(delay * 2 ** (n - 1))
        n += 1
