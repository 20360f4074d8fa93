"""A read-only view of the repository's files: at a commit (from git) or in a working directory.

The orchestrator is a pure function of two such views; tests and `units`/`graph` on a plain folder use the
working-directory view. Paths are POSIX and relative to the repository root.
"""

from __future__ import annotations

import bisect
import hashlib
import os
import posixpath
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import cast

from gwpipelines import git

# Folders Terragrunt never treats as holding units, and whose files are never inputs of ours.
SKIPPED_DIRS = frozenset({".terragrunt-cache", ".terraform", ".git"})


def is_hidden(path: str) -> bool:
    return any(part.startswith(".") for part in path.split("/")[:-1])


class Tree:
    """Files by path; contents read lazily (and at most once) through `loader`."""

    def __init__(
        self,
        files: dict[str, str | None],
        loader: Callable[[list[str]], dict[str, str]],
        streamer: Callable[[list[str]], Iterator[tuple[str, str]]] | None = None,
    ) -> None:
        # files: path -> content id (git blob id, or None when there is none, e.g. a working directory)
        self.files = files
        self._loader = loader
        self._streamer = streamer
        self._text: dict[str, str] = {}
        self.dirs = _dirs_of(files)
        self._sorted_by_suffix: dict[str, list[str]] = {}
        # Symbolic links inside the repository: link path -> the path it points to (a file, or a folder whose files
        # then appear below the link too, as the filesystem shows them). See `with_links`.
        self.links: dict[str, str] = {}

    def real(self, path: str) -> str:
        """The path a link (or a path below a linked folder) leads to; other paths as they are."""
        for _ in range(8):  # links to links, up to a depth no sane tree needs
            d = path
            while d and d not in self.links:
                d = posixpath.dirname(d)
            if not d:
                return path
            path = self.links[d] + path[len(d) :]
        return path

    def files_below(self, folder: str, suffix: str = "") -> list[str]:
        """The files ending in `suffix` anywhere below `folder` ("" for the whole tree), in path order: a
        bisection in a sorted index built once per suffix, not a pass over every file per question."""
        index = self._sorted_by_suffix.get(suffix)
        if index is None:
            index = self._sorted_by_suffix[suffix] = sorted(p for p in self.files if p.endswith(suffix))
        prefix = folder + "/" if folder else ""
        out = []
        for i in range(bisect.bisect_left(index, prefix), len(index)):
            if not index[i].startswith(prefix):
                break
            out.append(index[i])
        return out

    def exists(self, path: str) -> bool:
        return path in self.files or path in self.dirs or path == ""

    def is_file(self, path: str) -> bool:
        return path in self.files

    def blob_id(self, path: str) -> str | None:
        return self.files.get(path)

    def read(self, path: str) -> str:
        if path not in self._text:
            self.prefetch([path])
        return self._text[path]

    def stream(self, paths: Iterable[str]) -> Iterator[tuple[str, str]]:
        """(path, text) for each of `paths` (one path per distinct content id), as they arrive; not kept."""
        if self._streamer is None:
            wanted = [p for p in paths if p in self.files]
            yield from self._loader(wanted).items()
            return
        by_id: dict[str, str] = {}
        for p in paths:
            oid = self.files.get(p)
            if oid:
                by_id.setdefault(oid, p)
        yield from self._streamer(sorted(by_id.values(), key=lambda p: self.files[p] or ""))

    def prefetch(self, paths: Iterable[str]) -> None:
        missing = [p for p in paths if p not in self._text and p in self.files]
        if missing:
            self._text.update(self._loader(missing))


def _dirs_of(files: Iterable[str]) -> set[str]:
    dirs: set[str] = set()
    for f in files:
        d = f[: max(f.rfind("/"), 0)]  # posixpath.dirname of a clean relative path, at a tenth of the cost
        while d and d not in dirs:
            dirs.add(d)
            d = d[: max(d.rfind("/"), 0)]
    return dirs


def _decode(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def at_commit(repo: Path, commit: str) -> Tree:
    entries = git.ls_tree(repo, commit)
    files = {p: oid for p, (mode, oid) in entries.items() if mode not in ("160000", git.SYMLINK_MODE)}
    linked = {p: oid for p, (mode, oid) in entries.items() if mode == git.SYMLINK_MODE}
    if not linked:
        return from_listing(repo, files)
    blobs = git.cat_blobs(repo, sorted(set(linked.values())))
    targets = {p: _decode(blobs[oid]) for p, oid in linked.items()}
    return with_links(from_listing(repo, files), targets)


def with_links(base: Tree, targets: dict[str, str]) -> Tree:
    """`base` (without its symbolic links) with each link read the way the filesystem reads it: a link to a file
    has that file's content, a link to a folder holds that folder's files. `targets`: link path -> the text it
    holds (a path relative to the link's folder). A link leading outside the repository, or nowhere, is left out:
    nothing in the repository can change what it reads."""
    links: dict[str, str] = {}
    for link, text in targets.items():
        target = posixpath.normpath(posixpath.join(posixpath.dirname(link), text.strip()))
        if not text.strip() or text.startswith("/") or target == ".." or target.startswith("../"):
            continue
        links[link] = "" if target == "." else target
    probe = Tree(dict(base.files), lambda paths: {})
    probe.links = links
    copies: dict[str, str] = {}
    for link in links:
        real = probe.real(link)
        if real in base.files:
            copies[link] = real
        elif real in base.dirs or real == "":
            for f in base.files_below(real):
                rest = f[len(real) + 1 :] if real else f
                if not rest.startswith(link + "/"):  # a folder linked into itself: no endless copies
                    copies[f"{link}/{rest}"] = f
    out = overlay(base, copies)
    out.links = links
    return out


def across(other: Tree, diff: Iterable[git.DiffEntry], forward: bool) -> dict[str, str]:
    """The listing (path -> blob id) of the commit at the other end of `diff` from the tree `other`, without
    asking git to list it again: `forward` goes from the diff's old side to its new side, else back."""
    files = {p: oid for p, oid in other.files.items() if oid}
    for e in diff:
        gone, came, oid = (e.old, e.new, e.new_oid) if forward else (e.new, e.old, e.old_oid)
        if gone:
            files.pop(gone, None)
        if came and oid:
            files[came] = oid
    return files


def from_listing(repo: Path, files: dict[str, str]) -> Tree:
    """A commit's tree from its listing (path -> blob id), which it keeps (no copy: at 100,000 units a second
    dict of every path is 10 MB); contents read from the repository when asked."""

    def load(paths: list[str]) -> dict[str, str]:
        oids = sorted({files[p] for p in paths if files[p]})
        blobs = git.cat_blobs(repo, [o for o in oids if o])
        return {p: _decode(blobs[files[p]]) for p in paths if files[p] in blobs}

    def stream(paths: list[str]) -> Iterator[tuple[str, str]]:
        path_of = {files[p]: p for p in paths}
        for oid, data in git.stream_blobs(repo, list(path_of)):
            yield path_of[oid], _decode(data)

    return Tree(cast("dict[str, str | None]", files), load, stream)  # (only read through the Tree)


def in_directory(root: Path, content_ids: bool = False) -> Tree:
    """The files below `root` as the filesystem shows them. With `content_ids`, each file's id is the git blob id
    of its bytes (what `git hash-object` prints): the same content has the same id in a checkout and in git, so
    facts and validations keyed by blob id serve both."""
    files: dict[str, str | None] = {}
    targets: dict[str, str] = {}
    stack = [("", str(root))]
    while stack:
        rel, folder = stack.pop()
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
        for entry in entries:
            path = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_symlink():
                targets[path] = os.readlink(entry.path)
            elif entry.is_dir():
                if entry.name not in SKIPPED_DIRS:
                    stack.append((path, entry.path))
            else:
                files[path] = _blob_id(entry.path) if content_ids else None

    def load(paths: list[str]) -> dict[str, str]:
        return {p: _decode((root / p).read_bytes()) for p in paths}

    base = Tree(files, load)
    return with_links(base, targets) if targets else base


def _blob_id(path: str) -> str:
    with open(path, "rb") as f:
        data = f.read()
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def overlay(base: Tree, copies: dict[str, str]) -> Tree:
    """`base` with more files, each a copy of one of its files (generated path -> the path it copies): what
    `terragrunt stack generate` would write, never on disk. A copy has its original's content id, so the facts
    of a catalog file scanned once serve every copy."""
    files = dict(base.files)
    files.update({copy: base.files.get(original) for copy, original in copies.items()})

    def load(paths: list[str]) -> dict[str, str]:
        return {p: base.read(copies.get(p, p)) for p in paths}

    out = Tree(files, load)
    out.links = base.links
    return out
