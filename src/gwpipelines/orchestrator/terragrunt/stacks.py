"""Terragrunt Stacks, without running `terragrunt stack generate`: every `terragrunt.stack.hcl` is evaluated (its
locals, `unit` and `stack` blocks, `source`, `path`, `values`, `no_dot_terragrunt_stack`, `enabled`) into the units
Terragrunt would generate, `<stack>/.terragrunt-stack/<path>` (or `<stack>/<path>`), nested stacks included.

Terragrunt copies a local source folder whole into the generated folder and writes the block's `values` beside
it (pkg/config/stack.go is the reference); so a generated unit from a local catalog is evaluated as its catalog
`terragrunt.hcl` placed at the generated folder (an overlay of the tree: generated path -> catalog file), with
`values.*` known, and what it reads is mapped back to the catalog's files. A remote source cannot be read offline:
its unit is said to read the stack files, their values, and every file in the folders above it (where
`find_in_parent_folders` looks: root.hcl, account.hcl, region.hcl, ...), with one warning per stack file.

A catalog (a local folder that a stack block uses as its source) is not itself live: its `terragrunt.hcl` is no
unit and its `terragrunt.stack.hcl` no stack; a change to it plans every generated copy.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
from dataclasses import dataclass, field
from typing import Protocol

from gwpipelines.errors import ParseError
from gwpipelines.models.units import STACK_DIR, STACK_FILE
from gwpipelines.orchestrator import hcl
from gwpipelines.orchestrator.terragrunt.paths import CONFIG_NAME, abs_dir, is_remote, join, local_source, rel_of
from gwpipelines.orchestrator.terragrunt.values import UNKNOWN, Partial, Reads, Scope, Value, partial_text
from gwpipelines.orchestrator.tree import SKIPPED_DIRS, Tree, is_hidden

MAX_DEPTH = 16  # nested stacks deeper than this are a cycle (a stack that sources itself)


class StackEvaluator(Protocol):
    """What expanding a stack needs of the evaluator."""

    tree: Tree
    values: Value

    def eval(self, e: hcl.Expr, scope: Scope) -> Value: ...

    def collect(self, scope: Scope, reads: Reads) -> None: ...


@dataclass(frozen=True)
class Generated:
    """One unit a stack generates."""

    config: str  # the generated terragrunt.hcl, repository-relative
    unit: str  # the generated unit's folder
    catalog: str | None  # the local catalog folder it is copied from; None for a remote (unreadable) source
    values: Value  # the block's `values`
    files: frozenset[str]  # what the stacks that generate it read: their files and their reads
    patterns: tuple[str, ...]  # reads known only as patterns (a remote unit's folders above it)
    key: str  # everything of the stack files that decides this unit: equal keys, same generated unit
    warnings: tuple[str, ...]
    stack_files: frozenset[str] = frozenset()  # the stack files that generate it (and those they include)


@dataclass
class Plan:
    """Every unit the tree's stacks generate, and how the generated folders map to the tree's files."""

    generated: dict[str, Generated] = field(default_factory=dict)  # by generated config
    copies: dict[str, str] = field(default_factory=dict)  # generated file -> the tree file it is a copy of
    aliases: dict[str, str] = field(default_factory=dict)  # generated folder -> the folder it copies
    catalog: set[str] = field(default_factory=set)  # catalog configs and stack files: neither units nor stacks
    warnings: dict[str, set[str]] = field(default_factory=dict)  # by stack file: what could not be generated

    def real(self, path: str) -> str:
        """The tree file (or folder) a path under a generated folder is a copy of; other paths as they are."""
        d = path
        while d:
            if d in self.aliases:
                return self.aliases[d] + path[len(d) :]
            d = posixpath.dirname(d)
        return path


def stack_files(tree: Tree) -> list[str]:
    out = []
    for path in tree.files:
        if posixpath.basename(path) != STACK_FILE:
            continue
        if is_hidden(path) or any(part in SKIPPED_DIRS for part in path.split("/")):
            continue
        out.append(path)
    return sorted(out)


def expand(ev: StackEvaluator) -> Plan:
    """The units every live stack of the tree generates."""
    plan = Plan()
    files = stack_files(ev.tree)
    bodies = {f: hcl.parse(ev.tree.read(f), f) for f in files}  # a stack that does not parse fails the run
    for f, body in bodies.items():  # a stack used as another's source is a catalog stack, not a live one
        here = posixpath.dirname(f)
        for block in _blocks(body, "stack"):
            got = _local_folder(ev, plan, _scope(here, body), block, here)
            if got is not None:
                plan.catalog.add(_file_in(got, STACK_FILE))
    for f in files:
        if f not in plan.catalog:
            _expand(ev, plan, f, bodies[f], posixpath.dirname(f), UNKNOWN, (), "", 0)
    return plan


def _expand(
    ev: StackEvaluator,
    plan: Plan,
    real_file: str,
    body: tuple[hcl.Attribute | hcl.Block, ...],
    here: str,
    values: Value,
    chain: tuple[str, ...],
    key: str,
    depth: int,
) -> None:
    """Generate the units of one stack file, evaluated in folder `here` (its own, or where a parent stack
    generates it) with the `values` its parent gave it."""
    chain = (*chain, real_file)
    if depth > MAX_DEPTH:
        raise ParseError(real_file, None, f"stacks nested more than {MAX_DEPTH} deep (a stack that sources itself?)")
    scope = _scope(here, body)
    outer, ev.values = ev.values, values
    try:
        reads = Reads()
        ev.collect(scope, reads)  # what the stack's own expressions read (a file() in its locals, ...)
        for warning in reads.warnings:  # (a run_cmd, a missing file): named when the stack file changes
            _warn(plan, real_file, warning)
        local_defs = "".join(f"{n}={e};" for n, e in scope.facts.locals)
        base = join(abs_dir(here), STACK_DIR)
        remote: list[str] = []
        included, chain = _included(ev, plan, real_file, body, scope, here, chain)
        for block in [*_blocks(body, "unit"), *_blocks(body, "stack"), *included]:
            _component(ev, plan, real_file, block, scope, here, base, chain, key + local_defs, reads, remote, depth)
    finally:
        ev.values = outer
    if remote:
        warning = (
            f"{real_file}: {', '.join(sorted(remote))} from a remote source, which cannot be read offline: "
            "counting the stack files, their values and every file in the folders above each generated unit "
            "(root.hcl, account.hcl, region.hcl, ...) as read; their dependencies are unknown, so the apply order "
            "may be incomplete"
        )
        _warn(plan, real_file, warning)
        for config, g in plan.generated.items():
            if g.catalog is None and g.files and real_file in g.files and not g.warnings:
                plan.generated[config] = dataclasses.replace(g, warnings=(warning,))


def _included(
    ev: StackEvaluator,
    plan: Plan,
    real_file: str,
    body: tuple[hcl.Attribute | hcl.Block, ...],
    scope: Scope,
    here: str,
    chain: tuple[str, ...],
) -> tuple[list[hcl.Block], tuple[str, ...]]:
    """The unit and stack blocks of the stack files this one includes (`include "x" { path = ... }`, relative to
    the stack's folder; Terragrunt appends their blocks, evaluated with this file's locals and values), and the
    chain of stack files with them added (their units read them)."""
    out: list[hcl.Block] = []
    for inc in _blocks(body, "include"):
        attrs = {a.name: a.expr for a in inc.body if isinstance(a, hcl.Attribute)}
        path = ev.eval(attrs["path"], scope) if "path" in attrs else UNKNOWN
        rel = rel_of(join(abs_dir(here), path)) if isinstance(path, str) else None
        real = plan.real(rel) if rel is not None else None
        if real is None or not ev.tree.is_file(real):
            _warn(
                plan,
                real_file,
                f"{real_file}:{inc.line}: include '{inc.labels[0] if inc.labels else ''}': "
                f"path {_shown(path)} names no stack file here: the units it would bring are not planned",
            )
            continue
        included = hcl.parse(ev.tree.read(real), real)
        out += [*_blocks(included, "unit"), *_blocks(included, "stack")]
        chain = (*chain, real)
    return out, chain


def _component(
    ev: StackEvaluator,
    plan: Plan,
    real_file: str,
    block: hcl.Block,
    scope: Scope,
    here: str,
    base: str,
    chain: tuple[str, ...],
    key: str,
    reads: Reads,
    remote: list[str],
    depth: int,
) -> None:
    name = block.labels[0] if block.labels else ""
    what = f"{block.type} '{name}'"
    attrs = {a.name: a.expr for a in block.body if isinstance(a, hcl.Attribute)}
    if any(isinstance(b, hcl.Block) and b.type == "expansion" for b in block.body):
        _warn(
            plan,
            real_file,
            f"{real_file}:{block.line}: {what} has an expansion block, which is not evaluated here: "
            "the units it generates are not planned; plan them by hand",
        )
        return
    if "enabled" in attrs and ev.eval(attrs["enabled"], scope) is False:
        return  # Terragrunt skips a disabled unit or stack; only an explicit false does
    path = ev.eval(attrs["path"], scope) if "path" in attrs else UNKNOWN
    if not isinstance(path, str) or not path or path.startswith("/"):
        # Terragrunt cannot generate it either: a catalog stack that expects values, most likely
        _warn(
            plan,
            real_file,
            f"{real_file}:{block.line}: {what}: path is {_shown(path)}, not a relative path known offline: "
            "nothing generated from it is planned (if this stack is a catalog, use it from a live stack)",
        )
        return
    no_dot = "no_dot_terragrunt_stack" in attrs and ev.eval(attrs["no_dot_terragrunt_stack"], scope) is True
    parent = posixpath.dirname(base) if no_dot else base
    dest = rel_of(posixpath.normpath(join(parent, path)))
    if dest is None or not (abs_dir(dest) + "/").startswith(parent + "/"):
        raise ParseError(real_file, block.line, f"{what}: path '{path}' leaves the stack's folder")
    values = ev.eval(attrs["values"], scope) if "values" in attrs else {}
    block_key = f"{key}|{real_file}:{what}:" + ";".join(f"{n}={e}" for n, e in sorted(attrs.items()))
    block_key += f"|values={values!r}"
    folder = _local_folder(ev, plan, scope, block, here)
    files = frozenset({*chain, *(plan.real(f) for f in reads.files)})
    if block.type == "stack":
        if folder is None:
            _warn(
                plan,
                real_file,
                f"{real_file}:{block.line}: {what} comes from a remote source "
                f"({_shown(ev.eval(attrs['source'], scope) if 'source' in attrs else None)}): the units it "
                "generates cannot be known offline and are not planned; plan them by hand",
            )
            return
        nested = _file_in(folder, STACK_FILE)
        plan.catalog.add(nested)
        _copy(ev, plan, folder, dest)
        _expand(ev, plan, nested, hcl.parse(ev.tree.read(nested), nested), dest, values, chain, block_key, depth + 1)
        return
    config = _file_in(dest, CONFIG_NAME)
    if folder is None:
        remote.append(what)
        above = _folders_above(plan, dest)
        plan.generated[config] = Generated(config, dest, None, values, files, above, block_key, (), frozenset(chain))
        return
    plan.catalog.add(_file_in(folder, CONFIG_NAME))
    _copy(ev, plan, folder, dest)
    plan.generated[config] = Generated(config, dest, folder, values, files, (), block_key, (), frozenset(chain))


def _local_folder(ev: StackEvaluator, plan: Plan, scope: Scope, block: hcl.Block, here: str) -> str | None:
    """The tree folder a block's source names when it is local and holds what the block needs (a terragrunt.hcl,
    or a terragrunt.stack.hcl); None for a remote or unknown source."""
    attrs = {a.name: a.expr for a in block.body if isinstance(a, hcl.Attribute)}
    if "source" not in attrs:
        return None
    source = ev.eval(attrs["source"], scope)
    if not isinstance(source, str) or is_remote(source):
        return None  # remote, or not known offline: over-approximated by the caller
    local = local_source(source)
    if local is None:
        return None
    rel = rel_of(join(abs_dir(here), local) if not local.startswith("/") else join("/", local))
    if rel is None:
        return None
    folder = plan.real(rel)
    wanted = STACK_FILE if block.type == "stack" else CONFIG_NAME
    return folder if ev.tree.is_file(_file_in(folder, wanted)) else None


def _copy(ev: StackEvaluator, plan: Plan, folder: str, dest: str) -> None:
    """Terragrunt copies the source folder's contents into the generated one."""
    plan.aliases[dest] = folder
    for f in ev.tree.files_below(folder):
        plan.copies[_file_in(dest, f[len(folder) + 1 :] if folder else f)] = f


def _folders_above(plan: Plan, dest: str) -> tuple[str, ...]:
    """Every file directly in a folder above `dest` (as the tree has it): what find_in_parent_folders may find."""
    out = set()
    d = dest
    while d:
        d = posixpath.dirname(d)
        real = plan.real(d)
        if posixpath.basename(real) == STACK_DIR:
            continue  # a generated folder holds only generated units
        out.add((re.escape(real + "/") if real else "") + "[^/]+")
    return tuple(sorted(out))


def _scope(here: str, body: tuple[hcl.Attribute | hcl.Block, ...]) -> Scope:
    path = abs_dir(here) + "/" + STACK_FILE
    return Scope(config_path=path, file_path=path, facts=hcl.facts_of(body))


def _blocks(body: tuple[hcl.Attribute | hcl.Block, ...], kind: str) -> list[hcl.Block]:
    return [b for b in body if isinstance(b, hcl.Block) and b.type == kind]


def _file_in(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _warn(plan: Plan, stack_file: str, text: str) -> None:
    plan.warnings.setdefault(stack_file, set()).add(text)


def _shown(value: Value) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    text = partial_text(value) if isinstance(value, Partial) else None
    return "'" + text.replace("\0", "*") + "'" if text is not None else "an unknown value"
