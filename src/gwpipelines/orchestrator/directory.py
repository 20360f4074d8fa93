"""The analysis of a working directory (`units`, `graph`) on the orchestrator's fast path: the fast scanner, the
cache, and two processes for a big tree. With no diff to narrow the syntax checks to, every file the evaluation
reads is checked in full once per content (`hcl.check`: piece by piece, each distinct piece once, with the full
parse's errors); a blob the cache has seen pass before (here or in `orchestrate`, which keeps the same set) is only
scanned.

The cache key is the directory's whole content (every path with the git blob id of its bytes, and every symbolic
link with its target), so an answer is reused only for the very same files; the code key is in the entry's name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

from gwpipelines.errors import GitError
from gwpipelines.orchestrator import cache, hcl, tree
from gwpipelines.orchestrator.sides import analyse_reusing
from gwpipelines.orchestrator.terragrunt import Analysis

VALIDATED = ("blobs", "validated")  # (tree id, kind) of the set of blob ids that parsed in full: orchestrate's too


def analyse(root: Path) -> Analysis:
    """`terragrunt.analyse(tree.in_directory(root), hcl.scan_strict)`: the same answer and the same first
    ParseError, computed for less."""
    t = tree.in_directory(root, content_ids=True)
    cache_dir = _cache_dir(root)
    key = content_key(t)
    cached = cache.load(cache_dir, key, "directory")
    if isinstance(cached, Analysis):
        return cached  # stored only once every file it read had parsed in full
    loaded = cache.load(cache_dir, *VALIDATED)
    valid: set[str] = loaded if isinstance(loaded, set) else set()

    parsed: set[str] = set()

    def scanner(text: str, path: str) -> hcl.FileFacts:
        """The full check, but for a content that passed it before: then the fast scanner alone (same facts)."""
        oid = t.blob_id(path)
        if oid in valid:
            return hcl.scan(text, path)
        facts = hcl.scan_checked(text, path)
        if oid:
            parsed.add(oid)
        return facts

    analysis = analyse_reusing(t, scanner, {})
    if cache_dir is not None:
        # Only what this process parsed: the second process's half is parsed again the next time it is needed
        # (a trace also names files only looked for, never parsed, so traces cannot stand in for the parses).
        newly = parsed - valid
        if newly:
            cache.store(cache_dir, *VALIDATED, valid | newly)
        slim = dataclasses.replace(analysis, evaluated={}, traces={}, includes={})
        cache.store(cache_dir, key, "directory", slim)
    return analysis


def content_key(t: tree.Tree) -> str:
    h = hashlib.sha256()
    for path in sorted(t.files):
        h.update(f"{path}\0{t.files[path] or ''}\n".encode())
    for link in sorted(t.links):
        h.update(f"{link}\0->{t.links[link]}\n".encode())
    return "dir" + h.hexdigest()[:40]


def _cache_dir(root: Path) -> Path | None:
    """The cache of the repository `root` is in (or GWPIPELINES_CACHE_DIR); None for a folder outside git."""
    if os.environ.get("GWPIPELINES_CACHE_DIR") or os.environ.get("GWPIPELINES_CACHE"):
        try:
            return cache.directory(root)
        except GitError:
            return None
    if not (root / ".git").exists():
        return None  # a plain folder (or a subfolder of a checkout): no git directory of its own to write into
    try:
        return cache.directory(root)
    except GitError:
        return None
