"""Terragrunt's and Terraform's functions that paths are made with, evaluated for one scope."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from typing import Any, Protocol

from gwpipelines.orchestrator.terragrunt.paths import ROOT, join, parent, relpath
from gwpipelines.orchestrator.terragrunt.values import UNKNOWN, Partial, Scope, Value, concat


class PathFinder(Protocol):
    """The evaluator's side of `find_in_parent_folders`: it probes the tree and remembers the answers."""

    def find_in_parent_folders(self, scope: Scope, args: list[Value]) -> Value: ...


Function = Callable[[PathFinder, Scope, list[Value]], Value]


def _include_for(scope: Scope, args: list[Value]) -> str | None:
    if scope.original_include:
        return scope.original_include
    if args and isinstance(args[0], str):
        return scope.includes.get(args[0])
    if scope.includes:
        return next(iter(scope.includes.values()))
    return None


def _fn_get_parent_terragrunt_dir(ev: PathFinder, scope: Scope, args: list[Value]) -> Value:
    inc = _include_for(scope, args)
    return parent(inc) if inc else scope.config_dir


def _fn_path_relative_to_include(ev: PathFinder, scope: Scope, args: list[Value]) -> Value:
    inc = _include_for(scope, args)
    return relpath(scope.config_dir, parent(inc)) if inc else "."


def _fn_path_relative_from_include(ev: PathFinder, scope: Scope, args: list[Value]) -> Value:
    inc = _include_for(scope, args)
    return relpath(parent(inc), scope.config_dir) if inc else "."


def _str_fn(f: Callable[..., Value]) -> Callable[[PathFinder, Scope, list[Value]], Value]:
    def apply(ev: PathFinder, scope: Scope, args: list[Value]) -> Value:
        if not all(isinstance(a, (str, int, float)) and not isinstance(a, bool) for a in args):
            return UNKNOWN
        try:
            return f(*args)
        except (TypeError, ValueError, IndexError):
            return UNKNOWN

    return apply


def _fn_dirname(ev: PathFinder, scope: Scope, args: list[Value]) -> Value:
    if len(args) == 1 and isinstance(args[0], Partial):
        parts = args[0].parts
        last = parts[-1]
        if isinstance(last, str) and "/" in last:
            return concat((*parts[:-1], last.rsplit("/", 1)[0]))
        return UNKNOWN
    return _str_fn(posixpath.dirname)(ev, scope, args)


def _fn_try(ev: PathFinder, scope: Scope, args: list[Value]) -> Value:
    known = [a for a in args if a is not UNKNOWN and not isinstance(a, Partial)]
    return known[0] if len(known) == len(args) and known else UNKNOWN


def _fn_format(fmt: str, *args: Any) -> str:
    return re.sub(r"%[sdv]", "{}", fmt.replace("{", "{{").replace("}", "}}")).format(*args)


FUNCTIONS: dict[str, Function] = {
    "find_in_parent_folders": lambda ev, s, a: ev.find_in_parent_folders(s, a),
    "get_terragrunt_dir": lambda ev, s, a: s.config_dir,
    "get_original_terragrunt_dir": lambda ev, s, a: parent(s.original) if s.original else s.config_dir,
    "concat": lambda ev, s, a: [x for part in a for x in part] if all(isinstance(p, list) for p in a) else UNKNOWN,
    "get_parent_terragrunt_dir": _fn_get_parent_terragrunt_dir,
    "path_relative_to_include": _fn_path_relative_to_include,
    "path_relative_from_include": _fn_path_relative_from_include,
    "get_repo_root": lambda ev, s, a: ROOT,
    "get_path_to_repo_root": lambda ev, s, a: relpath(ROOT, s.config_dir),
    "get_path_from_repo_root": lambda ev, s, a: relpath(s.config_dir, ROOT),
    "dirname": _fn_dirname,
    "basename": _str_fn(posixpath.basename),
    "abspath": lambda ev, s, a: join(s.config_dir, a[0]) if len(a) == 1 and isinstance(a[0], str) else UNKNOWN,
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
