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
KEEP_CODE_KEYS = 8  # remembered code keys (one per installed copy of the package)


PACKAGE = Path(__file__).resolve().parent.parent


@cache
def code_key(cache_dir: Path | None = None) -> str:
    """Changes whenever any code of the package changes (a new release, a local edit, a module moved or renamed):
    a stale analysis could miss units, so every source file counts, by its path inside the package and its bytes.

    Hashing every source takes a warm run's tenth, so the answer is remembered in `cache_dir` by the files' stat
    (path, size, mtime, ctime, inode): no edit, copy or reinstall leaves all of those as they were (ctime cannot
    be set back), and a fresh install (a CI run) hashes the sources once, then finds the same key as before."""
    files = _package_files()
    stamp = hashlib.sha256()
    for rel, path in files:
        st = os.stat(path)
        stamp.update(f"{rel}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}\n".encode())
    memo = cache_dir / f"code-{stamp.hexdigest()[:32]}.key" if cache_dir is not None else None
    if memo is not None:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            known = memo.read_text()
            if len(known) == 16 and all(c in "0123456789abcdef" for c in known):
                return known
    h = hashlib.sha256()
    for rel, path in files:
        h.update(rel.encode() + b"\0")
        with open(path, "rb") as f:
            h.update(f.read() + b"\0")
    key = h.hexdigest()[:16]
    if memo is not None:
        _write_atomically(memo, key.encode())
    return key


def _package_files() -> list[tuple[str, str]]:
    """(path inside the package, path) of every file of the package but compiled ones, sorted by the former."""
    out = []
    stack = [("", str(PACKAGE))]
    while stack:
        rel, folder = stack.pop()
        with os.scandir(folder) as it:
            for entry in it:
                name = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir(follow_symlinks=True):
                    if entry.name != "__pycache__":
                        stack.append((name, entry.path))
                elif entry.is_file():
                    out.append((name, entry.path))
    return sorted(out)


def _write_atomically(path: Path, data: bytes) -> None:
    """`data` into `path`, which then holds all of it or its old content; a read-only place is no error."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError:
        return


def directory(repo: Path) -> Path | None:
    if os.environ.get("GWPIPELINES_CACHE", "").lower() in ("off", "0", "false", "no"):
        return None
    override = os.environ.get("GWPIPELINES_CACHE_DIR")
    if override:
        return Path(override)
    common = git.run(repo, "rev-parse", "--git-common-dir").decode().strip()
    return (repo / common / "gwpipelines").resolve()


def _path(cache_dir: Path, tree_id: str, kind: str) -> Path:
    return cache_dir / f"{kind}-{tree_id}-{code_key(cache_dir)}.pickle"


def has(cache_dir: Path | None, tree_id: str, kind: str) -> bool:
    return cache_dir is not None and _path(cache_dir, tree_id, kind).exists()


def load(cache_dir: Path | None, tree_id: str, kind: str) -> Any | None:
    if cache_dir is None:
        return None
    # Unpickling builds many small objects: collecting on the way only slows it down.
    with no_gc_pauses():
        try:
            with _path(cache_dir, tree_id, kind).open("rb") as f:
                return _DataOnly(f).load()
        except Exception:  # a truncated, foreign or planted entry is a miss, whatever it raises
            return None


# What an entry may name: the package's own classes and a few builtin containers. A pickle names any callable it
# likes (`os.system`) and calls it while loading; an entry restored by actions/cache was written by another run,
# so loading one must never call anything but the constructor of a class of ours (data, no side effects).
_BUILTINS = frozenset({"frozenset", "set", "tuple", "list", "dict", "str", "bytes", "int", "float", "bool"})


class _DataOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == "builtins" and name in _BUILTINS:
            return super().find_class(module, name)
        if module.startswith("gwpipelines.") and "." not in name:
            found = super().find_class(module, name)
            if isinstance(found, type) and not issubclass(found, BaseException):
                return found
        raise pickle.UnpicklingError(f"a cache entry may not name {module}.{name}")


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
    keys = sorted(cache_dir.glob("code-*.key"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [*entries[KEEP:], *keys[KEEP_CODE_KEYS:]]:
        old.unlink(missing_ok=True)
