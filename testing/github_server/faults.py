"""Injected failures: what GitHub does to clients on a bad day, for a method + path pattern, N times."""

from __future__ import annotations

import fnmatch
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

Kind = Literal["error", "secondary_rate_limit", "primary_rate_limit", "slow"]
MAX_SLOW_SECONDS = 3.0  # a slow answer must outlast a test client's timeout, never the test suite's patience


@dataclass
class Fault:
    """One injected failure.

    `path` is an fnmatch pattern over the request path (`*` crosses slashes), e.g. "/repos/*/issues/*/comments".
    `after=True` applies the request first and then answers with the fault: the side effect happened but the client
    cannot know it (the case that makes a blind retry duplicate a comment or a dispatch).
    """

    method: str
    path: str
    kind: Kind
    status: int
    times: int = 1
    after: bool = False
    retry_after: int = 1
    reset_in: int = 1
    seconds: float = 0.0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return self.hits < self.times and self.method in (method, "*") and fnmatch.fnmatchcase(path, self.path)

    def answer(self) -> tuple[int, dict[str, str], dict[str, str]]:
        """Status, headers and body of the failure, shaped as GitHub sends them."""
        docs = "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"
        if self.kind == "secondary_rate_limit":
            message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
            return self.status, {"Retry-After": str(self.retry_after)}, {"message": message, "documentation_url": docs}
        if self.kind == "primary_rate_limit":
            headers = {
                "X-RateLimit-Limit": "5000",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Used": "5000",
                "X-RateLimit-Reset": str(int(time.time()) + self.reset_in),
                "X-RateLimit-Resource": "core",
            }
            return self.status, headers, {"message": "API rate limit exceeded for user.", "documentation_url": docs}
        messages = {500: "Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        return self.status, {}, {"message": messages.get(self.status, "Server Error")}


class Faults:
    """The fault table of one server. Thread-safe; each fault fires at most `times` times."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        if fault.kind == "slow" and not 0 < fault.seconds <= MAX_SLOW_SECONDS:
            raise ValueError(f"a slow fault sleeps 0 < seconds <= {MAX_SLOW_SECONDS}, not {fault.seconds}")
        with self._lock:
            self._faults.append(fault)
        return fault

    def error(self, method: str, path: str, status: int = 502, *, times: int = 1, after: bool = False) -> Fault:
        if status not in (500, 502, 503):
            raise ValueError(f"server errors are 500, 502 or 503, not {status}")
        return self.add(Fault(method, path, "error", status, times=times, after=after))

    def secondary_rate_limit(self, method: str, path: str, *, retry_after: int = 1, times: int = 1) -> Fault:
        return self.add(Fault(method, path, "secondary_rate_limit", 403, times=times, retry_after=retry_after))

    def primary_rate_limit(
        self, method: str, path: str, *, status: int = 403, reset_in: int = 1, times: int = 1
    ) -> Fault:
        if status not in (403, 429):
            raise ValueError(f"a primary rate limit answers 403 or 429, not {status}")
        return self.add(Fault(method, path, "primary_rate_limit", status, times=times, reset_in=reset_in))

    def slow(self, method: str, path: str, *, seconds: float = 2.0, times: int = 1) -> Fault:
        """The request is answered normally, but only after `seconds` (longer than the client's timeout)."""
        return self.add(Fault(method, path, "slow", 200, times=times, seconds=seconds))

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    fault.hits += 1
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:
            return iter(list(self._faults))
