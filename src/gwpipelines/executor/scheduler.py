"""Runs a DAG of tasks with bounded parallelism: a task starts once everything it `needs` succeeded; a task whose
dependency failed (or was skipped) is skipped with the name of the failed task, and everything else still runs.

Ready tasks start longest-remaining-path first (the critical path), which keeps the makespan close to the critical
path's length when the DAG is wider than `parallelism` (see bench/executor.py). Retries live in `retry()`: only
failures the caller classifies as transient, a bounded number of times, with a doubling delay.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

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
    board = _Board(tasks, priorities(tasks))
    workers = min(max(1, parallelism), len(tasks))
    if workers == 1 and threading.current_thread() is not threading.main_thread():
        # One at a time, where no KeyboardInterrupt can arrive (a job's steps, inside the executor's own worker):
        # the calling thread does the work itself rather than start a thread and wait for it.
        _work_until_done(board, work, succeeded)
        return board.result()
    threads = [threading.Thread(target=_work_until_done, args=(board, work, succeeded)) for _ in range(workers)]
    for t in threads:
        t.start()
    try:
        board.wait_all()
    except KeyboardInterrupt:
        board.stop()  # nothing new starts; what runs ends through `on_interrupt`
        if on_interrupt is not None:
            on_interrupt()
        raise
    finally:
        for t in threads:
            t.join()
    return board.result()


class _Board:
    """What is ready, running and done, under one lock. The thread that ends a task makes its dependents ready and
    the idle workers take them at once: a finished task's dependents start without a hand-off through a
    coordinating thread, and nothing polls (a worker sleeps until a task is ready or everything has ended)."""

    def __init__(self, tasks: Sequence[Task], prio: dict[str, float]) -> None:
        ids = {t.id for t in tasks}
        self.by_id = {t.id: t for t in tasks}
        self.dependents = _dependents(tasks)
        self.missing = {t.id: len({n for n in t.needs if n in ids}) for t in tasks}
        self.prio = prio
        # Longest remaining chain first, then by id: the order the tasks start in does not depend on timing.
        self.ready = [(-prio[t], t) for t, m in self.missing.items() if m == 0]
        heapq.heapify(self.ready)
        self.done: dict[str, Done[Any]] = {}
        self.stopped = False
        self.error: BaseException | None = None
        lock = threading.Lock()
        self.task_ready = threading.Condition(lock)
        self.all_done = threading.Condition(lock)

    def _over(self) -> bool:
        return self.stopped or len(self.done) == len(self.by_id)

    def take(self) -> Task | None:
        """The next task to run, waiting for one; None once nothing is left to start."""
        with self.task_ready:
            return self._take()

    def _take(self) -> Task | None:
        while not self.ready:
            if self._over():
                return None
            self.task_ready.wait()
        if self.stopped:
            return None
        return self.by_id[heapq.heappop(self.ready)[1]]

    def finish(self, task_id: str, value: object, ok: bool) -> Task | None:
        """Record the end of `task_id`, then take the next task for the same worker (see `take`): the dependent it
        made ready starts in the thread that is already awake, and one fewer idle worker is woken."""
        with self.task_ready:
            self.done[task_id] = Done(value, ok)
            woken = 0
            for d in self.dependents[task_id]:
                if d in self.done:
                    continue  # already skipped for another failed need
                if not ok:
                    self._skip(d, task_id)
                    continue
                self.missing[d] -= 1
                if self.missing[d] == 0:
                    heapq.heappush(self.ready, (-self.prio[d], d))
                    woken += 1
            if self._over():
                self.task_ready.notify_all()
                self.all_done.notify_all()
            elif woken > 1:
                self.task_ready.notify(woken - 1)
            return self._take()

    def _skip(self, task_id: str, cause: str) -> None:
        """Skip `task_id` and, transitively, what needs it, naming the task that actually failed."""
        todo = [task_id]
        while todo:
            t = todo.pop()
            if t in self.done:
                continue
            self.done[t] = Done(None, False, skipped_because=cause)
            todo.extend(self.dependents[t])

    def abort(self, error: BaseException) -> None:
        """A work function raised past `Exception` (SystemExit...): stop, and let the caller re-raise it."""
        with self.task_ready:
            self.error = self.error or error
            self.stopped = True
            self.task_ready.notify_all()
            self.all_done.notify_all()

    def stop(self) -> None:
        with self.task_ready:
            self.stopped = True
            self.task_ready.notify_all()

    def wait_all(self) -> None:
        with self.all_done:
            while not self._over():
                self.all_done.wait()

    def result(self) -> dict[str, Done[Any]]:
        if self.error is not None:
            raise self.error
        return self.done


def _work_until_done(board: _Board, work: Callable[[Task], T], succeeded: Callable[[T], bool]) -> None:
    task = board.take()
    while task is not None:
        try:
            value: T | None = work(task)
            ok = succeeded(value) if value is not None else False
        except Exception:
            value, ok = None, False
        except BaseException as e:
            board.abort(e)
            return
        task = board.finish(task.id, value, ok)


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
