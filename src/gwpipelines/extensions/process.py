"""Running one tool process for an extension: argv only (never a shell), an environment, a timeout that stops the
whole process group, output decoded whatever its bytes and stripped of ANSI colour codes.

Stopping is graceful first: SIGTERM, then `grace` seconds (minutes by default: OpenTofu finishes the in-flight
operation, writes the state and releases the lock; Terragrunt forwards the signal and waits), and only then
SIGKILL. A tool that had to be killed may have left its state lock held: `Completed.killed` says so."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from gwpipelines.extensions import runas

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07")
# The tools running now, so that a cancelled run can stop them (they run in their own sessions).
_RUNNING: set[subprocess.Popen[bytes]] = set()
_LOCK = threading.Lock()
_CANCELLED = threading.Event()
# Processes stop_all() had to SIGKILL: their run() reports them killed.
_KILLED: set[int] = set()
# Seconds between SIGTERM and SIGKILL unless the caller says otherwise (core.execution_defaults.stop_grace_seconds).
DEFAULT_GRACE = 300.0
LOCK_WARNING = "state lock may be held"


def allow_runs() -> None:
    """A new run starts: tools may be started again (after an earlier cancelled run in this process)."""
    _CANCELLED.clear()


# What one process may leave in memory; the rest is counted, not kept (a runaway log must not fill RAM).
MAX_CAPTURE = 8 * 1024 * 1024


@dataclass(frozen=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int  # -1 when it timed out, 127 when the tool is missing
    stdout: str
    stderr: str
    timed_out: bool = False
    killed: bool = False  # SIGKILLed after the grace period: the tool could not release its state lock


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def decode(data: bytes) -> str:
    return strip_ansi(data.decode("utf-8", errors="replace"))


def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    timeout: float,
    log: Callable[[str], None],
    log_stdout: bool = True,
    grace: float = DEFAULT_GRACE,
    stdout_to: Path | None = None,
) -> Completed:
    """Run `argv` in `cwd`; stderr (and stdout unless `log_stdout` is False, e.g. for JSON) goes to `log` too.
    On timeout the tool gets SIGTERM and `grace` seconds to stop before SIGKILL. With `stdout_to`, stdout streams
    to that file whatever its size (a plan's JSON: never cut) and `Completed.stdout` is empty."""
    log("$ " + " ".join(argv))
    if _CANCELLED.is_set():
        log("[gwpipelines: not started: the run was cancelled]")
        return Completed(tuple(argv), -1, "", "cancelled")
    sink = stdout_to.open("wb") if stdout_to is not None else None
    run_as = runas.current()
    try:
        proc = subprocess.Popen(
            run_as.argv(_resolved(argv, env)) if run_as else list(argv),
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=sink if sink is not None else subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, so a timeout kills the tool's children too
            **(run_as.popen_kwargs() if run_as else {}),
        )
    except FileNotFoundError:
        _close(sink)
        message = f"{argv[0]}: command not found on PATH"
        log(message)
        return Completed(tuple(argv), 127, "", message)
    except PermissionError:
        _close(sink)
        message = f"{argv[0]}: permission denied"
        log(message)
        return Completed(tuple(argv), 126, "", message)
    timed_out = killed = False
    start = time.monotonic()
    with _LOCK:
        _RUNNING.add(proc)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        log(f"[gwpipelines: {argv[0]} timed out after {timeout:g}s: SIGTERM, {grace:g}s to stop]")
        killed = _stop_group(proc, grace)
        out, err = proc.communicate()
    finally:
        with _LOCK:
            _RUNNING.discard(proc)
            killed = killed or proc.pid in _KILLED
            _KILLED.discard(proc.pid)
        _close(sink)
    out = out or b""
    stdout, stderr = decode(out[:MAX_CAPTURE]), decode(err[:MAX_CAPTURE])
    logged = [(stdout, len(out) - MAX_CAPTURE)] if log_stdout else []
    for text, dropped in [*logged, (stderr, len(err) - MAX_CAPTURE)]:
        if text:
            log(text.rstrip("\n"))
        if dropped > 0:
            log(f"[gwpipelines: {dropped} more bytes of output not kept]")
    if killed:
        log(f"[gwpipelines: {argv[0]} did not stop within {grace:g}s of SIGTERM and was killed: {LOCK_WARNING}]")
    if timed_out:
        log(f"[gwpipelines: {argv[0]} timed out after {time.monotonic() - start:.0f}s and was stopped]")
        return Completed(tuple(argv), -1, stdout, stderr, timed_out=True, killed=killed)
    return Completed(tuple(argv), proc.returncode, stdout, stderr, killed=killed)


def _resolved(argv: Sequence[str], env: Mapping[str, str]) -> list[str]:
    """argv with its program found on the job's PATH: sudo would look it up on its own `secure_path`."""
    found = shutil.which(argv[0], path=env.get("PATH")) if "/" not in argv[0] else None
    return [found or argv[0], *argv[1:]]


def _close(sink: IO[bytes] | None) -> None:
    if sink is not None:
        sink.close()


def stop_all(grace: float = DEFAULT_GRACE) -> int:
    """On cancellation (Ctrl-C, or the runner's SIGTERM when a workflow is cancelled): ask every running tool to
    stop (SIGTERM: OpenTofu then ends its operation and releases the state lock), give them `grace` seconds in all,
    then SIGKILL the rest, so that none outlives the run in its own session. Returns how many were asked."""
    _CANCELLED.set()
    with _LOCK:
        running = list(_RUNNING)
    for proc in running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for proc in running:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with _LOCK:
                _KILLED.add(proc.pid)
        # The group too: a child the tool started may still run after the tool itself exited.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    return len(running)


def _stop_group(proc: subprocess.Popen[bytes], grace: float) -> bool:
    """SIGTERM the tool's group, wait up to `grace`, then SIGKILL the group; True when the tool had to be killed."""
    killed = False
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        killed = True
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    return killed
