"""The evaluator of one tree's units: the tree's own, and those its stacks generate (see `stacks`)."""

from __future__ import annotations

from gwpipelines.models.units import STACK_FILE
from gwpipelines.orchestrator import hcl
from gwpipelines.orchestrator.terragrunt import stacks
from gwpipelines.orchestrator.terragrunt.reads import UnitReads
from gwpipelines.orchestrator.terragrunt.values import (
    UNKNOWN,
    Reads,
    Scanner,
    Scope,
    Unit,
    interned,
)
from gwpipelines.orchestrator.tree import Tree, overlay


class Evaluator(UnitReads):
    """Evaluates the units of one tree. Holds the per-file caches; one instance per tree."""

    def __init__(self, tree: Tree, scanner: Scanner = hcl.scan, facts_cache: dict[str, hcl.FileFacts] | None = None):
        super().__init__(tree, scanner, facts_cache)
        self.stacks = stacks.Plan()
        self.generating = False  # evaluating a generated unit: its values may differ from its neighbours'

    def config_candidates(self) -> list[str]:
        """Every config to evaluate: the tree's terragrunt.hcl files (units, or legacy root configs) but its
        catalogs', and the terragrunt.hcl of every unit its stacks generate."""
        configs = self.config_files()
        if not any(p.endswith(STACK_FILE) for p in self.tree.files):
            return configs
        self.stacks = stacks.expand(self)
        if self.stacks.copies:
            self.tree = overlay(self.tree, self.stacks.copies)
            self.forget()
        return sorted([*(c for c in configs if c not in self.stacks.catalog), *self.stacks.generated])

    def collect(self, scope: Scope, reads: Reads) -> None:
        """Record every file the scope's file reads (a stack file's, here)."""
        self._collect(scope, reads)

    def _generated_unit(self, g: stacks.Generated) -> tuple[Unit, set[str]]:
        """A unit a stack generates: its catalog terragrunt.hcl evaluated where Terragrunt writes the copy, with
        its values, and its reads mapped back to the files the copy is made of; or, from a remote source, what
        the stack gives (see `stacks`). Its trace is everything: it is evaluated again on any change."""
        if g.catalog is None:
            self.trace = {"*"}
            unit = Unit.of(g.unit, g.files, g.patterns, frozenset(), (), g.warnings, g.key, g.stack_files)
            return unit, set()
        self.values, self.generating = g.values, True
        try:
            unit, included = self._unit(g.config)
        finally:
            self.values, self.generating = UNKNOWN, False
        real = self.stacks.real
        self.trace.add("*")
        unit = Unit.of(
            path=unit.path,
            files=interned({*map(real, unit.files), *g.files}),
            patterns=unit.patterns,
            module_dirs=frozenset({*map(real, unit.module_dirs), g.catalog}),
            dependencies=unit.dependencies,
            warnings=tuple(sorted({*unit.warnings, *g.warnings})),
            stack_key=g.key,
            stack_files=g.stack_files,
        )
        return unit, {real(i) for i in included}

    # -- units --------------------------------------------------------------------------------------------

    def unit(self, config_file: str) -> tuple[Unit, set[str]]:
        """The unit whose config is `config_file`, and the set of files it includes (`self.trace` then holds
        every path the evaluation looked at)."""
        generated = self.stacks.generated.get(config_file)
        if generated is not None:
            return self._generated_unit(generated)
        return self._unit(config_file)
