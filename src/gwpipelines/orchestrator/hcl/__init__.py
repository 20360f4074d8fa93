"""A purpose-built reader of Terragrunt HCL: the few constructs that decide what a unit reads and needs.

`parser` parses HCL's native syntax (blocks, attributes, the whole expression grammar, quoted and heredoc templates)
into the small AST of `ast`; `facts` keeps only what the orchestrator needs (`FileFacts`), and `scanner` finds the
same facts fast, parsing only the pieces of a file that can hold one; `syntax` checks a whole file for the full
parse's errors piece by piece (each distinct piece once). Nothing is evaluated here: the same file
means different things for different including units, so evaluation lives in `terragrunt`. A syntax error raises
`ParseError` with the file and line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gwpipelines.orchestrator import lazy

if TYPE_CHECKING:
    from gwpipelines.orchestrator.hcl.ast import (
        Attribute,
        Block,
        Call,
        Expr,
        Lit,
        ObjectExpr,
        Op,
        Ref,
        Template,
        TupleExpr,
        walk,
    )
    from gwpipelines.orchestrator.hcl.facts import (
        READ_FUNCTIONS,
        VAR_FILE_ATTRIBUTES,
        VAR_FILE_FLAG,
        Dependency,
        FileFacts,
        Include,
        Read,
        facts_of,
        var_file_reads,
    )
    from gwpipelines.orchestrator.hcl.parser import parse, parse_expression
    from gwpipelines.orchestrator.hcl.scanner import scan, scan_strict
    from gwpipelines.orchestrator.hcl.syntax import check, scan_checked

# Each name is imported from its module on first use (PEP 562): a run that finds both sides in the cache parses
# nothing and never pays for the parser's and scanner's imports (a sixth of a warm orchestrate).
_HOME = {
    "Attribute": "ast",
    "Block": "ast",
    "Call": "ast",
    "Expr": "ast",
    "Lit": "ast",
    "ObjectExpr": "ast",
    "Op": "ast",
    "Ref": "ast",
    "Template": "ast",
    "TupleExpr": "ast",
    "walk": "ast",
    "READ_FUNCTIONS": "facts",
    "VAR_FILE_ATTRIBUTES": "facts",
    "VAR_FILE_FLAG": "facts",
    "Dependency": "facts",
    "FileFacts": "facts",
    "Include": "facts",
    "Read": "facts",
    "facts_of": "facts",
    "var_file_reads": "facts",
    "parse": "parser",
    "parse_expression": "parser",
    "scan": "scanner",
    "scan_strict": "scanner",
    "check": "syntax",
    "scan_checked": "syntax",
}


__getattr__ = lazy.exports(__name__, _HOME)


__all__ = [
    "READ_FUNCTIONS",
    "VAR_FILE_ATTRIBUTES",
    "VAR_FILE_FLAG",
    "Attribute",
    "Block",
    "Call",
    "Dependency",
    "Expr",
    "FileFacts",
    "Include",
    "Lit",
    "ObjectExpr",
    "Op",
    "Read",
    "Ref",
    "Template",
    "TupleExpr",
    "check",
    "facts_of",
    "parse",
    "parse_expression",
    "scan",
    "scan_checked",
    "scan_strict",
    "var_file_reads",
    "walk",
]
