"""One job's log: every line goes to the job's log file at once (so a hung job's log is readable), with the job's
secrets masked; the result keeps the tail."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from gwpipelines.executor import credentials

# What a result's `log` keeps (the tail); the whole log is in the job's log file.
LOG_TAIL = 20_000


@dataclass
class JobLog:
    path: Path
    secrets: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, text: str) -> None:
        text = credentials.mask(text, self.secrets)
        with self.lock:
            self.lines.append(text)
            with self.path.open("a", encoding="utf-8", errors="replace") as f:
                f.write(text + "\n")

    def tail(self) -> str:
        text = "\n".join(self.lines)
        return text if len(text) <= LOG_TAIL else "[...]\n" + text[-LOG_TAIL:]
