"""A content-addressed cache of analysed commits: a tree's units, reads and accounts, keyed by the git tree id
and by the code that computed them. Safe by construction: the analysis is a pure function of those two.

It lives in the repository's git directory (`.git/gwpipelines/`), or in `GWPIPELINES_CACHE_DIR`; CI can keep it
between runs with actions/cache. `GWPIPELINES_CACHE=off` turns it off. A broken entry is ignored, never fatal.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import os
import pickle
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from gwpipelines import git
from gwpipelines.orchestrator import parallel

KEEP = 64  # entries kept; the oldest are removed first


@cache
def code_key() -> str:
    """Changes whenever any code of the package changes (a new release, a local edit, a module moved or renamed):
    a stale analysis could miss units, so every source file counts, by its path inside the package and its bytes."""
    h = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for path in sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(path.relative_to(package).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def directory(repo: Path) -> Path | None:
    if os.environ.get("GWPIPELINES_CACHE", "").lower() in ("off", "0", "false", "no"):
        return None
    override = os.environ.get("GWPIPELINES_CACHE_DIR")
    if override:
        return Path(override)
    common = git.run(repo, "rev-parse", "--git-common-dir").decode().strip()
    return (repo / common / "gwpipelines").resolve()


def _path(cache_dir: Path, tree_id: str, kind: str) -> Path:
    return cache_dir / f"{kind}-{tree_id}-{code_key()}.pickle"


def has(cache_dir: Path | None, tree_id: str, kind: str) -> bool:
    return cache_dir is not None and _path(cache_dir, tree_id, kind).exists()


def load(cache_dir: Path | None, tree_id: str, kind: str) -> Any | None:
    if cache_dir is None:
        return None
    # Unpickling builds many small objects: collecting on the way only slows it down.
    with no_gc_pauses():
        try:
            with _path(cache_dir, tree_id, kind).open("rb") as f:
                return pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
            return None


@contextlib.contextmanager
def no_gc_pauses() -> Iterator[None]:
    """The cyclic collector off for a while (and back on after, unless it was already off): for work that builds
    many long-lived acyclic objects, which each collection would walk again for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def store(cache_dir: Path | None, tree_id: str, kind: str, value: Any) -> None:
    if cache_dir is None:
        return
    import tempfile  # here, not at start-up: a warm run writes nothing and need not import it (shutil, random)

    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, _path(cache_dir, tree_id, kind))
        _prune(cache_dir)
    except OSError:
        return  # a read-only checkout still works, only slower


def store_all(
    cache_dir: Path | None, entries: list[tuple[str, str, Any]], background: bool = False
) -> Callable[[], None]:
    """Store each (tree id, kind, value) of `entries`. With `background`, a forked child pickles and writes them
    while the caller goes on (a big analysis takes a tenth of a second to pickle, as long as the other commit's
    evaluation); the function returned waits for that child. Each entry appears whole or not at all, either way."""
    if cache_dir is None or not entries:
        return _done
    if background:
        pid = parallel.in_child(functools.partial(_store_each, cache_dir, entries))
        if pid is not None:
            return functools.partial(parallel.reap, pid)
    _store_each(cache_dir, entries)
    return _done


def _store_each(cache_dir: Path, entries: list[tuple[str, str, Any]]) -> None:
    for tree_id, kind, value in entries:
        store(cache_dir, tree_id, kind, value)


def _done() -> None:
    return None


def _prune(cache_dir: Path) -> None:
    entries = sorted(cache_dir.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)
