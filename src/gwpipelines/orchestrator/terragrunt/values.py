"""The values of evaluation (known, partly known, unknown), what a unit reads, and the scope one file is
evaluated in; and how values become paths and patterns."""

from __future__ import annotations

import operator
import posixpath
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gwpipelines.orchestrator.terragrunt.paths import ROOT, join, parent

if TYPE_CHECKING:  # (only for types: a cached analysis's units load without the HCL reader)
    from gwpipelines.orchestrator import hcl

Scanner = Callable[[str, str], "hcl.FileFacts"]


class Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Partial:
    """A string of which some pieces are unknown (None)."""

    parts: tuple[str | None, ...]


@dataclass(frozen=True)
class ConfigValue:
    """What `read_terragrunt_config` returns: the read file, to look its locals up in."""

    path: str


@dataclass(frozen=True)
class IncludeValue:
    """`include.NAME` (an exposed include): the included file, evaluated for the including unit."""

    name: str


Value = Any  # str | int | float | bool | None | list | dict | Partial | ConfigValue | IncludeValue | Unknown


@dataclass
class Reads:
    """What a unit (or a read file) depends on, as repository-relative paths."""

    files: set[str] = field(default_factory=set)
    patterns: set[str] = field(default_factory=set)  # regexes over repository-relative paths
    module_dirs: set[str] = field(default_factory=set)  # local modules: every file below counts
    warnings: set[str] = field(default_factory=set)

    def merge(self, other: Reads) -> None:
        self.files |= other.files
        self.patterns |= other.patterns
        self.module_dirs |= other.module_dirs
        self.warnings |= other.warnings


def interned(paths: Iterable[str]) -> frozenset[str]:
    """The same path from many units is one object, and so is the same set of paths (the units of a folder read
    the same files, include the same ones): the analysis of 100,000 units holds (and the cache pickles) each once."""
    fs = frozenset(map(sys.intern, paths))
    if len(_SETS) >= _SETS_MAX:
        _SETS.clear()  # a long-lived process (tests, many commits' analyses) only loses some sharing
    return _SETS.setdefault(fs, fs)


_SETS: dict[frozenset[str], frozenset[str]] = {}  # see interned
_SETS_MAX = 2_000_000


class Trace:
    """Every path the evaluation of one config looked at (read, or probed: see Expressions.trace), kept in two
    parts: the paths below the unit's own folder, and the others, which the units of a folder mostly share (one
    object for all of them, see `interned`). A set of 20 paths per unit would be most of a big analysis' memory.
    Not a dataclass: a frozen slotted one unpickles through Python code, and traces cross a pipe by the thousand."""

    __slots__ = ("own", "shared")

    def __init__(self, shared: frozenset[str], own: tuple[str, ...]) -> None:
        self.shared = shared
        self.own = own  # sorted

    def __reduce__(self) -> tuple[type[Trace], tuple[frozenset[str], tuple[str, ...]]]:
        return (Trace, (self.shared, self.own))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Trace) and self.shared == other.shared and self.own == other.own

    def __hash__(self) -> int:
        return hash((self.shared, self.own))

    def __repr__(self) -> str:
        return f"Trace({sorted(self)!r})"

    @staticmethod
    def of(paths: Iterable[str], config: str) -> Trace:
        """The trace of the config file `config` (its folder is the unit's own)."""
        folder = config[: config.rfind("/") + 1]  # "a/b/" (nothing for the repository root's own config)
        own: list[str] = []
        shared: list[str] = []
        for p in paths:
            (own if folder and p.startswith(folder) else shared).append(p)
        return Trace(interned(shared), tuple(sorted(map(sys.intern, own))))

    def canonical(self) -> Trace:
        """The same trace made of the shared objects (one that came through a pipe, say)."""
        return Trace(interned(self.shared), tuple(map(sys.intern, self.own)))

    def __iter__(self) -> Iterator[str]:
        yield from self.shared
        yield from self.own

    def __contains__(self, path: object) -> bool:
        return path in self.shared or path in self.own

    def isdisjoint(self, paths: AbstractSet[str]) -> bool:
        return self.shared.isdisjoint(paths) and not any(p in paths for p in self.own)


def _field(index: int) -> Any:
    """A read-only field of a tuple-based record, read in C (a Python property would cost a warm run ~10 ms)."""
    return property(operator.itemgetter(index))


class Unit(tuple[Any, ...]):
    """One unit: what it reads and needs. A tuple (made by `Unit.of`) rather than a dataclass: 100 bytes instead
    of an object and its attribute dict (600 bytes; 100,000 units per side), and a cached side's units unpickle in
    C (tuple's own constructor, no __init__ or state to set). Compares, hashes and is immutable as a tuple."""

    __slots__ = ()

    path: str = _field(0)  # repository-relative directory; "." for the root
    files: frozenset[str] = _field(1)
    patterns: tuple[str, ...] = _field(2)
    module_dirs: frozenset[str] = _field(3)
    dependencies: tuple[str, ...] = _field(4)  # repository-relative unit paths; may start with ../ when outside
    warnings: tuple[str, ...] = _field(5)
    # For a unit a stack generates, what its stack files say of it (see stacks.Generated.key); "" for others.
    stack_key: str = _field(6)
    stack_files: frozenset[str] = _field(7)  # the stack files (and files they include) that generate it

    @classmethod
    def of(
        cls,
        path: str,
        files: frozenset[str],
        patterns: tuple[str, ...],
        module_dirs: frozenset[str],
        dependencies: tuple[str, ...],
        warnings: tuple[str, ...],
        stack_key: str = "",
        stack_files: frozenset[str] = frozenset(),
    ) -> Unit:
        return cls((path, files, patterns, module_dirs, dependencies, warnings, stack_key, stack_files))

    def __repr__(self) -> str:
        names = ("path", "files", "patterns", "module_dirs", "dependencies", "warnings", "stack_key", "stack_files")
        return f"Unit({', '.join(f'{n}={v!r}' for n, v in zip(names, self, strict=True))})"

    def reads(self, path: str) -> bool:
        if path in self.files:
            return True
        if any(path.startswith(d + "/") or d == "" for d in self.module_dirs):
            return True
        return any(re.fullmatch(p, path) for p in self.patterns)


def unit_columns(units: Iterable[Unit]) -> tuple[tuple[Any, ...], ...]:
    """Units as one tuple per field (what is pickled): pickling each unit would make a transient copy of its
    fields that the pickler's memo keeps alive (30 MB for a side of 100,000 units, in the writing process)."""
    return tuple(zip(*units, strict=True))


def units_of(columns: tuple[tuple[Any, ...], ...]) -> Iterator[Unit]:
    """The units of `unit_columns`, in order, rebuilt in C (zip and tuple's constructor: no Python per unit)."""
    return map(Unit, zip(*columns, strict=True))


# ---------------------------------------------------------------------------------------------------------------
# Paths


# Scopes: one file being evaluated on behalf of one config (the including unit, or the read file itself).


class BlobFacts(dict[str, "hcl.FileFacts"]):
    """The scanner's facts by content id, shared by the evaluations of both commits; with, by content id, whether
    the content calls get_original_terragrunt_dir(), noted while its text was at hand (a commit whose facts all
    come from here would otherwise read its shared files' texts again, one git process each)."""

    def __init__(self) -> None:
        super().__init__()
        self.original_calls: dict[str, bool] = {}


class DirReads:
    """How many times evaluation has asked a scope for its config dir: a stretch of evaluation during which the
    count did not move gave an answer that depends on the config dir's parent only (see Evaluator._collect_included)."""

    count = 0


@dataclass(slots=True)
class Scope:
    config_path: str  # Terragrunt's TerragruntConfigPath (absolute, virtual); evaluation reads `config_dir` instead
    file_path: str  # the file whose expressions these are
    facts: hcl.FileFacts
    original_include: str | None = None  # set when this is an included file
    # The config of the unit whose evaluation read this file (read_terragrunt_config): get_original_terragrunt_dir.
    original: str | None = None
    includes: dict[str, str] = field(default_factory=dict)  # include name -> included file (absolute)
    include_scopes: dict[str, Scope] = field(default_factory=dict)
    local_values: dict[str, Value] = field(default_factory=dict)
    evaluating: set[str] = field(default_factory=set)
    parent_dir: str = field(init=False)  # the config dir's parent, where find_in_parent_folders starts
    file_dir: str = field(init=False)
    _config_dir: str = field(init=False, repr=False)
    _same_dir: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._config_dir = parent(self.config_path)
        self.parent_dir = parent(self._config_dir)
        self.file_dir = self._config_dir if self.file_path == self.config_path else parent(self.file_path)
        self._same_dir = self.file_dir == self._config_dir

    @property
    def config_dir(self) -> str:
        DirReads.count += 1
        return self._config_dir

    def bases(self) -> list[str | Scope]:
        """Where Terraform's file functions resolve a relative path: the evaluated file's folder and, in an
        included file elsewhere, the unit's too (the scope itself stands for its config dir, read only if used)."""
        if self._same_dir:
            DirReads.count += 1  # a decision that another config dir would make differently
            return [self.file_dir]
        return [self.file_dir, self]


def dir_of(base: str | Scope) -> str:
    return base if isinstance(base, str) else base.config_dir


def join_from(base: str | Scope, path: str) -> str:
    """join from a folder, or from a scope's config dir, which is read only when `path` is relative."""
    return join(ROOT, path) if path.startswith("/") else join(dir_of(base), path)


# Values to paths and patterns


def concat(parts: tuple[str | None, ...] | list[str | None]) -> Value:
    merged: list[str | None] = []
    for p in parts:
        if p is None and merged and merged[-1] is None:
            continue
        if isinstance(p, str) and merged and isinstance(merged[-1], str):
            merged[-1] += p
        else:
            merged.append(p)
    if all(isinstance(p, str) for p in merged):
        return "".join(p for p in merged if p is not None)
    return Partial(tuple(merged))


def pieces(value: Value) -> list[str | None]:
    if isinstance(value, str):
        return [value]
    return list(value.parts) if isinstance(value, Partial) else [None]


def partial_text(value: Value) -> str | None:
    if isinstance(value, Partial):
        return "".join("\0" if p is None else p for p in value.parts)
    return None


def glob_value(value: Value) -> Value:
    """fileset(dir, "*.yaml") and mark_glob_as_read("**/*.json"): a glob's wildcards are unknown parts."""
    if not isinstance(value, str) or not any(c in value for c in "*?["):
        return value
    parts: list[str | None] = []
    for i, piece in enumerate(re.split(r"[*?]+|\[[^\]]*\]", value)):
        parts += [piece] if i == 0 else [None, piece]
    return concat(parts)


def path_pattern(value: Value, base_dir: str) -> str:
    """A regex over repository-relative paths covering every file `value` may name."""
    parts = value.parts if isinstance(value, Partial) else (None,)
    head = parts[0]
    if head is None:  # an unknown start: absolute or relative, anywhere
        return "".join(".*" if p is None else re.escape(p) for p in parts)
    joined = posixpath.normpath(head if head.startswith("/") else f"{base_dir}/{head}")
    if head.endswith("/"):
        joined += "/"
    if joined != ROOT and not joined.startswith(ROOT + "/"):
        return "(?!)"  # outside the repository: nothing in it can change
    prefix = re.escape(joined[len(ROOT) + 1 :])
    return prefix + "".join(".*" if p is None else re.escape(p) for p in parts[1:])


def describe_pattern(pattern: str) -> str:
    return "'" + pattern.replace(".*", "*").replace("\\", "") + "'"


_GLOB_TOKEN = re.compile(r"\*\*/|\*\*|\*|\?|\[[^\]/]*\]|[^*?\[]+|\[")


def glob_patterns(glob: str, base_dir: str) -> list[str]:
    """Regexes over repository-relative paths for a glob (mark_glob_as_read, fileset) known in full, as Terragrunt's
    and Terraform's globs match: `{a,b}` alternatives, `*` and `?` within one path segment, `**` across them,
    `[...]` classes. Relative to `base_dir` (absolute, virtual); a glob outside the repository matches nothing in it."""
    out = []
    for alternative in _braces(glob):
        joined = posixpath.normpath(alternative if alternative.startswith("/") else f"{base_dir}/{alternative}")
        if not joined.startswith(ROOT + "/"):
            continue
        rx = []
        for tok in _GLOB_TOKEN.findall(joined[len(ROOT) + 1 :]):
            if tok == "**/":
                rx.append("(?:.*/)?")
            elif tok == "**":
                rx.append(".*")
            elif tok == "*":
                rx.append("[^/]*")
            elif tok == "?":
                rx.append("[^/]")
            elif tok.startswith("[") and len(tok) > 1:
                rx.append("[" + tok[1:-1].replace("\\", "\\\\").replace("!", "^", 1 if tok[1:2] == "!" else 0) + "]")
            else:
                rx.append(re.escape(tok))
        out.append("".join(rx))
    return out


def _braces(glob: str) -> list[str]:
    """`a/{b,c}/*.yaml` -> `a/b/*.yaml`, `a/c/*.yaml` (nested braces too)."""
    start = glob.find("{")
    if start < 0:
        return [glob]
    depth, parts, last = 0, [], start + 1
    for i in range(start, len(glob)):
        ch = glob[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                parts.append(glob[last:i])
                head, tail = glob[:start], glob[i + 1 :]
                return [x for p in parts for x in _braces(head + p + tail)]
        elif ch == "," and depth == 1:
            parts.append(glob[last:i])
            last = i + 1
    return [glob]  # an unclosed brace is a literal one
