"""Every call to git goes through here: refs, diffs, trees and blobs. Errors become one actionable line."""

from __future__ import annotations

import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gwpipelines.errors import GitError

ZERO_SHA = "0" * 40


_NO_GIT = "git is not installed or not on PATH; install git and try again"


def _completed(repo: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """`git ARGS` in `repo`, finished, whatever its exit code."""
    try:
        return subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError(_NO_GIT) from None


def run(repo: Path, *args: str, stdin: bytes | None = None) -> bytes:
    out = _completed(repo, *args, stdin=stdin)
    if out.returncode != 0:
        msg = out.stderr.decode(errors="replace").strip().splitlines()
        raise GitError(f"git {' '.join(args[:2])} failed in {repo}: {msg[-1] if msg else 'no message'}")
    return out.stdout


def toplevel(repo: Path) -> Path:
    if not repo.is_dir():
        raise GitError(f"{repo}: no such directory; pass --repo with the live repository's checkout")
    out = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise GitError(f"{repo} is not a git repository; pass --repo with a checkout of the live repository")
    return Path(out.stdout.strip())


def is_shallow(repo: Path) -> bool:
    return run(repo, "rev-parse", "--is-shallow-repository").strip() == b"true"


def check_ref(ref: str) -> None:
    if not ref or ref.startswith("-") or any(c in ref for c in "\n\r\0 "):
        raise GitError(f"invalid ref {ref!r}: give a branch, tag or commit sha")


def try_rev_parse(repo: Path, *args: str) -> list[str] | None:
    """The lines `git rev-parse ARGS` prints, or None if it fails (the caller then asks step by step, for an
    error message that says which step failed): one process for what would otherwise take several."""
    out = _completed(repo, "rev-parse", *args)
    if out.returncode != 0:
        return None
    lines = out.stdout.decode("utf-8", errors="surrogateescape").split("\n")[:-1]
    if "--end-of-options" in args and "--end-of-options" in lines:
        # git before 2.43 echoes the marker back as a line of its own (no answer is that line: paths from
        # --show-toplevel are absolute, object ids hex).
        lines.remove("--end-of-options")
    return lines


def resolve(repo: Path, ref: str) -> str:
    """The commit sha of `ref`, or a GitError saying how to make it available."""
    check_ref(ref)
    out = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode == 0:
        return out.stdout.strip()
    if is_shallow(repo):
        raise GitError(
            f"unknown ref '{ref}': this is a shallow clone that lacks it; check out with `fetch-depth: 0` "
            f"(actions/checkout) or run `git fetch --depth=1 origin {ref}`"
        )
    raise GitError(f"unknown ref '{ref}' in {repo}: fetch it (`git fetch origin {ref}`) or check the name")


def merge_base(repo: Path, a: str, b: str) -> str:
    out = subprocess.run(["git", "-C", str(repo), "merge-base", a, b], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        hint = (
            "this shallow clone lacks the history between them; check out with `fetch-depth: 0`"
            if is_shallow(repo)
            else "they share no history"
        )
        raise GitError(f"no merge base between {a[:12]} and {b[:12]}: {hint}")
    return out.stdout.strip()


def tree_ids(repo: Path, *commits: str) -> list[str]:
    return run(repo, "rev-parse", *(f"{c}^{{tree}}" for c in commits)).decode().split()


def is_ancestor(repo: Path, ancestor: str, descendant: str) -> bool:
    out = subprocess.run(
        ["git", "-C", str(repo), "merge-base", "--is-ancestor", ancestor, descendant],
        capture_output=True,
        check=False,
    )
    return out.returncode == 0


@dataclass(frozen=True)
class DiffEntry:
    """One change of `git diff --raw -M`: status A/M/D/R (C is read as A; T and U as M), old and new path, and the
    new side's blob id when git gave one (what validation caches by)."""

    status: str
    old: str | None
    new: str | None
    new_oid: str | None = None
    old_oid: str | None = None  # the old side's blob id (None: none, or a submodule's commit)
    symlink: bool = False  # either side is a symbolic link (mode 120000)


def diff(repo: Path, base: str, head: str) -> list[DiffEntry]:
    raw = run(repo, "diff", "--raw", "--no-abbrev", "-M", "-z", "--no-ext-diff", base, head, "--")
    fields = raw.decode("utf-8", errors="surrogateescape").split("\0")
    entries: list[DiffEntry] = []
    i = 0
    while i < len(fields) and fields[i]:
        # ":<old mode> <new mode> <old oid> <new oid> <status>[score]", then one path (two for R and C)
        meta = fields[i].split(" ")
        oid = _blob_id(meta, 1, 3)
        old_oid = _blob_id(meta, 0, 2)
        link = len(meta) > 4 and SYMLINK_MODE in (meta[0].lstrip(":"), meta[1])
        status = meta[-1][:1]
        if status in "RC":
            old, new = fields[i + 1], fields[i + 2]
            i += 3
            if status == "R":
                entries.append(DiffEntry("R", old, new, oid, old_oid, link))
            else:
                entries.append(DiffEntry("A", None, new, oid, None, link))
            continue
        path = fields[i + 1]
        i += 2
        if status == "D":
            entries.append(DiffEntry("D", path, None, None, old_oid, link))
        elif status == "A":
            entries.append(DiffEntry("A", None, path, oid, None, link))
        else:  # M, T (type change), U: the path exists on both sides
            entries.append(DiffEntry("M", path, path, oid, old_oid, link))
    return entries


SYMLINK_MODE = "120000"


def _blob_id(meta: list[str], mode_at: int, oid_at: int) -> str | None:
    """The blob id in a raw diff line's fields (":mode mode oid oid status"), None for none or a submodule."""
    if len(meta) <= 4:
        return None
    mode, oid = meta[mode_at].lstrip(":"), meta[oid_at]
    return oid if oid.strip("0") and mode != "160000" else None


def ls_tree(repo: Path, commit: str) -> dict[str, tuple[str, str]]:
    """path -> (mode, object id) for every file of the commit (submodules are skipped)."""
    raw = run(repo, "ls-tree", "-r", "-z", "--full-tree", commit)
    out: dict[str, tuple[str, str]] = {}
    modes: dict[str, str] = {}
    text = raw.decode("utf-8", errors="surrogateescape")
    end = 0
    # One record at a time, straight from the text: a 130,000-file listing split into a list first would leave
    # tens of megabytes of freed strings behind (the process' peak memory), and the same few modes are one object.
    for m in _LS_TREE_RECORD.finditer(text):
        if m.start() != end:
            break  # a record the pattern does not read: refused below rather than skipped
        end = m.end()
        mode, kind, oid, path = m.groups()
        if kind == "blob":
            out[path] = (modes.setdefault(mode, mode), oid)
    if end != len(text):
        raise GitError(f"git ls-tree {commit} in {repo}: unreadable listing at byte {end}; report this as a bug")
    return out


_LS_TREE_RECORD = re.compile(r"([0-7]+) ([a-z]+) ([0-9a-f]+)\t([^\0]*)\0")


def cat_blobs(repo: Path, oids: list[str]) -> dict[str, bytes]:
    """The contents of many blobs in one `git cat-file --batch` process."""
    if not oids:
        return {}
    raw = run(repo, "cat-file", "--batch", stdin=("\n".join(oids) + "\n").encode())
    out: dict[str, bytes] = {}
    pos = 0
    for oid in oids:
        nl = raw.index(b"\n", pos)
        header = raw[pos:nl].split(b" ")
        if len(header) < 3 or header[1] == b"missing":
            raise GitError(f"object {oid} is missing from the repository; fetch the full history (fetch-depth: 0)")
        size = int(header[2])
        out[oid] = raw[nl + 1 : nl + 1 + size]
        pos = nl + 1 + size + 1
    return out


def stream_blobs(repo: Path, oids: list[str]) -> Iterator[tuple[str, bytes]]:
    """The contents of many blobs, each as soon as `git cat-file --batch` has written it: the caller works on
    one while git reads the next, on the other core."""
    if not oids:
        return
    try:
        proc = subprocess.Popen(
            ["git", "-C", str(repo), "cat-file", "--batch"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise GitError(_NO_GIT) from None
    assert proc.stdin is not None and proc.stdout is not None
    stdin, stdout = proc.stdin, proc.stdout

    def feed() -> None:  # a thread of its own: git's output would fill its pipe while we still wrote
        try:
            stdin.write(("\n".join(oids) + "\n").encode())
            stdin.close()
        except (BrokenPipeError, ValueError):
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        for oid in oids:
            header = stdout.readline().split(b" ")
            if len(header) < 3 or header[1] == b"missing":
                raise GitError(f"object {oid} is missing from the repository; fetch the full history (fetch-depth: 0)")
            data = stdout.read(int(header[2]))
            stdout.read(1)  # the newline after each blob
            yield oid, data
    finally:
        proc.kill()
        writer.join()
        proc.wait()
        stdout.close()
