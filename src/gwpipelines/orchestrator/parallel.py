"""Fork parallelism, in one place: a big tree is evaluated by two processes when the machine has two cores (the
second half of the configs in a forked child), and a big analysis is written to the cache by a child while the
parent goes on. Every child leaves with `os._exit` (never running the parent's exit handlers) and is reaped."""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from gwpipelines.orchestrator.terragrunt.analysis import Evaluated, evaluate
from gwpipelines.orchestrator.terragrunt.values import Trace, interned, unit_columns, units_of

if TYPE_CHECKING:
    from gwpipelines.orchestrator.terragrunt.evaluator import Evaluator

# Below this many configs a fork costs more than it saves. GWPIPELINES_PARALLEL=off turns forking off.
PARALLEL_MIN_CONFIGS = 2000


def may_fork() -> bool:
    if os.environ.get("GWPIPELINES_PARALLEL", "").lower() in ("off", "0", "false", "no"):
        return False
    affinity = getattr(os, "sched_getaffinity", None)
    cores = len(affinity(0)) if affinity else (os.cpu_count() or 1)
    # Forking a process that runs other threads (a test server, say) could copy a lock one of them holds.
    return hasattr(os, "fork") and cores >= 2 and threading.active_count() == 1


def in_child(work: Callable[[], None]) -> int | None:
    """Run `work` in a forked child, which then leaves without running any of this process's exit handlers (an
    error in `work` only ends the child: the parent sees what it did not write). The child's pid, or None when no
    process could be forked: the caller does the work itself."""
    try:
        pid = os.fork()
    except OSError:
        return None
    if pid == 0:
        try:
            work()
        finally:
            os._exit(0)
    return pid


def reap(pid: int) -> None:
    """Wait for a child to end."""
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        return


def stop(pid: int) -> None:
    """End a child now: one still running (its answer is no longer wanted) is killed, then reaped."""
    try:
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:
        return


def evaluate_all(
    ev: Evaluator, todo: list[str], alongside: Callable[[], None], needed_next: Callable[[Trace], bool]
) -> list[Evaluated]:
    """`terragrunt.evaluate(ev, todo)`, in two processes when `todo` is big, with `alongside` done meanwhile
    (else first)."""
    if len(todo) >= PARALLEL_MIN_CONFIGS and may_fork():
        return evaluate_in_two(ev, todo, alongside, needed_next)
    alongside()
    return evaluate(ev, todo)


def evaluate_in_two(
    ev: Evaluator, todo: list[str], alongside: Callable[[], None], needed_next: Callable[[Trace], bool]
) -> list[Evaluated]:
    """The first half here, the second in a forked child that pickles its answers back: the same answers, in
    the same order, as one process gives. If the child fails (an unparseable file, say), its half is evaluated
    here again, so that the error raised is the one a single process raises. `alongside` runs here after this
    half, while the child (which pays for copying the pages it writes to) is still at work. With its answers the
    child sends the facts of the files read by its configs whose trace `needed_next` says the next commit's
    evaluation will look at again, so that this process need not read and scan them a second time."""
    half = len(todo) // 2
    read_end, write_end = os.pipe()

    def child() -> None:
        os.close(read_end)
        try:
            answer: list[Evaluated] | None = evaluate(ev, todo[half:])
        except Exception:
            answer = None
        facts = ev.blob_facts(t for _, _, t, _ in answer or () if needed_next(t))
        with os.fdopen(write_end, "wb") as pipe:
            pickle.dump((_columns(answer), facts), pipe, protocol=pickle.HIGHEST_PROTOCOL)

    pid = in_child(child)
    os.close(write_end)
    if pid is None:  # no process to spare: all of it here
        os.close(read_end)
        alongside()
        return evaluate(ev, todo)
    with os.fdopen(read_end, "rb") as pipe:
        try:
            try:
                mine = evaluate(ev, todo[:half])
            except Exception:
                alongside()  # its error comes first, as when it runs before a single process evaluates
                raise
            alongside()
            try:
                columns, facts = pickle.load(pipe)
                ev.add_blob_facts(facts)
            except (EOFError, pickle.UnpicklingError):
                columns = None
        finally:
            stop(pid)  # still running: this half failed
    if columns is None:
        return mine + evaluate(ev, todo[half:])
    cfgs, units, traces, includes = columns
    theirs = zip(cfgs, units_of(units), traces, includes, strict=True)
    return mine + [(cfg, unit, trace.canonical(), interned(inc)) for cfg, unit, trace, inc in theirs]


_Columns = tuple[tuple[str, ...], tuple[tuple[object, ...], ...], tuple[Trace, ...], tuple[frozenset[str], ...]]


def _columns(answer: list[Evaluated] | None) -> _Columns | None:
    """A child's answer as columns, its units too (see `unit_columns`: the pipe's pickler then keeps no copy of
    each unit's fields)."""
    if answer is None:
        return None
    cfgs, units, traces, includes = zip(*answer, strict=True) if answer else ((), (), (), ())
    return cfgs, unit_columns(units), traces, includes
