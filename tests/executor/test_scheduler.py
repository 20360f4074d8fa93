"""The scheduler as a unit: order, parallelism, skips that name the failed task, retries of transient failures."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gwpipelines.executor import scheduler
from gwpipelines.executor.scheduler import Task


def record(tasks: list[Task], fail: set[str] = frozenset(), parallelism: int = 4, pause: float = 0.0):  # type: ignore[no-untyped-def,assignment]
    order: list[str] = []
    active, peak = [0], [0]
    lock = threading.Lock()

    def work(task: Task) -> bool:
        with lock:
            order.append(task.id)
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(pause)
        with lock:
            active[0] -= 1
        if task.id == "boom":
            raise RuntimeError("a bug in the work function")
        return task.id not in fail

    done = scheduler.run(tasks, work, lambda ok: ok, parallelism)
    return done, order, peak[0]


def test_needs_are_honoured_and_parallelism_bounded() -> None:
    tasks = [Task("a"), Task("b", ("a",)), Task("c", ("a",)), Task("d", ("b", "c"))]
    tasks += [Task(f"w{i}") for i in range(8)]
    done, order, peak = record(tasks, parallelism=3, pause=0.02)
    assert all(d.ok for d in done.values()) and len(done) == 12
    assert order.index("a") < order.index("b") < order.index("d") and order.index("c") < order.index("d")
    assert peak == 3


def test_a_failure_skips_dependents_transitively_naming_the_failed_task() -> None:
    tasks = [Task("a"), Task("b", ("a",)), Task("c", ("b",)), Task("d"), Task("e", ("d", "c"))]
    done, order, _ = record(tasks, fail={"a"})
    assert not done["a"].ok and done["a"].skipped_because is None
    assert done["b"].skipped_because == "a" and done["c"].skipped_because == "a" and done["e"].skipped_because == "a"
    assert done["d"].ok
    assert sorted(order) == ["a", "d"]  # skipped tasks never ran


def test_an_exception_fails_only_its_task() -> None:
    done, _, _ = record([Task("boom"), Task("after", ("boom",)), Task("other")])
    assert not done["boom"].ok and done["boom"].value is None
    assert done["after"].skipped_because == "boom" and done["other"].ok


def test_needs_outside_the_batch_are_treated_as_done() -> None:
    done, _, _ = record([Task("b", ("earlier-wave",))])
    assert done["b"].ok


def test_critical_path_first() -> None:
    """With one worker, the task heading the longest chain starts first."""
    tasks = [Task("short"), Task("long1"), Task("long2", ("long1",)), Task("long3", ("long2",))]
    _, order, _ = record(tasks, parallelism=1)
    assert order[0] == "long1"
    assert scheduler.priorities(tasks) == {"short": 1.0, "long1": 3.0, "long2": 2.0, "long3": 1.0}


def test_cycle_is_an_error() -> None:
    with pytest.raises(ValueError, match="cycle"):
        scheduler.priorities([Task("a", ("b",)), Task("b", ("a",))])


def test_retry_only_transient_and_bounded() -> None:
    calls: list[int] = []
    sleeps: list[float] = []

    def attempt(n: int) -> str:
        calls.append(n)
        return "transient"

    value, n = scheduler.retry(
        attempt, max_attempts=3, transient=lambda v: v == "transient", delay=1.0, sleep=sleeps.append
    )
    assert (value, n, calls, sleeps) == ("transient", 3, [1, 2, 3], [1.0, 2.0])
    calls.clear()
    value, n = scheduler.retry(
        lambda k: calls.append(k) or "fatal",
        max_attempts=3,
        transient=lambda v: v == "transient",
        delay=1.0,
        sleep=sleeps.append,
    )  # type: ignore[func-returns-value]
    assert (value, n, calls) == ("fatal", 1, [1])


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_property_every_task_ends_and_order_is_respected(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 25))
    tasks = []
    for i in range(n):
        needs = data.draw(st.sets(st.integers(0, i - 1), max_size=3)) if i else set()
        tasks.append(Task(f"t{i}", tuple(f"t{j}" for j in sorted(needs))))
    fail = {f"t{i}" for i in data.draw(st.sets(st.integers(0, n - 1), max_size=3))}
    done, order, _peak = record(tasks, fail=fail, parallelism=data.draw(st.integers(1, 4)))
    assert set(done) == {t.id for t in tasks}
    by_id = {t.id: t for t in tasks}
    for t in tasks:
        if t.id in order:
            assert all(done[d].ok and order.index(d) < order.index(t.id) for d in t.needs)
        else:
            cause = done[t.id].skipped_because
            assert cause in fail and cause is not None
            assert not done[t.id].ok
    del by_id


def test_a_dependent_starts_in_the_thread_that_ended_its_need() -> None:
    """No coordinating thread between a task's end and its dependent's start: the worker that ended `a` takes `b`."""
    threads: dict[str, int] = {}

    def work(task: Task) -> bool:
        threads[task.id] = threading.get_ident()
        time.sleep(0.01)
        return True

    done = scheduler.run([Task("a"), Task("b", ("a",)), Task("c", ("b",))], work, lambda ok: ok, 4)
    assert all(d.ok for d in done.values())
    assert threads["a"] == threads["b"] == threads["c"] != threading.get_ident()


def test_a_lone_worker_off_the_main_thread_works_in_the_calling_thread() -> None:
    seen: list[int] = []
    caller: list[int] = []

    def inner() -> None:
        caller.append(threading.get_ident())
        scheduler.run([Task("x"), Task("y", ("x",))], lambda t: seen.append(threading.get_ident()) or True, bool, 1)

    t = threading.Thread(target=inner)
    t.start()
    t.join()
    assert seen == caller * 2


def test_an_exception_past_exception_stops_the_run_and_reaches_the_caller() -> None:
    started: list[str] = []

    def work(task: Task) -> bool:
        started.append(task.id)
        if task.id == "a":
            raise SystemExit(3)
        return True

    with pytest.raises(SystemExit):
        scheduler.run([Task("a"), Task("b", ("a",)), Task("c", ("b",))], work, lambda ok: ok, 2)
    assert started == ["a"]
