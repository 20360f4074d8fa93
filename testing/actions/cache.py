"""The stand-in for actions/cache (restore, save): an in-memory store shared by every run of one `Runner`, faithful
to the parts of its contract our workflows rely on.

- An entry belongs to the ref of the run that saved it (its scope). A restore looks for `key` exactly, then for
  each of `restore-keys` as a prefix (newest entry first), in the run's own ref, then in the default branch's:
  so a pull request's run sees its own entries and the default branch's, and nobody else's.
- Keys are immutable: saving an existing key in a scope saves nothing (a warning, as actions/cache/save does).
- A `path` that matches nothing saves nothing (a warning, not a failure).
- `cache-hit` is "true" only for an exact match of `key`; `cache-matched-key` names whichever entry was restored.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_BRANCH = "refs/heads/main"


@dataclass(frozen=True)
class Entry:
    key: str
    scope: str
    order: int
    files: dict[str, bytes]  # path relative to the workspace -> bytes


@dataclass
class CacheStore:
    entries: list[Entry] = field(default_factory=list)
    _count: itertools.count[int] = field(default_factory=itertools.count)

    def restore(self, workspace: Path, ref: str, key: str, restore_keys: list[str]) -> tuple[str, dict[str, str]]:
        entry = self._find(ref, key, restore_keys)
        if entry is None:
            return f"Cache not found for input keys: {', '.join([key, *restore_keys])}\n", {"cache-hit": "false"}
        for rel, data in entry.files.items():
            target = Path(os.path.normpath(workspace / rel))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        hit = "true" if entry.key == key else "false"
        return f"Cache restored from key: {entry.key}\n", {"cache-hit": hit, "cache-matched-key": entry.key}

    def save(self, workspace: Path, ref: str, key: str, paths: list[str]) -> str:
        if any(e.key == key and e.scope == ref for e in self.entries):
            return f"Warning: Cache save failed: another entry already holds key {key}\n"
        files: dict[str, bytes] = {}
        for pattern in paths:
            base = workspace / pattern
            found = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
            # As actions/cache does, paths are kept relative to the workspace (a runner-temp path as ../...).
            files |= {os.path.relpath(p, workspace): p.read_bytes() for p in found}
        if not files:
            return "Warning: Path Validation Error: Path(s) specified in the action for caching do(es) not exist\n"
        self.entries.append(Entry(key, ref, next(self._count), files))
        return f"Cache saved with key: {key}\n"

    def _find(self, ref: str, key: str, restore_keys: list[str]) -> Entry | None:
        for scope in dict.fromkeys([ref, DEFAULT_BRANCH]):
            mine = sorted((e for e in self.entries if e.scope == scope), key=lambda e: -e.order)
            exact = next((e for e in mine if e.key == key), None)
            if exact is not None:
                return exact
            for prefix in restore_keys:
                match = next((e for e in mine if e.key.startswith(prefix)), None)
                if match is not None:
                    return match
        return None


def lines(text: str) -> list[str]:
    """A multi-line `path` / `restore-keys` input as actions/cache reads it: one per line, blanks dropped."""
    return [line.strip() for line in text.splitlines() if line.strip()]
