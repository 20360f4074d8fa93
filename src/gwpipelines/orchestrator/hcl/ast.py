"""The expression AST of Terragrunt HCL. Every node is frozen and hashable, and `str()` gives one canonical HCL
text; `Attribute` and `Block` are the items of a body."""

from __future__ import annotations

from dataclasses import dataclass, field

# Binary operators by precedence, loosest first (the parser climbs them; `Op.__str__` prints them infix).
BINARY_LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",),
    ("&&",),
    ("==", "!="),
    ("<", ">", "<=", ">="),
    ("+", "-"),
    ("*", "/", "%"),
)
BINARY_KINDS = frozenset(op for level in BINARY_LEVELS for op in level)


class Expr:
    __slots__ = ()

    def children(self) -> tuple[Expr, ...]:
        return ()


@dataclass(frozen=True, slots=True)
class Lit(Expr):
    value: str | int | float | bool | None

    def __str__(self) -> str:
        v = self.value
        if v is None:
            return "null"
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return '"' + _escape(v) + '"'
        return repr(v)


@dataclass(frozen=True, slots=True)
class Template(Expr):
    """A quoted or heredoc template: literal strings and interpolated expressions, in order.
    A `%{...}` directive is kept as an `Unknowable` part: its output depends on values we do not evaluate."""

    parts: tuple[str | Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return tuple(p for p in self.parts if isinstance(p, Expr))

    def __str__(self) -> str:
        out = []
        for p in self.parts:
            out.append(_escape(p) if isinstance(p, str) else "${" + str(p) + "}")
        return '"' + "".join(out) + '"'


@dataclass(frozen=True, slots=True)
class Call(Expr):
    name: str
    args: tuple[Expr, ...]
    expand: bool = False
    line: int = field(default=0, compare=False)

    def children(self) -> tuple[Expr, ...]:
        return self.args

    def __str__(self) -> str:
        return f"{self.name}({', '.join(map(str, self.args))}{'...' if self.expand else ''})"


@dataclass(frozen=True, slots=True)
class Ref(Expr):
    """A traversal from a variable: `local.x`, `include.root.locals.y`, `dependency.vpc.outputs.id`."""

    root: str
    steps: tuple[str | Expr, ...] = ()  # str: attribute access; Expr: index

    def children(self) -> tuple[Expr, ...]:
        return tuple(s for s in self.steps if isinstance(s, Expr))

    def __str__(self) -> str:
        return self.root + "".join(f".{s}" if isinstance(s, str) else f"[{s}]" for s in self.steps)


@dataclass(frozen=True, slots=True)
class TupleExpr(Expr):
    items: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.items

    def __str__(self) -> str:
        return "[" + ", ".join(map(str, self.items)) + "]"


@dataclass(frozen=True, slots=True)
class ObjectExpr(Expr):
    items: tuple[tuple[Expr, Expr], ...]

    def children(self) -> tuple[Expr, ...]:
        return tuple(e for kv in self.items for e in kv)

    def __str__(self) -> str:
        return "{" + ", ".join(f"{k} = {v}" for k, v in self.items) + "}"


@dataclass(frozen=True, slots=True)
class Op(Expr):
    """Any other expression (operators, conditionals, for, splat, index of a non-variable, directives).
    Not evaluated; kept so that reads nested inside are still found."""

    kind: str
    operands: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.operands

    def __str__(self) -> str:
        if self.kind in BINARY_KINDS and len(self.operands) == 2:
            return f"({self.operands[0]} {self.kind} {self.operands[1]})"
        if self.kind == "?:":
            c, a, b = self.operands
            return f"({c} ? {a} : {b})"
        return f"{self.kind}({', '.join(map(str, self.operands))})"


def _escape(s: str) -> str:
    return (
        s.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\t", "\\t")
        .replace("${", "$${")
        .replace("%{", "%%{")
    )


def walk(expr: Expr) -> list[Expr]:
    """Every node of an expression, parents before children."""
    out: list[Expr] = []
    stack = [expr]
    while stack:
        e = stack.pop()
        out.append(e)
        stack.extend(reversed(e.children()))
    return out


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    expr: Expr
    line: int


@dataclass(frozen=True, slots=True)
class Block:
    type: str
    labels: tuple[str, ...]
    body: tuple[Attribute | Block, ...]
    line: int


def simplify(parts: list[str | Expr]) -> Expr:
    if not parts:
        return Lit("")
    if len(parts) == 1 and isinstance(parts[0], str):
        return Lit(parts[0])
    return Template(tuple(parts))
