"""Terragrunt's semantics, without running Terragrunt: which directories are units, which files each unit reads
(directly or through included and read files), which local modules it uses, and which units it depends on.

Paths are evaluated exactly as Terragrunt does (pkg/config/config_helpers.go is the reference):
- in an *included* file, Terragrunt's functions (`find_in_parent_folders`, `get_terragrunt_dir`,
  `path_relative_to_include`, relative `read_terragrunt_config` / `dependency` paths) run for the including unit;
- `read_terragrunt_config` evaluates the read file in *its own* context (its dir becomes the config dir);
- `find_in_parent_folders` starts in the parent of the config's directory;
- Terraform's file functions resolve a relative path against the directory of the file being evaluated; in an
  included file we count both that directory and the unit's, since reading one too many is only noise.
An expression we cannot evaluate never makes a read disappear: its unknown parts become wildcards and the unit is
said to read whatever matches, with a warning.
"""

from __future__ import annotations

import functools
import os
import pickle
import posixpath
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from gwpipelines.errors import ParseError
from gwpipelines.orchestrator import hcl
from gwpipelines.orchestrator.tree import SKIPPED_DIRS, Tree, is_hidden

CONFIG_NAME = "terragrunt.hcl"
ROOT = "/@repo"  # the repository root, as an absolute path, while expressions are evaluated

Scanner = Callable[[str, str], hcl.FileFacts]


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


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


Value = Any  # str | int | float | bool | None | list | dict | Partial | ConfigValue | IncludeValue | _Unknown


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


@dataclass(frozen=True)
class Unit:
    path: str  # repository-relative directory; "." for the root
    files: frozenset[str]
    patterns: tuple[str, ...]
    module_dirs: frozenset[str]
    dependencies: tuple[str, ...]  # repository-relative unit paths; may start with ../ when outside
    warnings: tuple[str, ...]

    def reads(self, path: str) -> bool:
        if path in self.files:
            return True
        if any(path.startswith(d + "/") or d == "" for d in self.module_dirs):
            return True
        return any(re.fullmatch(p, path) for p in self.patterns)


# ---------------------------------------------------------------------------------------------------------------
# Paths


def unit_name(config_file: str) -> str:
    return config_file[: max(config_file.rfind("/"), 0)] or "."  # config files are clean relative paths


def unit_config(unit: str) -> str:
    return CONFIG_NAME if unit == "." else f"{unit}/{CONFIG_NAME}"


def _abs(rel_dir: str) -> str:
    return ROOT if rel_dir in ("", ".") else f"{ROOT}/{rel_dir}"


_ROOT_SLASH = ROOT + "/"
_ROOT_CUT = len(_ROOT_SLASH)


def _rel(abs_path: str) -> str | None:
    """Repository-relative form of a normalised absolute path, None when it lies outside the repository."""
    if abs_path.startswith(_ROOT_SLASH):
        return abs_path[_ROOT_CUT:]
    return "" if abs_path == ROOT else None


def _join(base_dir: str, path: str) -> str:
    """The normalised absolute path of `path` from `base_dir` (itself normalised and absolute). Most paths need
    no normalising: normpath runs only where a `.` segment, `//` or a trailing slash may be."""
    joined = path if path.startswith("/") else f"{base_dir}/{path}"
    if "/." in joined or "//" in joined or joined.endswith("/"):
        return posixpath.normpath(joined)
    return joined


def _dir_of(base: str | Scope) -> str:
    return base if isinstance(base, str) else base.config_dir


def _join_from(base: str | Scope, path: str) -> str:
    """_join from a folder, or from a scope's config dir, which is read only when `path` is relative."""
    return _join(ROOT, path) if path.startswith("/") else _join(_dir_of(base), path)


def _parent(abs_path: str) -> str:
    """posixpath.dirname of a normalised absolute path, without its generality."""
    return abs_path[: abs_path.rfind("/")] or "/"


def _display(abs_path: str) -> str:
    rel = _rel(abs_path)
    return abs_path if rel is None else (rel or ".")


def _relpath(target: str, start: str) -> str:
    return posixpath.relpath(target, start)


# ---------------------------------------------------------------------------------------------------------------
# Scopes: one file being evaluated on behalf of one config (the including unit, or the read file itself).


class _DirReads:
    """How many times evaluation has asked a scope for its config dir: a stretch of evaluation during which the
    count did not move gave an answer that depends on the config dir's parent only (see Evaluator._collect_included)."""

    count = 0


@dataclass(slots=True)
class Scope:
    config_path: str  # Terragrunt's TerragruntConfigPath (absolute, virtual); evaluation reads `config_dir` instead
    file_path: str  # the file whose expressions these are
    facts: hcl.FileFacts
    original_include: str | None = None  # set when this is an included file
    includes: dict[str, str] = field(default_factory=dict)  # include name -> included file (absolute)
    include_scopes: dict[str, Scope] = field(default_factory=dict)
    local_values: dict[str, Value] = field(default_factory=dict)
    evaluating: set[str] = field(default_factory=set)
    parent_dir: str = field(init=False)  # the config dir's parent, where find_in_parent_folders starts
    file_dir: str = field(init=False)
    _config_dir: str = field(init=False, repr=False)
    _same_dir: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._config_dir = _parent(self.config_path)
        self.parent_dir = _parent(self._config_dir)
        self.file_dir = self._config_dir if self.file_path == self.config_path else _parent(self.file_path)
        self._same_dir = self.file_dir == self._config_dir

    @property
    def config_dir(self) -> str:
        _DirReads.count += 1
        return self._config_dir

    def bases(self) -> list[str | Scope]:
        """Where Terraform's file functions resolve a relative path: the evaluated file's folder and, in an
        included file elsewhere, the unit's too (the scope itself stands for its config dir, read only if used)."""
        if self._same_dir:
            _DirReads.count += 1  # a decision that another config dir would make differently
            return [self.file_dir]
        return [self.file_dir, self]


class Evaluator:
    """Evaluates the units of one tree. Holds the per-file caches; one instance per tree."""

    share_by_folder = True  # see _include_path and _collect_included; tests turn it off to compare

    def __init__(self, tree: Tree, scanner: Scanner = hcl.scan, facts_cache: dict[str, hcl.FileFacts] | None = None):
        self.tree = tree
        self.scanner = scanner
        self._facts: dict[str, hcl.FileFacts] = {}
        self._blob_facts = facts_cache if facts_cache is not None else {}
        self._read_configs: dict[str, tuple[Scope, Reads, frozenset[str]]] = {}
        self._reading: set[str] = set()
        self._found: dict[tuple[str, str], tuple[str | None, tuple[str, ...]]] = {}  # by (dir, name)
        self._modules: dict[str, tuple[str, ...]] = {}  # module folder -> it and the folders it calls
        self._included: dict[tuple[str, str], tuple[Reads, frozenset[str]]] = {}  # see _collect_included
        self._include_paths: dict[tuple[int, str], tuple[hcl.Expr, str, frozenset[str]]] = {}  # see _include_path
        # Every path the current unit's evaluation looked at (read, or probed for existence; "d/" for a whole
        # folder, "*" for all files): if none changed between two commits, the unit evaluates the same on both.
        self.trace: set[str] = set()

    # -- files --------------------------------------------------------------------------------------------

    def _is_file(self, rel: str) -> bool:
        self.trace.add(rel)
        return self.tree.is_file(rel)

    def _is_dir(self, rel: str) -> bool:
        self.trace.add(rel)
        return rel in self.tree.dirs

    def facts(self, rel_path: str) -> hcl.FileFacts:
        self.trace.add(rel_path)
        if rel_path not in self._facts:
            oid = self.tree.blob_id(rel_path)
            cached = self._blob_facts.get(oid) if oid else None
            if cached is None:
                cached = self.scanner(self.tree.read(rel_path), rel_path)
                if oid:
                    self._blob_facts[oid] = cached
            self._facts[rel_path] = cached
        return self._facts[rel_path]

    def blob_facts(self, traces: Iterable[frozenset[str]]) -> dict[str, hcl.FileFacts]:
        """The facts of the files these traces read, by content id."""
        out = {}
        for trace in traces:
            for path in trace:
                facts = self._facts.get(path)
                oid = self.tree.blob_id(path) if facts is not None else None
                if facts is not None and oid:
                    out[oid] = facts
        return out

    def add_blob_facts(self, facts: dict[str, hcl.FileFacts]) -> None:
        for oid, f in facts.items():
            self._blob_facts.setdefault(oid, f)

    def prefetch(self, configs: list[str]) -> None:
        """Read in one batch the configs to evaluate and every other .hcl file (the shared ones they include
        or read), leaving out those whose facts are cached already."""
        wanted = set(configs) | {p for p in self.tree.files if p.endswith(".hcl") and not p.endswith(CONFIG_NAME)}
        by_id = [p for p in wanted if self.tree.blob_id(p)]
        self.tree.prefetch(p for p in wanted if not self.tree.blob_id(p))
        # Files with a content id are scanned as git hands them over, while it reads the next ones. One that does
        # not scan is left for facts() to report, in evaluation order, as before.
        for path, text in self.tree.stream(p for p in by_id if self.tree.blob_id(p) not in self._blob_facts):
            try:
                self._blob_facts[self.tree.blob_id(path) or ""] = self.scanner(text, path)
            except ParseError:
                continue

    def config_candidates(self) -> list[str]:
        """Every terragrunt.hcl outside hidden and cache folders (units, or legacy root configs)."""
        out = []
        for path in self.tree.files:
            if not path.endswith(CONFIG_NAME) or posixpath.basename(path) != CONFIG_NAME:
                continue
            # SKIPPED_DIRS are hidden folders too: a path without "/." has neither (the common case, cheaply).
            if "/." in "/" + path and (is_hidden(path) or any(part in SKIPPED_DIRS for part in path.split("/"))):
                continue
            out.append(path)
        return sorted(out)

    # -- units --------------------------------------------------------------------------------------------

    def unit(self, config_file: str) -> tuple[Unit, set[str]]:
        """The unit whose config is `config_file`, and the set of files it includes (`self.trace` then holds
        every path the evaluation looked at)."""
        self.trace = set()
        reads = Reads()
        cfg = _abs(config_file)
        scope = Scope(config_path=cfg, file_path=cfg, facts=self.facts(config_file))
        included = self._process_includes(scope, reads)
        deps = self._dependencies(scope, reads)
        for name, inc_scope in scope.include_scopes.items():
            strategy = next((i.merge_strategy for i in scope.facts.includes if i.name == name), "shallow")
            if strategy != "no_merge":
                deps += self._dependencies(inc_scope, reads)
        self._collect(scope, reads)
        unit = Unit(
            path=unit_name(config_file),
            files=_interned(reads.files),
            patterns=tuple(sorted(reads.patterns)),
            module_dirs=frozenset(reads.module_dirs),
            dependencies=tuple(sorted(set(deps))),
            warnings=tuple(sorted(reads.warnings)),
        )
        return unit, included

    def _process_includes(self, scope: Scope, reads: Reads) -> set[str]:
        included: set[str] = set()
        for inc in scope.facts.includes:
            if inc.path is None:
                reads.warnings.add(f"{_display(scope.file_path)}:{inc.line}: include '{inc.name}' has no path")
                continue
            value = self._include_path(inc.path, scope)
            targets = self._paths(value, scope, reads, scope, f"include '{inc.name}'", inc.line)
            for target in targets:
                rel = _rel(target)
                if rel is None or not self._is_file(rel):
                    continue
                included.add(rel)
                inc_scope = Scope(
                    config_path=scope.config_path,
                    file_path=target,
                    facts=self.facts(rel),
                    original_include=target,
                )
                scope.includes.setdefault(inc.name, target)
                scope.include_scopes.setdefault(inc.name, inc_scope)
                # Terragrunt refuses nested includes; following them anyway can only add reads.
                if inc_scope.facts.includes and target not in self._reading:
                    self._reading.add(target)
                    included |= self._process_includes(inc_scope, reads)
                    self._reading.discard(target)
                self._collect_included(inc_scope, reads)
        return included

    def _include_path(self, expr: hcl.Expr, scope: Scope) -> Value:
        """An include's path for one config. `find_in_parent_folders("root.hcl")` and the like give the same
        answer (and probe the same paths) for every config of a folder: remembered by (expression, folder) when
        the evaluation read no local and not the config dir itself (as in _collect_included)."""
        if scope.local_values or self._reading or not self.share_by_folder:
            return self.eval(expr, scope)
        key = (id(expr), scope.parent_dir)
        known = self._include_paths.get(key)
        if known is not None and known[0] is expr:
            self.trace |= known[2]
            return known[1]
        before = _DirReads.count
        outer, self.trace = self.trace, set()
        value = self.eval(expr, scope)
        if _DirReads.count == before and not scope.local_values and isinstance(value, str):
            self._include_paths[key] = (expr, value, frozenset(self.trace))
        self.trace = outer | self.trace
        return value

    def _collect_included(self, scope: Scope, reads: Reads) -> None:
        """`_collect` of an included file for one unit. Thousands of units include the same root.hcl and
        _envcommon file; when its evaluation did not read the unit's config dir (only its parent, through
        find_in_parent_folders), every unit of the same folder gets the same reads and trace: they are
        remembered by (included file, folder). Only a fresh scope outside any read cycle qualifies."""
        if scope.facts.includes or scope.local_values or self._reading or not self.share_by_folder:
            self._collect(scope, reads)
            return
        key = (scope.file_path, scope.parent_dir)
        known = self._included.get(key)
        if known is not None:
            reads.merge(known[0])
            self.trace |= known[1]
            return
        before = _DirReads.count
        outer, self.trace = self.trace, set()
        sub = Reads()
        self._collect(scope, sub)
        if _DirReads.count == before:
            self._included[key] = (sub, frozenset(self.trace))
        self.trace = outer | self.trace
        reads.merge(sub)

    def _collect(self, scope: Scope, reads: Reads) -> None:
        """Record every file the scope's file reads, and its local module source."""
        for r in scope.facts.reads:
            self._read_call(r.function, r.args, scope, reads, r.line)
        if scope.facts.source is not None:
            self._source(scope.facts.source, scope, reads)

    def _dependencies(self, scope: Scope, reads: Reads) -> list[str]:
        exprs = [(d.config_path, f"dependency '{d.name}'", d.line) for d in scope.facts.dependencies]
        exprs += [(e, "dependencies.paths", 0) for e in scope.facts.dependency_paths]
        out: list[str] = []
        for expr, what, line in exprs:
            if expr is None:
                continue
            value = self.eval(expr, scope)
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, str):
                    target = _join(scope.config_dir, item)
                    rel = _rel(target)
                    if rel is not None and rel.endswith(".hcl") and self._is_file(rel):
                        target = _parent(target)
                    rel = _rel(target)
                    out.append((rel or ".") if rel is not None else _outside(scope.config_dir, item))
                else:
                    reads.warnings.add(
                        f"{_display(scope.file_path)}:{line}: {what} of unit {_display(scope.config_dir)}: "
                        f"config_path cannot be evaluated ({expr}); its apply order may be incomplete"
                    )
        return out

    def _source(self, expr: hcl.Expr, scope: Scope, reads: Reads) -> None:
        value = self.eval(expr, scope)
        if isinstance(value, str):
            local = _local_source(value)
            if local is None:
                return
            target = _join_from(scope, local)
            rel = _rel(target)
            if rel is not None:
                self._module_dir(rel, reads)
            return
        text = _partial_text(value)
        if text is not None and _is_remote(text.split("\0", 1)[0]):
            return
        self._paths(value, scope, reads, scope, "terraform.source", 0)

    def _module_dir(self, rel_dir: str, reads: Reads) -> None:
        """A local module folder, and the local modules its .tf files call, transitively."""
        for folder in self._module_closure(rel_dir):
            reads.module_dirs.add(folder)
            self.trace.add(folder + "/" if folder else "*")

    def _module_closure(self, rel_dir: str) -> tuple[str, ...]:
        """`rel_dir` and every local module folder its .tf files call, transitively; memoised, since thousands of
        units use the same few modules."""
        if rel_dir not in self._modules:
            seen: dict[str, None] = {}
            stack = [rel_dir]
            while stack:
                folder = stack.pop()
                if folder in seen:
                    continue
                seen[folder] = None
                stack.extend(reversed(self._module_calls(folder)))
            self._modules[rel_dir] = tuple(seen)
        return self._modules[rel_dir]

    def _module_calls(self, rel_dir: str) -> list[str]:
        """The local module folders that the .tf files below `rel_dir` call (`source = "./..."`)."""
        tf_files = self.tree.files_below(rel_dir, ".tf")
        self.tree.prefetch(tf_files)
        out = []
        for tf in tf_files:
            for src in _TF_MODULE_SOURCE.findall(self.tree.read(tf)):
                target = _rel(_join(_abs(posixpath.dirname(tf)), src.split("//")[0]))
                if target is not None:
                    out.append(target)
        return out

    # -- read functions -----------------------------------------------------------------------------------

    def _read_call(self, fn: str, args: tuple[hcl.Expr, ...], scope: Scope, reads: Reads, line: int) -> None:
        value = self.eval(args[0], scope)
        if fn == "fileset":  # fileset(dir, pattern): the files matching pattern below dir
            pattern = self.eval(args[1], scope) if len(args) > 1 else UNKNOWN
            value = _concat([*_pieces(value), "/", *_pieces(pattern)])
        if fn == "read_terragrunt_config":
            for target in self._paths(value, scope, reads, scope, fn, line):
                self._read_config(target, reads)
            return
        bases: list[str | Scope]
        if fn in ("read_tfvars_file", "sops_decrypt_file", "mark_as_read", "mark_glob_as_read"):
            bases = [scope]
        else:  # Terraform's functions: relative to the evaluated file; in an included file, the unit too
            bases = scope.bases()
        is_glob = fn in ("fileset", "mark_glob_as_read")
        if is_glob:
            value = _glob_value(value)
        for base in bases:
            self._paths(value, base, reads, scope, fn, line, warn=not is_glob)

    def _read_config(self, target: str, reads: Reads) -> Scope | None:
        rel = _rel(target)
        if rel is not None and self._is_dir(rel):
            target = f"{target}/{CONFIG_NAME}"
            rel = _rel(target)
        if rel is None or not self._is_file(rel):
            return None
        reads.files.add(rel)
        if target in self._read_configs:
            scope, sub, trace = self._read_configs[target]
            reads.merge(sub)
            self.trace |= trace
            return scope
        if target in self._reading:  # a cycle of reads: Terragrunt would loop; we stop
            return None
        self._reading.add(target)
        outer, self.trace = self.trace, set()
        sub = Reads()
        scope = Scope(config_path=target, file_path=target, facts=self.facts(rel))
        self._process_includes(scope, sub)
        self._collect(scope, sub)
        self._reading.discard(target)
        self._read_configs[target] = (scope, sub, frozenset(self.trace))
        self.trace = outer | self.trace
        reads.merge(sub)
        return scope

    def _paths(
        self, value: Value, base_dir: str | Scope, reads: Reads, scope: Scope, what: str, line: int, warn: bool = True
    ) -> list[str]:
        """Record `value` as a path read relative to `base_dir` (a scope: its config dir); return the concrete
        absolute paths."""
        if isinstance(value, str):
            target = _join_from(base_dir, value)
            rel = _rel(target)
            if rel is not None:
                reads.files.add(rel)
            return [target]
        if isinstance(value, list):
            return [p for item in value for p in self._paths(item, base_dir, reads, scope, what, line, warn)]
        head = value.parts[0] if isinstance(value, Partial) else None
        relative = isinstance(head, str) and not head.startswith("/")
        pattern = _pattern(value, _dir_of(base_dir) if relative else ROOT)
        reads.patterns.add(pattern)
        if warn:
            reads.warnings.add(
                f"{_display(scope.file_path)}:{line}: {what} for unit {_display(scope.config_dir)} cannot be fully "
                f"evaluated; counting every file matching {_describe(pattern)} as read"
            )
        # Files that match may be included or read configs: follow them, so their own reads count too.
        rx = re.compile(pattern)
        self.trace.add("*")
        matches = [p for p in self.tree.files if p.endswith(".hcl") and rx.fullmatch(p)]
        if what.startswith(("include", "read_terragrunt_config")) and len(matches) <= 64:
            return [_abs(m) for m in sorted(matches)]
        return []

    # -- expressions --------------------------------------------------------------------------------------

    def eval(self, e: hcl.Expr, scope: Scope) -> Value:
        kind = type(e)  # the node classes are final: `is` on the type is the cheapest test
        if kind is hcl.Lit:
            return e.value  # type: ignore[attr-defined]
        if kind is hcl.Call:
            return self._call(e, scope)  # type: ignore[arg-type]
        if kind is hcl.Template:
            return self._template(e, scope)  # type: ignore[arg-type]
        if kind is hcl.Ref:
            return self._ref(e, scope)  # type: ignore[arg-type]
        if isinstance(e, hcl.TupleExpr):
            return [self.eval(i, scope) for i in e.items]
        if isinstance(e, hcl.ObjectExpr):
            out = {}
            for k, v in e.items:
                key = self.eval(k, scope)
                if not isinstance(key, str):
                    return UNKNOWN
                out[key] = self.eval(v, scope)
            return out
        return UNKNOWN

    def _template(self, t: hcl.Template, scope: Scope) -> Value:
        parts: list[str | None] = []
        for p in t.parts:
            if isinstance(p, str):
                parts.append(p)
                continue
            v = self.eval(p, scope)
            if isinstance(v, Partial):
                parts.extend(v.parts)
            elif isinstance(v, (str, int, float)) and not isinstance(v, bool):
                parts.append(str(v))
            elif isinstance(v, bool):
                parts.append("true" if v else "false")
            else:
                parts.append(None)
        return _concat(parts)

    def _ref(self, r: hcl.Ref, scope: Scope) -> Value:
        if r.root == "local" and r.steps and isinstance(r.steps[0], str):
            return self._traverse(self._local(r.steps[0], scope), r.steps[1:], scope)
        if r.root == "include" and r.steps and isinstance(r.steps[0], str):
            return self._traverse(IncludeValue(r.steps[0]), r.steps[1:], scope)
        return UNKNOWN

    def _local(self, name: str, scope: Scope) -> Value:
        if name in scope.local_values:
            return scope.local_values[name]
        expr = next((e for n, e in scope.facts.locals if n == name), None)
        if expr is None or name in scope.evaluating:
            return UNKNOWN
        scope.evaluating.add(name)
        value = self.eval(expr, scope)
        scope.evaluating.discard(name)
        scope.local_values[name] = value
        return value

    def _traverse(self, value: Value, steps: tuple[str | hcl.Expr, ...], scope: Scope) -> Value:
        for i, step in enumerate(steps):
            key: Value = step if isinstance(step, str) else self.eval(step, scope)
            if isinstance(value, (ConfigValue, IncludeValue)):
                target = self._target_scope(value, scope)
                if target is None or key != "locals" or i + 1 >= len(steps):
                    return UNKNOWN
                nxt = steps[i + 1]
                if not isinstance(nxt, str):
                    return UNKNOWN
                return self._traverse(self._local(nxt, target), steps[i + 2 :], target)
            if isinstance(value, dict) and isinstance(key, str):
                value = value.get(key, UNKNOWN)
            elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
                value = value[key]
            else:
                return UNKNOWN
        return value

    def _target_scope(self, value: ConfigValue | IncludeValue, scope: Scope) -> Scope | None:
        if isinstance(value, IncludeValue):
            return scope.include_scopes.get(value.name)
        cached = self._read_configs.get(value.path)
        return cached[0] if cached else self._read_config(value.path, Reads())

    def _call(self, c: hcl.Call, scope: Scope) -> Value:
        fn = _FUNCTIONS.get(c.name)
        if fn is not None:
            args = [self.eval(a, scope) for a in c.args]
            return fn(self, scope, args)
        if c.name == "read_terragrunt_config" and c.args:
            target = self.eval(c.args[0], scope)
            if isinstance(target, str):
                return ConfigValue(_join_from(scope, target))
        return UNKNOWN

    # -- Terragrunt's path functions ----------------------------------------------------------------------

    def find_in_parent_folders(self, scope: Scope, args: list[Value]) -> Value:
        name = args[0] if args else CONFIG_NAME
        if not isinstance(name, str):
            return UNKNOWN if not isinstance(name, Partial) else _concat((None, "/", *name.parts))
        name = name or CONFIG_NAME
        found, probes = self._search_from(scope.parent_dir, name)
        self.trace.update(probes)
        if found is not None:
            return found
        if len(args) > 1:
            return args[1]
        return Partial((None, "/", name))

    def _search_from(self, directory: str, name: str) -> tuple[str | None, tuple[str, ...]]:
        """`directory/name` if it exists, else the same search one folder up, with the paths probed on the way;
        memoised, since every unit of a folder asks the same questions."""
        key = (directory, name)
        if key not in self._found:
            candidate = _join(directory, name)
            rel = _rel(candidate)
            if _rel(directory) is None:
                self._found[key] = (None, ())
            elif rel is not None and self.tree.exists(rel):
                self._found[key] = (candidate, (rel,))
            else:
                parent = _parent(directory)
                found, probes = (None, ()) if parent == directory else self._search_from(parent, name)
                self._found[key] = (found, (rel, *probes) if rel is not None else probes)
        return self._found[key]


def _include_for(scope: Scope, args: list[Value]) -> str | None:
    if scope.original_include:
        return scope.original_include
    if args and isinstance(args[0], str):
        return scope.includes.get(args[0])
    if scope.includes:
        return next(iter(scope.includes.values()))
    return None


def _fn_get_parent_terragrunt_dir(ev: Evaluator, scope: Scope, args: list[Value]) -> Value:
    inc = _include_for(scope, args)
    return _parent(inc) if inc else scope.config_dir


def _fn_path_relative_to_include(ev: Evaluator, scope: Scope, args: list[Value]) -> Value:
    inc = _include_for(scope, args)
    return _relpath(scope.config_dir, _parent(inc)) if inc else "."


def _fn_path_relative_from_include(ev: Evaluator, scope: Scope, args: list[Value]) -> Value:
    inc = _include_for(scope, args)
    return _relpath(_parent(inc), scope.config_dir) if inc else "."


def _str_fn(f: Callable[..., Value]) -> Callable[[Evaluator, Scope, list[Value]], Value]:
    def apply(ev: Evaluator, scope: Scope, args: list[Value]) -> Value:
        if not all(isinstance(a, (str, int, float)) and not isinstance(a, bool) for a in args):
            return UNKNOWN
        try:
            return f(*args)
        except (TypeError, ValueError, IndexError):
            return UNKNOWN

    return apply


def _fn_dirname(ev: Evaluator, scope: Scope, args: list[Value]) -> Value:
    if len(args) == 1 and isinstance(args[0], Partial):
        parts = args[0].parts
        last = parts[-1]
        if isinstance(last, str) and "/" in last:
            return _concat((*parts[:-1], last.rsplit("/", 1)[0]))
        return UNKNOWN
    return _str_fn(posixpath.dirname)(ev, scope, args)


def _fn_try(ev: Evaluator, scope: Scope, args: list[Value]) -> Value:
    known = [a for a in args if a is not UNKNOWN and not isinstance(a, Partial)]
    return known[0] if len(known) == len(args) and known else UNKNOWN


def _fn_format(fmt: str, *args: Any) -> str:
    return re.sub(r"%[sdv]", "{}", fmt.replace("{", "{{").replace("}", "}}")).format(*args)


_FUNCTIONS: dict[str, Callable[[Evaluator, Scope, list[Value]], Value]] = {
    "find_in_parent_folders": Evaluator.find_in_parent_folders,
    "get_terragrunt_dir": lambda ev, s, a: s.config_dir,
    "get_original_terragrunt_dir": lambda ev, s, a: s.config_dir,
    "get_parent_terragrunt_dir": _fn_get_parent_terragrunt_dir,
    "path_relative_to_include": _fn_path_relative_to_include,
    "path_relative_from_include": _fn_path_relative_from_include,
    "get_repo_root": lambda ev, s, a: ROOT,
    "get_path_to_repo_root": lambda ev, s, a: _relpath(ROOT, s.config_dir),
    "get_path_from_repo_root": lambda ev, s, a: _relpath(s.config_dir, ROOT),
    "dirname": _fn_dirname,
    "basename": _str_fn(posixpath.basename),
    "abspath": lambda ev, s, a: _join(s.config_dir, a[0]) if len(a) == 1 and isinstance(a[0], str) else UNKNOWN,
    "format": _str_fn(_fn_format),
    "lower": _str_fn(str.lower),
    "upper": _str_fn(str.upper),
    "trimspace": _str_fn(str.strip),
    "trimprefix": _str_fn(lambda s, p: s[len(p) :] if s.startswith(p) else s),
    "trimsuffix": _str_fn(lambda s, p: s[: -len(p)] if p and s.endswith(p) else s),
    "replace": _str_fn(lambda s, a, b: s.replace(a, b)),
    "try": _fn_try,
}


# ---------------------------------------------------------------------------------------------------------------
# Values to paths and patterns


def _concat(parts: tuple[str | None, ...] | list[str | None]) -> Value:
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


def _pieces(value: Value) -> list[str | None]:
    if isinstance(value, str):
        return [value]
    return list(value.parts) if isinstance(value, Partial) else [None]


def _partial_text(value: Value) -> str | None:
    if isinstance(value, Partial):
        return "".join("\0" if p is None else p for p in value.parts)
    return None


def _glob_value(value: Value) -> Value:
    """fileset(dir, "*.yaml") and mark_glob_as_read("**/*.json"): a glob's wildcards are unknown parts."""
    if not isinstance(value, str) or not any(c in value for c in "*?["):
        return value
    parts: list[str | None] = []
    for i, piece in enumerate(re.split(r"[*?]+|\[[^\]]*\]", value)):
        parts += [piece] if i == 0 else [None, piece]
    return _concat(parts)


def _pattern(value: Value, base_dir: str) -> str:
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


def _describe(pattern: str) -> str:
    return "'" + pattern.replace(".*", "*").replace("\\", "") + "'"


_REMOTE = re.compile(r"^(?:[a-z0-9]+::|[a-z][a-z0-9+.-]*://|git@|github\.com/|bitbucket\.org/|tfr:)", re.I)
_TF_MODULE_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.\.?/[^"]*)"', re.M)


def _is_remote(source: str) -> bool:
    return bool(_REMOTE.match(source)) and not source.startswith("file::")


def _local_source(source: str) -> str | None:
    """The folder Terragrunt copies for a local `terraform.source`, or None for a remote one."""
    if source.startswith("file::"):
        source = source[len("file::") :]
    elif _is_remote(source):
        return None
    source = source.split("?", 1)[0]
    if "//" in source.lstrip("/"):  # "path//subdir": the whole of "path" is copied
        lead = len(source) - len(source.lstrip("/"))
        source = source[:lead] + source[lead:].split("//", 1)[0]
    # Terraform reads a bare name with two slashes (ns/name/provider) as a registry address.
    bare = not source.startswith(("/", "./", "../")) and source not in (".", "..")
    return None if bare and source.count("/") == 2 else source


# ---------------------------------------------------------------------------------------------------------------
# The whole tree


@dataclass(frozen=True)
class Analysis:
    units: dict[str, Unit]  # by unit path
    shared_configs: frozenset[str]  # terragrunt.hcl files that other configs include: not units
    warnings: tuple[str, ...]
    # By config file, for reuse by the analysis of another commit (see `analyse`):
    evaluated: dict[str, Unit] = field(default_factory=dict, repr=False)
    traces: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    includes: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)

    def owner(self, path: str) -> str | None:
        """The unit whose directory holds `path` (the nearest one), if any. A file under a hidden directory
        (`.github/`, `.terragrunt-cache/`) is no unit's own: Terragrunt skips hidden directories when it finds units
        and copies their sources, so only a read (`file()`, ...) can make such a file affect a unit. Hidden files
        themselves (`.terraform.lock.hcl`) stay the unit's."""
        d = posixpath.dirname(path)
        hidden = False
        while True:
            name = d or "."
            if name in self.units:
                return None if hidden else name
            if not d:
                return None
            hidden = hidden or posixpath.basename(d).startswith(".")
            d = posixpath.dirname(d)

    def readers(self, path: str) -> list[str]:
        """Every unit that reads `path`, directly or through included and read files or a local module."""
        return sorted(self.readers_of([path])[path])

    def readers_of(self, paths: Iterable[str]) -> dict[str, set[str]]:
        """For each path, the units that read it; one pass over the units, whatever the number of paths."""
        wanted = set(paths)
        out: dict[str, set[str]] = {p: set() for p in wanted}
        under: dict[str, list[str]] = {}  # folder -> the wanted paths below it
        for p in wanted:
            d = p
            while d:
                d = posixpath.dirname(d)
                under.setdefault(d, []).append(p)
        for u in self.units.values():
            for p in u.files & wanted:
                out[p].add(u.path)
            for d in u.module_dirs:
                for p in under.get(d, ()):
                    out[p].add(u.path)
            for pattern in u.patterns:
                rx = _compiled(pattern)
                for p in wanted:
                    if rx.fullmatch(p):
                        out[p].add(u.path)
        return out


def _interned(paths: Iterable[str]) -> frozenset[str]:
    """The same path from many units is one object: the cached analysis pickles (and loads) it once."""
    return frozenset(map(sys.intern, paths))


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def analyse(
    tree: Tree,
    scanner: Scanner = hcl.scan,
    facts_cache: dict[str, hcl.FileFacts] | None = None,
    reuse: tuple[Analysis, Iterable[str]] | None = None,
    alongside: Callable[[], None] | None = None,
    changed_next: Iterable[str] = (),
) -> Analysis:
    """Every unit of the tree. With `reuse=(analysis of another commit, paths changed between the two)`, a unit
    whose evaluation looked at none of the changed paths is taken from that analysis instead of evaluated again.
    `alongside` is other work, done while a second process evaluates (else first); an error it raises comes
    before any the evaluation raises. `changed_next`: the paths changed against the commit analysed next, whose
    evaluation will need the facts of the configs that looked at one (a second process sends those back)."""
    ev = Evaluator(tree, scanner, facts_cache)
    configs = ev.config_candidates()
    previous, changed = reuse if reuse else (None, ())
    hit = _touched(changed)
    evaluated: dict[str, Unit] = {}
    traces: dict[str, frozenset[str]] = {}
    includes: dict[str, frozenset[str]] = {}
    todo = []
    for cfg in configs:
        old_trace = previous.traces.get(cfg) if previous else None
        if previous and old_trace is not None and not hit(old_trace):
            evaluated[cfg] = previous.evaluated[cfg]
            traces[cfg], includes[cfg] = old_trace, previous.includes[cfg]
        else:
            todo.append(cfg)
    for cfg, unit, trace, inc in _evaluate_all(ev, todo, alongside or nothing, _touched(changed_next)):
        evaluated[cfg], traces[cfg], includes[cfg] = unit, trace, inc
    included = set().union(*includes.values()) if includes else set()
    units = {u.path: u for cfg, u in evaluated.items() if cfg not in included}
    warnings = sorted({w for u in units.values() for w in u.warnings})
    return Analysis(
        units=units,
        shared_configs=frozenset(c for c in configs if c in included),
        warnings=tuple(warnings),
        evaluated=evaluated,
        traces=traces,
        includes=includes,
    )


# A big tree is evaluated by two processes when the machine has two cores: the second half of the configs in a
# fork. Below this many configs a fork costs more than it saves. GWPIPELINES_PARALLEL=off turns it off.
PARALLEL_MIN_CONFIGS = 2000

_Evaluated = tuple[str, Unit, frozenset[str], frozenset[str]]  # config, unit, trace, included files


def _evaluate_all(
    ev: Evaluator, todo: list[str], alongside: Callable[[], None], needed_next: Callable[[frozenset[str]], bool]
) -> list[_Evaluated]:
    if len(todo) >= PARALLEL_MIN_CONFIGS and may_fork():
        return _evaluate_in_two(ev, todo, alongside, needed_next)
    alongside()
    return _evaluate(ev, todo)


def nothing() -> None:
    """The default for optional work hooks such as `alongside`."""
    return None


def _evaluate(ev: Evaluator, todo: list[str]) -> list[_Evaluated]:
    ev.prefetch(todo)
    out = []
    for cfg in todo:
        unit, inc = ev.unit(cfg)
        out.append((cfg, unit, _interned(ev.trace), _interned(inc)))
    return out


def may_fork() -> bool:
    if os.environ.get("GWPIPELINES_PARALLEL", "").lower() in ("off", "0", "false", "no"):
        return False
    affinity = getattr(os, "sched_getaffinity", None)
    cores = len(affinity(0)) if affinity else (os.cpu_count() or 1)
    # Forking a process that runs other threads (a test server, say) could copy a lock one of them holds.
    return hasattr(os, "fork") and cores >= 2 and threading.active_count() == 1


def _evaluate_in_two(
    ev: Evaluator, todo: list[str], alongside: Callable[[], None], needed_next: Callable[[frozenset[str]], bool]
) -> list[_Evaluated]:
    """The first half here, the second in a forked child that pickles its answers back: the same answers, in
    the same order, as one process gives. If the child fails (an unparseable file, say), its half is evaluated
    here again, so that the error raised is the one a single process raises. `alongside` runs here after this
    half, while the child (which pays for copying the pages it writes to) is still at work. With its answers the
    child sends the facts of the files read by its configs whose trace `needed_next` says the next commit's
    evaluation will look at again, so that this process need not read and scan them a second time."""
    half = len(todo) // 2
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: evaluate, answer, and leave without running any of the parent's exit handlers
        try:
            os.close(read_end)
            try:
                answer: list[_Evaluated] | None = _evaluate(ev, todo[half:])
            except Exception:
                answer = None
            facts = ev.blob_facts(t for _, _, t, _ in answer or () if needed_next(t))
            with os.fdopen(write_end, "wb") as pipe:
                pickle.dump((answer, facts), pipe, protocol=pickle.HIGHEST_PROTOCOL)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        try:
            try:
                mine = _evaluate(ev, todo[:half])
            except Exception:
                alongside()  # its error comes first, as when it runs before a single process evaluates
                raise
            alongside()
            try:
                theirs, facts = pickle.load(pipe)
                ev.add_blob_facts(facts)
            except (EOFError, pickle.UnpicklingError):
                theirs = None
        finally:
            if os.waitpid(pid, os.WNOHANG) == (0, 0):  # still running: this half failed
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
    if theirs is None:
        return mine + _evaluate(ev, todo[half:])
    return mine + [(cfg, unit, _interned(trace), _interned(inc)) for cfg, unit, trace, inc in theirs]


def _touched(changed: Iterable[str]) -> Callable[[frozenset[str]], bool]:
    """A test of whether a trace looked at any changed path (or at a folder in which one changed)."""
    paths = set(changed)
    folders = {posixpath.dirname(p) for p in paths}
    for d in list(folders):
        while d:
            d = posixpath.dirname(d)
            folders.add(d)
    prefixes = {f + "/" for f in folders if f}
    everything = bool(paths)

    def hit(trace: frozenset[str]) -> bool:
        if everything and "*" in trace:
            return True
        return not trace.isdisjoint(paths) or not trace.isdisjoint(folders) or not trace.isdisjoint(prefixes)

    return hit


def _outside(config_dir: str, path: str) -> str:
    """A dependency outside the repository: relative to the repository root (`../x`), worked out lexically because
    normalising the virtual absolute path would drop `..` segments above `/`; a real absolute path stays as written."""
    if path == ROOT or path.startswith(ROOT + "/"):
        return posixpath.normpath(path[len(ROOT) + 1 :] or ".")
    if path.startswith("/"):
        return posixpath.normpath(path)
    return posixpath.normpath(f"{_rel(config_dir) or '.'}/{path}")
