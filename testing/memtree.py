"""An in-memory repository view for the pure parts (analysis), with files given as a dict."""

from __future__ import annotations

from textwrap import dedent

from gwpipelines.orchestrator import terragrunt
from gwpipelines.orchestrator.tree import Tree


def mem_tree(files: dict[str, str]) -> Tree:
    texts = {p: dedent(t) for p, t in files.items()}
    return Tree({p: None for p in texts}, lambda paths: {p: texts[p] for p in paths})


def analyse(files: dict[str, str]) -> terragrunt.Analysis:
    return terragrunt.analyse(mem_tree(files))


ROOT_INCLUDE = 'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n'
