"""What a unit reads and needs: its includes, dependencies, module source and every file it reads, directly or
through included and read files (see the package's docstring for the rules)."""

from __future__ import annotations

import posixpath
import re
import sys

from gwpipelines.orchestrator import hcl
from gwpipelines.orchestrator.terragrunt.expressions import ORIGINAL_CALL, Expressions
from gwpipelines.orchestrator.terragrunt.paths import (
    CONFIG_NAME,
    ROOT,
    TF_MODULE_SOURCE,
    abs_dir,
    display,
    is_remote,
    join,
    local_source,
    outside,
    parent,
    rel_of,
    unit_name,
)
from gwpipelines.orchestrator.terragrunt.values import (
    UNKNOWN,
    DirReads,
    Partial,
    Reads,
    Scanner,
    Scope,
    Unit,
    Value,
    concat,
    describe_pattern,
    dir_of,
    glob_patterns,
    glob_value,
    interned,
    join_from,
    partial_text,
    path_pattern,
    pieces,
)
from gwpipelines.orchestrator.tree import Tree

# Functions that fail when the file they name does not exist: a path that names none is worth a warning.
MUST_EXIST = frozenset(
    {
        "file",
        "filebase64",
        "filebase64sha256",
        "filebase64sha512",
        "filemd5",
        "filesha1",
        "filesha256",
        "filesha512",
        "templatefile",
        "read_tfvars_file",
        "sops_decrypt_file",
    }
)


class UnitReads(Expressions):
    """The evaluation of one unit's config (see `evaluator.Evaluator`, which adds the units stacks generate)."""

    generating = False  # evaluating a generated unit: its values may differ from its neighbours'

    def __init__(self, tree: Tree, scanner: Scanner = hcl.scan, facts_cache: dict[str, hcl.FileFacts] | None = None):
        super().__init__(tree, scanner, facts_cache)
        self._original_calls: dict[str, bool] = {}

    def _unit(self, config_file: str) -> tuple[Unit, set[str]]:
        self.trace = set()
        reads = Reads()
        cfg = abs_dir(config_file)
        scope = Scope(config_path=cfg, file_path=cfg, facts=self.facts(config_file))
        included = self._process_includes(scope, reads)
        named = self._dependencies(scope, reads)
        own = {name for name, _ in named if name}
        for name, inc_scope in scope.include_scopes.items():
            strategy = next((i.merge_strategy for i in scope.facts.includes if i.name == name), "shallow")
            if strategy != "no_merge":
                # a dependency block of the unit replaces the included one of the same name (Terragrunt's merge)
                named += [(n, p) for n, p in self._dependencies(inc_scope, reads) if not n or n not in own]
        deps = [p for _, p in named]
        self._collect(scope, reads)
        if self.tree.links:
            self._through_links(unit_name(config_file), reads)
        unit = Unit.of(
            # Interned: a dependency is one object with the unit it names (300,000 strings fewer at 100,000
            # units, in memory and in the cache writer's pickle memo).
            path=sys.intern(unit_name(config_file)),
            files=interned(reads.files),
            patterns=tuple(sorted(reads.patterns)),
            module_dirs=interned(reads.module_dirs),
            dependencies=tuple(sorted(set(map(sys.intern, deps)))),
            warnings=tuple(sorted(reads.warnings)),
        )
        return unit, included

    def _through_links(self, unit: str, reads: Reads) -> None:
        """What a unit read through a symbolic link, it read where the link leads too: a change there changes it
        (and a unit whose folder is a link to another folder reads all of that folder)."""
        real = self.tree.real
        self.trace |= {real(t.rstrip("/")) for t in self.trace if t != "*"}  # a change there: evaluate it again
        reads.files |= {real(f) for f in reads.files}
        reads.module_dirs |= {real(d) for d in reads.module_dirs}
        folder = "" if unit == "." else unit
        if real(folder) != folder:
            reads.module_dirs.add(real(folder))

    def _process_includes(self, scope: Scope, reads: Reads) -> set[str]:
        included: set[str] = set()
        for inc in scope.facts.includes:
            if inc.path is None:
                reads.warnings.add(f"{display(scope.file_path)}:{inc.line}: include '{inc.name}' has no path")
                continue
            value = self._include_path(inc.path, scope)
            targets = self._paths(value, scope, reads, scope, f"include '{inc.name}'", inc.line)
            for target in targets:
                rel = rel_of(target)
                if rel is None or not self._is_file(rel):
                    continue
                included.add(rel)
                inc_scope = Scope(
                    config_path=scope.config_path,
                    file_path=target,
                    facts=self.facts(rel),
                    original_include=target,
                    original=scope.original,
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
        if scope.local_values or self._reading or self.generating or not self.share_by_folder:
            return self.eval(expr, scope)
        key = (id(expr), scope.parent_dir)
        known = self._include_paths.get(key)
        if known is not None and known[0] is expr:
            self.trace |= known[2]
            return known[1]
        before = DirReads.count
        outer, self.trace = self.trace, set()
        value = self.eval(expr, scope)
        if DirReads.count == before and not scope.local_values and isinstance(value, str):
            self._include_paths[key] = (expr, value, frozenset(self.trace))
        self.trace = outer | self.trace
        return value

    def _collect_included(self, scope: Scope, reads: Reads) -> None:
        """`_collect` of an included file for one unit. Thousands of units include the same root.hcl and
        _envcommon file; when its evaluation did not read the unit's config dir (only its parent, through
        find_in_parent_folders), every unit of the same folder gets the same reads and trace: they are
        remembered by (included file, folder). Only a fresh scope outside any read cycle qualifies."""
        if scope.facts.includes or scope.local_values or self._reading or self.generating or not self.share_by_folder:
            self._collect(scope, reads)
            return
        key = (scope.file_path, scope.parent_dir)
        known = self._included.get(key)
        if known is not None:
            reads.merge(known[0])
            self.trace |= known[1]
            return
        before = DirReads.count
        outer, self.trace = self.trace, set()
        sub = Reads()
        self._collect(scope, sub)
        if DirReads.count == before:
            self._included[key] = (sub, frozenset(self.trace))
        self.trace = outer | self.trace
        reads.merge(sub)

    def _collect(self, scope: Scope, reads: Reads) -> None:
        """Record every file the scope's file reads, and its local module source."""
        for r in scope.facts.reads:
            self._read_call(r.function, r.args, scope, reads, r.line)
        if scope.facts.source is not None:
            self._source(scope.facts.source, scope, reads)

    def _dependencies(self, scope: Scope, reads: Reads) -> list[tuple[str | None, str]]:
        """(dependency block name, or None for `dependencies.paths`; the unit path) of each edge the file draws."""
        exprs: list[tuple[hcl.Expr | None, str | None, str, int]] = []
        for d in scope.facts.dependencies:
            if d.enabled is not None and self.eval(d.enabled, scope) is False:
                continue  # a disabled dependency is no edge (an unknown `enabled` keeps it: an edge too many)
            exprs.append((d.config_path, d.name, f"dependency '{d.name}'", d.line))
        exprs += [(e, None, "dependencies.paths", 0) for e in scope.facts.dependency_paths]
        out: list[tuple[str | None, str]] = []
        for expr, name, what, line in exprs:
            if expr is None:
                continue
            items = []
            for value in self._alternatives(expr, scope):
                items += value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, str):
                    target = join(scope.config_dir, item)
                    rel = rel_of(target)
                    if rel is not None and rel.endswith(".hcl") and self._is_file(rel):
                        target = parent(target)
                    rel = rel_of(target)
                    out.append((name, (rel or ".") if rel is not None else outside(scope.config_dir, item)))
                else:
                    reads.warnings.add(
                        f"{display(scope.file_path)}:{line}: {what} of unit {display(scope.config_dir)}: "
                        f"config_path cannot be evaluated ({expr}); its apply order may be incomplete"
                    )
        return out

    def _alternatives(self, expr: hcl.Expr, scope: Scope) -> list[Value]:
        """The values an expression may have: both branches of a conditional whose condition is not known here
        (`config_path = local.prod ? "../vpc" : "../vpc-dev"` orders the unit after either)."""
        value = self.eval(expr, scope)
        if isinstance(expr, hcl.Op) and expr.kind == "?:" and not isinstance(self.eval(expr.operands[0], scope), bool):
            return [*self._alternatives(expr.operands[1], scope), *self._alternatives(expr.operands[2], scope)]
        return [value]

    def _source(self, expr: hcl.Expr, scope: Scope, reads: Reads) -> None:
        value = self.eval(expr, scope)
        if isinstance(value, str):
            local = local_source(value)
            if local is None:
                return
            target = join_from(scope, local)
            rel = rel_of(target)
            if rel is not None:
                self._module_dir(rel, reads)
            return
        text = partial_text(value)
        if text is not None and is_remote(text.split("\0", 1)[0]):
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
            for src in TF_MODULE_SOURCE.findall(self.tree.read(tf)):
                target = rel_of(join(abs_dir(posixpath.dirname(tf)), src.split("//")[0]))
                if target is not None:
                    out.append(target)
        return out

    # -- read functions -----------------------------------------------------------------------------------

    def _read_call(self, fn: str, args: tuple[hcl.Expr, ...], scope: Scope, reads: Reads, line: int) -> None:
        value = self.eval(args[0], scope)
        if fn == "fileset":  # fileset(dir, pattern): the files matching pattern below dir
            pattern = self.eval(args[1], scope) if len(args) > 1 else UNKNOWN
            value = concat([*pieces(value), "/", *pieces(pattern)])
        if fn == "read_terragrunt_config":
            for target in self._paths(value, scope, reads, scope, fn, line):
                self._read_config(target, reads, scope.original or scope.config_path)
            return
        if fn == "run_cmd":
            self._run_cmd(args, scope, reads, line)
            return
        bases: list[str | Scope]
        if fn in ("read_tfvars_file", "sops_decrypt_file", "mark_as_read", "mark_glob_as_read"):
            bases = [scope]
        else:  # Terraform's functions: relative to the evaluated file; in an included file, the unit too
            bases = scope.bases()
        is_glob = fn in ("fileset", "mark_glob_as_read")
        if is_glob and isinstance(value, str) and any(ch in value for ch in "*?[{"):
            for base in bases:
                reads.patterns.update(glob_patterns(value, dir_of(base)))
            self.trace.add("*")  # a file added anywhere may match
            return
        if is_glob:
            value = glob_value(value)
        found = False
        for base in bases:
            for target in self._paths(value, base, reads, scope, fn, line, warn=not is_glob):
                rel = rel_of(target)
                found = found or (rel is not None and self._is_file(rel))
        if fn in MUST_EXIST and isinstance(value, str) and not found:
            reads.warnings.add(
                f'{display(scope.file_path)}:{line}: {fn}("{value}") for unit {display(scope.config_dir)}: no such '
                "file at this commit (Terragrunt fails to evaluate the unit)"
            )

    def _run_cmd(self, args: tuple[hcl.Expr, ...], scope: Scope, reads: Reads, line: int) -> None:
        """`run_cmd` runs a command whose reads cannot be followed: every argument naming a file or folder of the
        repository (the script, its inputs) counts as read, and a warning says that nothing else is seen."""
        values = [self.eval(a, scope) for a in args]
        shown = [v if isinstance(v, str) else "?" for v in values]
        named: set[str] = set()
        for v in values:
            if not isinstance(v, str) or v.startswith("--terragrunt-") or not v:
                continue
            for base in scope.bases():
                rel = rel_of(join_from(base, v))
                if rel is None or rel == "":
                    continue
                if self._is_file(rel):
                    reads.files.add(rel)
                    named.add(rel)
                elif self._is_dir(rel):
                    self._module_dir(rel, reads)
                    named.add(rel + "/")
        reads.warnings.add(
            f"{display(scope.file_path)}:{line}: run_cmd({', '.join(shown)}) for unit {display(scope.config_dir)}: "
            "what a command reads cannot be followed; counting as read "
            + (", ".join(sorted(named)) if named else "no file (its arguments name none)")
            + "; a change to anything else it reads is not seen"
        )

    def _read_config(self, target: str, reads: Reads, original: str | None = None) -> Scope | None:
        rel = rel_of(target)
        if rel is not None and self._is_dir(rel):
            target = f"{target}/{CONFIG_NAME}"
            rel = rel_of(target)
        if rel is None or not self._is_file(rel):
            return None
        reads.files.add(rel)
        key = target
        if original and self._names_original(rel):
            key = f"{target}\0{original}"  # evaluated for each unit that reads it: its answers name that unit
            DirReads.count += 1  # (and not shared by the units of a folder)
        if key in self._read_configs:
            scope, sub, trace = self._read_configs[key]
            reads.merge(sub)
            self.trace |= trace
            return scope
        if target in self._reading:  # a cycle of reads: Terragrunt would loop; we stop
            return None
        self._reading.add(target)
        outer, self.trace = self.trace, set()
        sub = Reads()
        scope = Scope(config_path=target, file_path=target, facts=self.facts(rel), original=original)
        self._process_includes(scope, sub)
        self._collect(scope, sub)
        self._reading.discard(target)
        self._read_configs[key] = (scope, sub, frozenset(self.trace))
        self.trace = outer | self.trace
        reads.merge(sub)
        return scope

    def _names_original(self, rel: str) -> bool:
        """Whether a file calls get_original_terragrunt_dir() (its answer then depends on the reading unit)."""
        known = self._original_calls.get(rel)
        if known is None:
            oid = self.tree.blob_id(rel)
            known = self._original_by_id.get(oid) if oid else None
            if known is None:
                known = ORIGINAL_CALL in self.tree.read(rel)
            self._original_calls[rel] = known
        return known

    def _paths(
        self, value: Value, base_dir: str | Scope, reads: Reads, scope: Scope, what: str, line: int, warn: bool = True
    ) -> list[str]:
        """Record `value` as a path read relative to `base_dir` (a scope: its config dir); return the concrete
        absolute paths."""
        if isinstance(value, str):
            target = join_from(base_dir, value)
            rel = rel_of(target)
            if rel is not None:
                reads.files.add(rel)
            return [target]
        if isinstance(value, list):
            return [p for item in value for p in self._paths(item, base_dir, reads, scope, what, line, warn)]
        head = value.parts[0] if isinstance(value, Partial) else None
        relative = isinstance(head, str) and not head.startswith("/")
        pattern = path_pattern(value, dir_of(base_dir) if relative else ROOT)
        reads.patterns.add(pattern)
        if warn:
            reads.warnings.add(
                f"{display(scope.file_path)}:{line}: {what} for unit {display(scope.config_dir)} cannot be fully "
                f"evaluated; counting every file matching {describe_pattern(pattern)} as read"
            )
        # Files that match may be included or read configs: follow them, so their own reads count too.
        rx = re.compile(pattern)
        self.trace.add("*")
        matches = [p for p in self.tree.files if p.endswith(".hcl") and rx.fullmatch(p)]
        if what.startswith(("include", "read_terragrunt_config")) and len(matches) <= 64:
            return [abs_dir(m) for m in sorted(matches)]
        return []
