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

Layers, each importing only those before it: `paths` (virtual absolute paths, module sources), `values` (values,
reads, scopes), `functions`, `expressions` (an expression in a scope), `evaluator` (a unit), `analysis` (a tree).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gwpipelines.orchestrator import lazy

if TYPE_CHECKING:
    from gwpipelines.orchestrator.terragrunt.analysis import Analysis, Evaluated, analyse, assemble, evaluate, touched
    from gwpipelines.orchestrator.terragrunt.evaluator import Evaluator
    from gwpipelines.orchestrator.terragrunt.paths import CONFIG_NAME, ROOT, unit_config, unit_name
    from gwpipelines.orchestrator.terragrunt.values import UNKNOWN, Reads, Scanner, Scope, Trace, Unit, Value

# Each name is imported from its module on first use (PEP 562): a run that finds both sides in the cache needs
# the analysis and its units, never the evaluator, the stacks or the HCL reader behind them.
_HOME = {
    "Analysis": "analysis",
    "Evaluated": "analysis",
    "analyse": "analysis",
    "assemble": "analysis",
    "evaluate": "analysis",
    "touched": "analysis",
    "Evaluator": "evaluator",
    "CONFIG_NAME": "paths",
    "ROOT": "paths",
    "unit_config": "paths",
    "unit_name": "paths",
    "UNKNOWN": "values",
    "Reads": "values",
    "Scanner": "values",
    "Scope": "values",
    "Trace": "values",
    "Unit": "values",
    "Value": "values",
}


__getattr__ = lazy.exports(__name__, _HOME)


__all__ = [
    "CONFIG_NAME",
    "ROOT",
    "UNKNOWN",
    "Analysis",
    "Evaluated",
    "Evaluator",
    "Reads",
    "Scanner",
    "Scope",
    "Trace",
    "Unit",
    "Value",
    "analyse",
    "assemble",
    "evaluate",
    "touched",
    "unit_config",
    "unit_name",
]
