"""The facts a file holds, from its parsed body: include blocks, dependency blocks, `dependencies.paths`,
`terraform.source`, locals, and every call of a function that reads a file. Nothing is evaluated here: the same
file means different things for different including units (see `terragrunt`)."""

from __future__ import annotations

from dataclasses import dataclass

from gwpipelines.orchestrator.hcl.ast import Attribute, Block, Call, Expr, Lit, Template, TupleExpr, simplify, walk

# Functions whose first argument names a file the unit reads. `file()` and the Terraform family count too:
# Terragrunt's own read-tracking ignores `file()`, but a unit whose input changed must be planned.
READ_FUNCTIONS = frozenset(
    {
        "read_terragrunt_config",
        "read_tfvars_file",
        "sops_decrypt_file",
        "mark_as_read",
        "mark_glob_as_read",
        "file",
        "fileexists",
        "filebase64",
        "filebase64sha256",
        "filebase64sha512",
        "filemd5",
        "filesha1",
        "filesha256",
        "filesha512",
        "templatefile",
        "fileset",
        # Not a read, but a command that may read anything: its arguments are counted, with a warning.
        "run_cmd",
    }
)


@dataclass(frozen=True, slots=True)
class Include:
    name: str
    path: Expr | None
    expose: bool
    merge_strategy: str
    line: int


@dataclass(frozen=True, slots=True)
class Dependency:
    name: str
    config_path: Expr | None
    line: int
    enabled: Expr | None = None  # `enabled = false` draws no edge


@dataclass(frozen=True, slots=True)
class Read:
    function: str
    args: tuple[Expr, ...]
    line: int

    @property
    def arg(self) -> Expr:
        return self.args[0]


@dataclass(frozen=True, slots=True)
class FileFacts:
    includes: tuple[Include, ...] = ()
    dependencies: tuple[Dependency, ...] = ()
    dependency_paths: tuple[Expr, ...] = ()
    source: Expr | None = None
    locals: tuple[tuple[str, Expr], ...] = ()
    reads: tuple[Read, ...] = ()


def facts_of(body: tuple[Attribute | Block, ...]) -> FileFacts:
    includes: list[Include] = []
    deps: list[Dependency] = []
    dep_paths: list[Expr] = []
    source: Expr | None = None
    local_defs: list[tuple[str, Expr]] = []
    reads: list[Read] = []
    for item in body:
        reads += _reads((item,))
        if not isinstance(item, Block):
            continue
        attrs = {a.name: a.expr for a in item.body if isinstance(a, Attribute)}
        if item.type == "include":
            includes.append(
                Include(
                    name=item.labels[0] if item.labels else "",
                    path=attrs.get("path"),
                    expose=_literal_bool(attrs.get("expose")),
                    merge_strategy=_literal_str(attrs.get("merge_strategy"), "shallow"),
                    line=item.line,
                )
            )
        elif item.type == "dependency":
            name = item.labels[0] if item.labels else ""
            deps.append(Dependency(name, attrs.get("config_path"), item.line, attrs.get("enabled")))
        elif item.type == "dependencies":
            paths = attrs.get("paths")
            if isinstance(paths, TupleExpr):
                dep_paths.extend(paths.items)
            elif paths is not None:
                dep_paths.append(paths)
        elif item.type == "terraform":
            source = attrs.get("source", source)
            reads += [r for b in item.body if isinstance(b, Block) for r in var_file_reads(b)]
        elif item.type == "locals":
            local_defs.extend((a.name, a.expr) for a in item.body if isinstance(a, Attribute))
    return FileFacts(
        includes=tuple(includes),
        dependencies=tuple(deps),
        dependency_paths=tuple(dep_paths),
        source=source,
        locals=tuple(local_defs),
        reads=tuple(reads),
    )


# `terraform { extra_arguments { ... } }`: the var files Terragrunt hands to `terraform -var-file`. They are reads
# like file() (a change to one must plan the unit) though no read function names them.
VAR_FILE_ATTRIBUTES = ("required_var_files", "optional_var_files")
VAR_FILE_FLAG = "-var-file="


def var_file_reads(block: Block) -> list[Read]:
    """The var files an `extra_arguments` block passes: its `*_var_files` lists, and `-var-file=PATH` arguments.
    Each is a Read named after where it came from (`required_var_files`, `optional_var_files`, `-var-file`)."""
    if block.type != "extra_arguments":
        return []
    out: list[Read] = []
    for a in block.body:
        if not isinstance(a, Attribute):
            continue
        if a.name in VAR_FILE_ATTRIBUTES:
            out.append(Read(a.name, (a.expr,), a.line))
        elif a.name == "arguments" and isinstance(a.expr, TupleExpr):
            items = a.expr.items
            for i, arg in enumerate(items):
                path = _var_file_flag(arg)
                if path is None and arg == Lit("-var-file") and i + 1 < len(items):
                    path = items[i + 1]  # "-var-file", "PATH": Go's flag package reads the next argument
                if path is not None:
                    out.append(Read("-var-file", (path,), a.line))
    return out


def _var_file_flag(arg: Expr) -> Expr | None:
    """The PATH of an argument `"-var-file=PATH"` (a literal or a template starting so), else None."""
    first = arg.value if isinstance(arg, Lit) else arg.parts[0] if isinstance(arg, Template) else None
    if not isinstance(first, str) or not first.startswith(VAR_FILE_FLAG):
        return None
    rest = first[len(VAR_FILE_FLAG) :]
    if isinstance(arg, Lit):
        return Lit(rest)
    assert isinstance(arg, Template)
    return simplify([rest, *arg.parts[1:]] if rest else list(arg.parts[1:]))


def _reads(body: tuple[Attribute | Block, ...]) -> list[Read]:
    out: list[Read] = []
    stack: list[Attribute | Block] = list(reversed(body))
    while stack:
        item = stack.pop()
        if isinstance(item, Block):
            stack.extend(reversed(item.body))
            continue
        for e in walk(item.expr):
            if isinstance(e, Call) and e.name in READ_FUNCTIONS and e.args:
                out.append(Read(e.name, e.args, e.line or item.line))
    return out


def _literal_bool(e: Expr | None) -> bool:
    return isinstance(e, Lit) and e.value is True


def _literal_str(e: Expr | None, default: str) -> str:
    return e.value if isinstance(e, Lit) and isinstance(e.value, str) else default
