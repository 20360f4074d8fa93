"""Expressions evaluated in a scope, over one tree: locals, includes' and read configs' locals, templates,
the supported functions, and the per-file caches (facts by path and by content id)."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable

from gwpipelines.errors import ParseError
from gwpipelines.orchestrator import hcl
from gwpipelines.orchestrator.terragrunt.functions import FUNCTIONS
from gwpipelines.orchestrator.terragrunt.paths import CONFIG_NAME, join, parent, rel_of
from gwpipelines.orchestrator.terragrunt.values import (
    UNKNOWN,
    BlobFacts,
    ConfigValue,
    IncludeValue,
    Partial,
    Reads,
    Scanner,
    Scope,
    Value,
    concat,
    join_from,
)
from gwpipelines.orchestrator.tree import SKIPPED_DIRS, Tree, is_hidden

ORIGINAL_CALL = "get_original_terragrunt_dir"  # a file calling it answers differently for each reading unit


class Expressions:
    """Evaluates expressions over one tree. Holds the per-file caches; one instance per tree."""

    share_by_folder = True  # see _include_path and _collect_included; tests turn it off to compare

    def __init__(self, tree: Tree, scanner: Scanner = hcl.scan, facts_cache: dict[str, hcl.FileFacts] | None = None):
        self.tree = tree
        self.scanner = scanner
        self._facts: dict[str, hcl.FileFacts] = {}
        self._blob_facts = facts_cache if facts_cache is not None else {}
        # Whether a content calls get_original_terragrunt_dir(), by content id: noted while its text is at hand
        # (the batch read), so that a file read as a config is not read again one git process at a time.
        self._original_by_id = facts_cache.original_calls if isinstance(facts_cache, BlobFacts) else {}
        self._read_configs: dict[str, tuple[Scope, Reads, frozenset[str]]] = {}
        self._reading: set[str] = set()
        self._found: dict[tuple[str, str], tuple[str | None, tuple[str, ...]]] = {}  # by (dir, name)
        self._modules: dict[str, tuple[str, ...]] = {}  # module folder -> it and the folders it calls
        self._included: dict[tuple[str, str], tuple[Reads, frozenset[str]]] = {}  # see _collect_included
        self._include_paths: dict[tuple[int, str], tuple[hcl.Expr, str, frozenset[str]]] = {}  # see _include_path
        # Every path the current unit's evaluation looked at (read, or probed for existence; "d/" for a whole
        # folder, "*" for all files): if none changed between two commits, the unit evaluates the same on both.
        self.trace: set[str] = set()
        # `values.*` of the unit (or nested stack) being evaluated: what its stack block gave it.
        self.values: Value = UNKNOWN
        self.variables: dict[str, Value] = {}  # a `for` expression's names, while its body is evaluated

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
                text = self.tree.read(rel_path)
                if oid:
                    self._original_by_id[oid] = ORIGINAL_CALL in text
                cached = self.scanner(text, rel_path)
                if oid:
                    self._blob_facts[oid] = cached
            self._facts[rel_path] = cached
        return self._facts[rel_path]

    def blob_facts(self, traces: Iterable[Iterable[str]]) -> dict[str, hcl.FileFacts]:
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
            oid = self.tree.blob_id(path) or ""
            self._original_by_id[oid] = ORIGINAL_CALL in text
            try:
                self._blob_facts[oid] = self.scanner(text, path)
            except ParseError:
                continue

    def config_files(self) -> list[str]:
        """Every terragrunt.hcl outside hidden and cache folders (units, catalog units, or legacy root configs)."""
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

    def forget(self) -> None:
        """Drop what was learnt of the tree's files (the tree grew the folders its stacks generate)."""
        self._facts.clear()
        self._read_configs.clear()
        self._found.clear()
        self._modules.clear()
        self._included.clear()
        self._include_paths.clear()

    def _read_config(self, target: str, reads: Reads, original: str | None = None) -> Scope | None:
        """The scope of a config read with `read_terragrunt_config` (its reads recorded in `reads`): following a
        read is the unit-level evaluator's business (see `evaluator.Evaluator`)."""
        raise NotImplementedError

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
        if kind is hcl.Op:
            return self._op(e, scope)  # type: ignore[arg-type]
        return UNKNOWN

    def _op(self, op: hcl.Op, scope: Scope) -> Value:
        """Conditionals, `for` expressions and the logical operators, where their operands are known (paths are
        built with them: `dependencies { paths = [for d in local.deps : "../${d}"] }`)."""
        k, args = op.kind, op.operands
        if k == "?:":
            cond = self.eval(args[0], scope)
            return self.eval(args[1] if cond else args[2], scope) if isinstance(cond, bool) else UNKNOWN
        if k.startswith("for "):
            return self._for(op, scope)
        if k in ("==", "!="):
            a, b = self.eval(args[0], scope), self.eval(args[1], scope)
            if _known(a) and _known(b):
                return (a == b) == (k == "==")
            return UNKNOWN
        if k in ("&&", "||"):
            a, b = self.eval(args[0], scope), self.eval(args[1], scope)
            if isinstance(a, bool) and isinstance(b, bool):
                return (a and b) if k == "&&" else (a or b)
            return UNKNOWN
        if k == "not":
            a = self.eval(args[0], scope)
            return (not a) if isinstance(a, bool) else UNKNOWN
        return UNKNOWN

    def _for(self, op: hcl.Op, scope: Scope) -> Value:
        """`[for v in X : V if C]` and `{for k, v in X : K => V}` over a known list or map. An unknown condition
        keeps the item (a path too many is only noise)."""
        words = op.kind.split()
        names = words[1].split(",")
        to_object, has_cond = "=>" in words, "if" in words
        coll = self.eval(op.operands[0], scope)
        if isinstance(coll, list):
            pairs = list(enumerate(coll))
        elif isinstance(coll, dict):
            pairs = list(coll.items())
        else:
            return UNKNOWN
        out_list: list[Value] = []
        out_map: dict[str, Value] = {}
        saved = dict(self.variables)
        try:
            for key, item in pairs:
                if len(names) == 2:
                    self.variables[names[0]], self.variables[names[1]] = key, item
                else:
                    self.variables[names[0]] = item
                if has_cond and self.eval(op.operands[-1], scope) is False:
                    continue
                if to_object:
                    k = self.eval(op.operands[1], scope)
                    if not isinstance(k, str):
                        return UNKNOWN
                    out_map[k] = self.eval(op.operands[2], scope)
                else:
                    out_list.append(self.eval(op.operands[1], scope))
        finally:
            self.variables = saved
        return out_map if to_object else out_list

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
        return concat(parts)

    def _ref(self, r: hcl.Ref, scope: Scope) -> Value:
        if r.root == "local" and r.steps and isinstance(r.steps[0], str):
            return self._traverse(self._local(r.steps[0], scope), r.steps[1:], scope)
        if r.root == "include" and r.steps and isinstance(r.steps[0], str):
            return self._traverse(IncludeValue(r.steps[0]), r.steps[1:], scope)
        if r.root == "values":
            return self._traverse(self.values, r.steps, scope)
        if r.root in self.variables:
            return self._traverse(self.variables[r.root], r.steps, scope)
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
        return self._read_config(value.path, Reads(), scope.original or scope.config_path)

    def _call(self, c: hcl.Call, scope: Scope) -> Value:
        fn = FUNCTIONS.get(c.name)
        if fn is not None:
            args = [self.eval(a, scope) for a in c.args]
            return fn(self, scope, args)
        if c.name == "read_terragrunt_config" and c.args:
            target = self.eval(c.args[0], scope)
            if isinstance(target, str):
                return ConfigValue(join_from(scope, target))
        return UNKNOWN

    # -- Terragrunt's path functions ----------------------------------------------------------------------

    def find_in_parent_folders(self, scope: Scope, args: list[Value]) -> Value:
        name = args[0] if args else CONFIG_NAME
        if not isinstance(name, str):
            return UNKNOWN if not isinstance(name, Partial) else concat((None, "/", *name.parts))
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
            candidate = join(directory, name)
            rel = rel_of(candidate)
            if rel_of(directory) is None:
                self._found[key] = (None, ())
            elif rel is not None and self.tree.exists(rel):
                self._found[key] = (candidate, (rel,))
            else:
                up = parent(directory)
                found, probes = (None, ()) if up == directory else self._search_from(up, name)
                self._found[key] = (found, (rel, *probes) if rel is not None else probes)
        return self._found[key]


def _known(v: Value) -> bool:
    return isinstance(v, (str, int, float, bool)) or v is None
