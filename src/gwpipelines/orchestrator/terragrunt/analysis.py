"""The whole tree's analysis: every unit, the shared configs, and who reads what. `analyse` is the pure entry
(a tree and a scanner); the orchestrator's shell builds the same answer from `evaluate` and `assemble` when it
reuses another commit's units or evaluates in two processes."""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gwpipelines.orchestrator.terragrunt.values import Scanner, Trace, Unit, interned, unit_columns, units_of

if TYPE_CHECKING:  # the evaluator is imported by the code that evaluates: a cached analysis needs none of it
    from gwpipelines.orchestrator.terragrunt import stacks
    from gwpipelines.orchestrator.terragrunt.evaluator import Evaluator
    from gwpipelines.orchestrator.tree import Tree


@dataclass(frozen=True)
class Analysis:
    units: dict[str, Unit]  # by unit path
    shared_configs: frozenset[str]  # terragrunt.hcl files that other configs include: not units
    warnings: tuple[str, ...]
    # By config file, for reuse by the analysis of another commit (see `analyse`):
    evaluated: dict[str, Unit] = field(default_factory=dict, repr=False)
    traces: dict[str, Trace] = field(default_factory=dict, repr=False)
    includes: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)
    # By stack file: what of it could not be generated (a remote nested stack, an expansion block, ...).
    stack_warnings: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with its units as columns (see `unit_columns`); each unit's key is its path."""
        state = dict(self.__dict__)
        state["units"] = unit_columns(state["units"].values())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        columns = state["units"]
        state["units"] = dict(zip(columns[0], units_of(columns), strict=True)) if columns else {}
        self.__dict__.update(state)

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
        if not wanted:
            return out  # (asked for every diff's deleted shared files: most diffs have none)
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
                rx = compiled(pattern)
                for p in wanted:
                    if rx.fullmatch(p):
                        out[p].add(u.path)
        return out


@functools.lru_cache(maxsize=4096)
def compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def analyse(tree: Tree, scanner: Scanner | None = None) -> Analysis:
    """Every unit of the tree, each evaluated here (with our scanner unless told another)."""
    from gwpipelines.orchestrator import hcl
    from gwpipelines.orchestrator.terragrunt.evaluator import Evaluator

    ev = Evaluator(tree, scanner or hcl.scan)
    configs = ev.config_candidates()
    return assemble(configs, evaluate(ev, configs), ev.stacks)


Evaluated = tuple[str, Unit, Trace, frozenset[str]]  # config, unit, trace, included files


def evaluate(ev: Evaluator, todo: list[str]) -> list[Evaluated]:
    """The units of the configs `todo`, in order, each with its trace and the files it includes."""
    ev.prefetch(todo)
    out = []
    for cfg in todo:
        unit, inc = ev.unit(cfg)
        out.append((cfg, unit, Trace.of(ev.trace, cfg), interned(inc)))
    return out


def assemble(configs: list[str], results: Iterable[Evaluated], plan: stacks.Plan | None = None) -> Analysis:
    """The analysis of a tree whose config candidates are `configs`, from each one's evaluation (evaluated here,
    in another process, or taken from another commit's analysis)."""
    evaluated: dict[str, Unit] = {}
    traces: dict[str, Trace] = {}
    includes: dict[str, frozenset[str]] = {}
    for cfg, unit, trace, inc in results:
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
        stack_warnings={f: tuple(sorted(w)) for f, w in sorted(plan.warnings.items())} if plan else {},
    )


def touched(changed: Iterable[str]) -> Callable[[Trace], bool]:
    """A test of whether a trace looked at any changed path (or at a folder in which one changed)."""
    paths = set(changed)
    folders = {posixpath.dirname(p) for p in paths}
    for d in list(folders):
        while d:
            d = posixpath.dirname(d)
            folders.add(d)
    prefixes = {f + "/" for f in folders if f}
    everything = bool(paths)

    def hit(trace: Trace) -> bool:
        if everything and "*" in trace:
            return True
        return not trace.isdisjoint(paths) or not trace.isdisjoint(folders) or not trace.isdisjoint(prefixes)

    return hit
