"""Who a tool process runs as. During a plan run the executor sets a separate, unprivileged identity for every tool
process (`process.run` applies it, so third-party extensions get it without doing anything): pull-request code then
cannot read the executor's environment (`/proc/<pid>/environ` is readable by the same user only), the results folder
or the workflow-command files, and every process it leaves behind can be killed by its uid.

As root the process is started with that uid/gid directly (no supplementary groups); otherwise through `sudo -n`
(GitHub-hosted runners allow it), which passes the environment on (`--preserve-env`)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RunAs:
    uid: int
    gid: int
    sudo: bool  # False: the executor is root and sets the ids itself

    def argv(self, argv: Sequence[str]) -> list[str]:
        if not self.sudo:
            return list(argv)
        return ["sudo", "-n", "--preserve-env", "-u", f"#{self.uid}", "-g", f"#{self.gid}", "--", *argv]

    def popen_kwargs(self) -> dict[str, Any]:
        return {} if self.sudo else {"user": self.uid, "group": self.gid, "extra_groups": []}

    def kill_all(self) -> None:
        """SIGKILL every process of this uid, detached ones too: a process running as the uid kills all it may
        signal (`kill(-1)`), which is exactly the uid's processes. Twice: one may have forked meanwhile."""
        for _ in range(2):
            if self.sudo:
                subprocess.run(
                    self.argv(["kill", "-s", "KILL", "--", "-1"]),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    check=False,
                    timeout=30,
                )
            else:
                self._kill_as_root()

    def _kill_as_root(self) -> None:
        pid = os.fork()
        if pid == 0:  # the child only drops to the uid and signals: nothing that could deadlock after fork
            try:
                os.setgroups([])
                os.setgid(self.gid)
                os.setuid(self.uid)
                os.kill(-1, signal.SIGKILL)
            except BaseException:
                pass
            os._exit(0)
        os.waitpid(pid, 0)


_CURRENT: RunAs | None = None
_LOCK = threading.Lock()


def set_current(run_as: RunAs | None) -> None:
    """The identity tools run as from now on (None: the executor's own); set by the executor for a whole run."""
    global _CURRENT
    with _LOCK:
        _CURRENT = run_as


def current() -> RunAs | None:
    with _LOCK:
        return _CURRENT
