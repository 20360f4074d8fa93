"""A purpose-built reader of Terragrunt HCL: the few constructs that decide what a unit reads and needs.

It parses HCL's native syntax (blocks, attributes, the whole expression grammar, quoted and heredoc templates)
into a small AST, then keeps only the facts the orchestrator needs (`FileFacts`): include blocks, dependency
blocks, `dependencies.paths`, `terraform.source`, locals, and every call of a function that reads a file.
Nothing is evaluated here: the same file means different things for different including units, so evaluation
lives in `terragrunt.py`. A syntax error raises `ParseError` with the file and line.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from gwpipelines.errors import ParseError

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
    }
)


# ---------------------------------------------------------------------------------------------------------------
# The expression AST. Every node is frozen and hashable, and `str()` gives one canonical HCL text.


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
        if self.kind in _BINARY_KINDS and len(self.operands) == 2:
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


# ---------------------------------------------------------------------------------------------------------------
# The facts a file holds.


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


# ---------------------------------------------------------------------------------------------------------------
# The parser: recursive descent straight over the text, one compiled regex per token class.

_WS_START = frozenset(" \t\r\n#/")
_WS = re.compile(r"(?:[ \t\r\n]+|#[^\n]*|//[^\n]*|/\*.*?\*/)*", re.S)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_HEREDOC = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")
_TEMPLATE_CHUNK = re.compile(r'[^"\\$%\n]+')
_OPS2 = ("==", "!=", "<=", ">=", "&&", "||", "=>")
_BINARY_LEVELS: tuple[tuple[str, ...], ...] = (
    ("||",),
    ("&&",),
    ("==", "!="),
    ("<", ">", "<=", ">="),
    ("+", "-"),
    ("*", "/", "%"),
)
_BINARY_KINDS = frozenset(op for level in _BINARY_LEVELS for op in level)
_PRECEDENCE = {op: i + 1 for i, level in enumerate(_BINARY_LEVELS) for op in level}
# Longest first; '<' is not a heredoc, '*' and '/' do not start or end a comment.
_BINOP = re.compile(r"\|\||&&|==|!=|<=|>=|<(?!<)|>|\+|-|\*(?!/)|/(?![/*])|%")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


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


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.text = text
        self.path = path
        self.pos = 0
        self.n = len(text)
        self.line_offset = 0  # for a heredoc's body, parsed on its own

    # -- helpers --------------------------------------------------------------------------------------------

    def line(self, pos: int | None = None) -> int:
        return self.text.count("\n", 0, self.pos if pos is None else pos) + 1 + self.line_offset

    def fail(self, what: str, pos: int | None = None) -> ParseError:
        return ParseError(self.path, self.line(pos), what)

    def skip(self) -> None:
        p = self.pos
        if p >= self.n or self.text[p] not in _WS_START:
            return  # the common case, without a regex call
        m = _WS.match(self.text, p)
        if m:
            self.pos = m.end()
        if self.text.startswith("/*", self.pos):
            raise self.fail("unterminated /* comment")

    def peek(self, s: str) -> bool:
        self.skip()
        return self.text.startswith(s, self.pos)

    def accept(self, s: str) -> bool:
        if self.peek(s):
            self.pos += len(s)
            return True
        return False

    def expect(self, s: str) -> None:
        if not self.accept(s):
            got = self.text[self.pos : self.pos + 12].split("\n")[0] or "end of file"
            raise self.fail(f"expected '{s}' but found '{got}'")

    def ident(self) -> str | None:
        self.skip()
        m = _IDENT.match(self.text, self.pos)
        if not m:
            return None
        self.pos = m.end()
        return m.group()

    # -- bodies ---------------------------------------------------------------------------------------------

    def body(self, closing: str | None, opened_at: int = 0) -> tuple[Attribute | Block, ...]:
        items: list[Attribute | Block] = []
        while True:
            self.skip()
            if self.pos >= self.n:
                if closing:
                    raise ParseError(self.path, opened_at, f"missing '{closing}': this block is never closed")
                return tuple(items)
            if closing and self.text.startswith(closing, self.pos):
                self.pos += 1
                return tuple(items)
            start = self.pos
            name = self.ident()
            if name is None:
                raise self.fail(f"expected an attribute or a block, found '{self.text[self.pos]}'")
            if self.accept("=") and not self.text.startswith("=", self.pos):
                items.append(Attribute(name, self.expression(), self.line(start)))
                continue
            labels: list[str] = []
            while not self.peek("{"):
                if self.peek('"'):
                    lab = self.template_or_string()
                    labels.append(lab.value if isinstance(lab, Lit) and isinstance(lab.value, str) else str(lab))
                    continue
                label = self.ident()
                if label is None:
                    raise self.fail(f"expected '=' or '{{' after '{name}'")
                labels.append(label)
            self.expect("{")
            line = self.line(start)
            items.append(Block(name, tuple(labels), self.body("}", line), line))

    # -- expressions ----------------------------------------------------------------------------------------

    def expression(self) -> Expr:
        cond = self.binary(1)
        if self.peek("?"):
            self.pos += 1
            a = self.expression()
            self.expect(":")
            b = self.expression()
            return Op("?:", (cond, a, b))
        return cond

    def binary(self, min_prec: int) -> Expr:
        """Precedence climbing: one call per operand, not one per precedence level."""
        left = self.unary()
        while True:
            self.skip()
            m = _BINOP.match(self.text, self.pos)
            if not m or _PRECEDENCE[m.group()] < min_prec:
                return left
            self.pos = m.end()
            left = Op(m.group(), (left, self.binary(_PRECEDENCE[m.group()] + 1)))

    def unary(self) -> Expr:
        self.skip()
        c = self.text[self.pos : self.pos + 1]
        if c in ("!", "-") and not self.text.startswith("!=", self.pos):
            self.pos += 1
            return Op("neg" if c == "-" else "not", (self.unary(),))
        return self.postfix(self.primary())

    def postfix(self, e: Expr) -> Expr:
        while True:
            self.skip()
            t = self.text
            p = self.pos
            if t.startswith(".*", p) or t.startswith("[*]", p):
                self.pos += 2 if t.startswith(".*", p) else 3
                e = Op("splat", (e,))
            elif t.startswith(".", p) and not t.startswith("...", p):
                self.pos += 1
                self.skip()
                m = _NUMBER.match(t, self.pos) or _IDENT.match(t, self.pos)
                if not m:
                    raise self.fail("expected an attribute name after '.'")
                self.pos = m.end()
                e = self._step(e, m.group())
            elif t.startswith("[", p):
                self.pos += 1
                idx = self.expression()
                self.expect("]")
                e = self._step(e, idx)
            else:
                return e

    @staticmethod
    def _step(e: Expr, step: str | Expr) -> Expr:
        if isinstance(e, Ref):
            return Ref(e.root, (*e.steps, step))
        return Op("index", (e, step if isinstance(step, Expr) else Lit(step)))

    def primary(self) -> Expr:
        self.skip()
        t = self.text
        p = self.pos
        if p >= self.n:
            raise self.fail("expected an expression, found end of file")
        c = t[p]
        if c == '"':
            return self.template_or_string()
        if c == "<" and t.startswith("<<", p):
            return self.heredoc()
        if c == "(":
            self.pos += 1
            e = self.expression()
            self.expect(")")
            return Op("()", (e,)) if not isinstance(e, (Lit, Ref, Call, Template)) else e
        if c == "[":
            return self.tuple_expr()
        if c == "{":
            return self.object_expr()
        m = _NUMBER.match(t, p)
        if m:
            self.pos = m.end()
            s = m.group()
            return Lit(float(s) if any(ch in s for ch in ".eE") else int(s))
        start = self.pos
        name = self.ident()
        if name is None:
            raise self.fail(f"expected an expression, found '{c}'")
        while t.startswith("::", self.pos):  # provider-defined functions: provider::ns::fn(...)
            self.pos += 2
            more = self.ident()
            if more is None:
                raise self.fail("expected a name after '::'")
            name += "::" + more
        if name in ("true", "false", "null"):
            return Lit(None if name == "null" else name == "true")
        if self.peek("("):
            return self.call(name, self.line(start))
        return Ref(name)

    def call(self, name: str, line: int) -> Expr:
        self.expect("(")
        args: list[Expr] = []
        expand = False
        while not self.accept(")"):
            args.append(self.expression())
            if self.accept("..."):
                expand = True
            if not self.accept(","):
                self.expect(")")
                break
        return Call(name, tuple(args), expand, line)

    def tuple_expr(self) -> Expr:
        self.expect("[")
        if self._keyword("for"):
            return self.for_expr("]")
        items: list[Expr] = []
        while not self.accept("]"):
            items.append(self.expression())
            if not self.accept(","):
                self.expect("]")
                break
        return TupleExpr(tuple(items))

    def object_expr(self) -> Expr:
        self.expect("{")
        if self._keyword("for"):
            return self.for_expr("}")
        items: list[tuple[Expr, Expr]] = []
        while not self.accept("}"):
            key = self.expression()
            if isinstance(key, Ref) and not key.steps:
                key = Lit(key.root)  # a bare identifier key is a string key
            if not (self.accept("=") or self.accept(":")):
                raise self.fail("expected '=' or ':' after an object key")
            items.append((key, self.expression()))
            self.accept(",")
        return ObjectExpr(tuple(items))

    def _keyword(self, word: str) -> bool:
        self.skip()
        m = _IDENT.match(self.text, self.pos)
        if m and m.group() == word:
            self.pos = m.end()
            return True
        return False

    def for_expr(self, closing: str) -> Expr:
        names = [self.ident()]
        if self.accept(","):
            names.append(self.ident())
        if None in names or not self._keyword("in"):
            raise self.fail("malformed for expression: expected 'for NAME in EXPR :'")
        parts = [self.expression()]
        self.expect(":")
        parts.append(self.expression())
        if self.accept("=>"):
            parts.append(self.expression())
            self.accept("...")
        if self._keyword("if"):
            parts.append(self.expression())
        self.expect(closing)
        return Op("for", tuple(parts))

    # -- templates ------------------------------------------------------------------------------------------

    def template_or_string(self) -> Expr:
        self.expect('"')
        parts = self.template_parts(quoted=True)
        return _simplify(parts)

    def heredoc(self) -> Expr:
        m = _HEREDOC.match(self.text, self.pos)
        if not m:
            raise self.fail("malformed heredoc: expected <<MARKER or <<-MARKER followed by a newline")
        indent, marker = m.group(1) == "-", m.group(2)
        end = re.compile(r"^[ \t]*" + re.escape(marker) + r"[ \t]*\r?$", re.M).search(self.text, m.end())
        if not end:
            raise self.fail(f"heredoc <<{marker} is never closed", m.start())
        body = self.text[m.end() : end.start()]
        if indent:
            body = _dedent(body)
        sub = _Parser(body, self.path)
        sub.line_offset = self.line(m.end()) - 1
        parts = sub.template_parts(quoted=False)
        self.pos = end.end()
        return _simplify(parts)

    def template_parts(self, quoted: bool) -> list[str | Expr]:
        parts: list[str | Expr] = []
        buf: list[str] = []
        t = self.text
        while True:
            m = _TEMPLATE_CHUNK.match(t, self.pos)
            if m:
                buf.append(m.group())
                self.pos = m.end()
            if self.pos >= self.n:
                if quoted:
                    raise self.fail("unterminated string")
                break
            c = t[self.pos]
            if c == '"':
                if quoted:
                    self.pos += 1
                    break
                buf.append(c)
                self.pos += 1
            elif c == "\n":
                if quoted:
                    raise self.fail("unterminated string: a quoted string cannot span lines")
                buf.append(c)
                self.pos += 1
            elif c == "\\" and quoted:
                self.pos += 1
                e = t[self.pos : self.pos + 1]
                if e == "u" or e == "U":
                    width = 4 if e == "u" else 8
                    hexs = t[self.pos + 1 : self.pos + 1 + width]
                    try:
                        buf.append(chr(int(hexs, 16)))
                    except ValueError:
                        raise self.fail("invalid unicode escape in string") from None
                    self.pos += 1 + width
                elif e in _ESCAPES:
                    buf.append(_ESCAPES[e])
                    self.pos += 1
                else:
                    raise self.fail(f"invalid escape sequence '\\{e}' in string")
            elif c == "\\":
                buf.append(c)
                self.pos += 1
            elif t.startswith("$${", self.pos) or t.startswith("%%{", self.pos):
                buf.append(c + "{")
                self.pos += 3
            elif t.startswith("${", self.pos) or t.startswith("%{", self.pos):
                if buf:
                    parts.append("".join(buf))
                    buf = []
                directive = c == "%"
                self.pos += 2
                self.accept("~")
                if directive:
                    parts.append(self.directive())
                else:
                    parts.append(self.expression())
                    self.accept("~")
                    self.expect("}")
            else:
                buf.append(c)
                self.pos += 1
        if buf:
            parts.append("".join(buf))
        return parts

    def directive(self) -> Expr:
        """`%{ if c }`, `%{ for x in y }`, `%{ else }`, `%{ endif }`, `%{ endfor }`: kept as an unknown part."""
        word = self.ident() or ""
        operands: list[Expr] = []
        if word == "if":
            operands.append(self.expression())
        elif word == "for":
            self.ident()
            if self.accept(","):
                self.ident()
            if not self._keyword("in"):
                raise self.fail("malformed %{for} directive")
            operands.append(self.expression())
        elif word not in ("else", "endif", "endfor"):
            raise self.fail(f"unknown template directive '%{{{word}'")
        self.accept("~")
        self.expect("}")
        return Op("%{" + word + "}", tuple(operands))


def _simplify(parts: list[str | Expr]) -> Expr:
    if not parts:
        return Lit("")
    if len(parts) == 1 and isinstance(parts[0], str):
        return Lit(parts[0])
    return Template(tuple(parts))


def _dedent(body: str) -> str:
    lines = body.split("\n")
    widths = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
    cut = min(widths, default=0)
    return "\n".join(ln[cut:] for ln in lines)


def parse(text: str, path: str) -> tuple[Attribute | Block, ...]:
    """The file's top-level body. Raises ParseError naming path and line."""
    if text.startswith("\ufeff"):
        text = text[1:]
    p = _Parser(text, path)
    try:
        return p.body(None)
    except RecursionError:
        raise p.fail("expression nested too deeply") from None


def parse_expression(text: str, path: str = "<expression>") -> Expr:
    p = _Parser(text, path)
    e = p.expression()
    p.skip()
    if p.pos != p.n:
        raise p.fail(f"unexpected text after the expression: '{text[p.pos : p.pos + 20]}'")
    return e


# ---------------------------------------------------------------------------------------------------------------
# From the AST to the facts.


def scan_strict(text: str, path: str) -> FileFacts:
    """The facts of one Terragrunt HCL file, parsing all of it: every syntax error is found."""
    return facts_of(parse(text, path))


_FACT_BLOCKS = frozenset({"include", "dependency", "dependencies", "terraform", "locals"})
_ITEM_START = re.compile(r"\n(?=[A-Za-z_])")  # (a leading "\n" lets sre search for it at C speed)
_FIRST_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# A read function called in a piece of text (a piece without one holds no Read), and a fact block opening
# (`NAME {`, `NAME "label"`, `NAME label`) inside a piece that begins with something else (only possible in oddly
# formatted files; `dependency.vpc.outputs`, `include.root.locals` and `locals = ...` are not). One regex per name,
# tried only where a substring search finds the name: an alternation would cost a regex step per character.
# (The name leads each regex, so that sre scans for it as a literal; the character before is checked apart.)
_READ_CALLS = {f: re.compile(f + r"[ \t]*\(") for f in sorted(READ_FUNCTIONS)}
_FACT_BLOCK_OPENINGS = {w: re.compile(w + r"(?![\w-])[ \t]*[{\"A-Za-z_]") for w in sorted(_FACT_BLOCKS)}
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:")
_HEREDOC_OPENER = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")
# What facts_of reads from each block whose body the fast path cuts in pieces (reads are found in any piece):
_BLOCK_ATTRIBUTES = {
    "include": frozenset({"path", "expose", "merge_strategy"}),
    "dependency": frozenset({"config_path"}),
    "dependencies": frozenset({"paths"}),
}
_LABEL = r'"[^"\\\n$%]*"|[A-Za-z_][A-Za-z0-9_-]*'
_BLOCK_HEADER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(?:[ \t]+(?:" + _LABEL + r"))*[ \t]*\{[ \t]*\n")
_BLOCK_CLOSE = re.compile(r"^\}[ \t]*\r?$", re.M)
_BODY_INDENT = re.compile(r"^([ \t]+)(?=[A-Za-z_])", re.M)


def scan(text: str, path: str) -> FileFacts:
    """The facts of one Terragrunt HCL file (terragrunt.hcl, root.hcl, account.hcl, _envcommon/*.hcl, ...).

    The fast path reads only what can hold facts. Formatted HCL starts every top-level item at column 0, so the
    file is cut there (never inside a heredoc's body); items that cannot hold a fact (not a fact block, no read
    function anywhere in their text, and balanced brackets) are not parsed, and in `include`, `dependency` and
    `dependencies` blocks only the attributes that matter are. Anything unusual (block comments, a heredoc opener
    after a comment or a quote, text before the first item, a piece that does not parse alone) falls back to
    `scan_strict`, which gives the same facts for any valid file.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    heredocs = _heredoc_bodies(text) if "<<" in text else []
    if heredocs is None or ("/*" in text and _may_open_comment(text, heredocs)):
        return scan_strict(text, path)
    starts = _item_starts(text, 0, len(text), _ITEM_START, heredocs)
    if text[:1].isascii() and (text[:1].isalpha() or text[:1] == "_"):
        starts.insert(0, 0)
    if not starts or not _is_blank(text[: starts[0]]):
        return scan_strict(text, path)
    facts: list[FileFacts] = []
    line = 1 + text.count("\n", 0, starts[0])
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        chunk = text[start:end]
        got = _chunk_facts(chunk, path, line, [(a - start, b - start) for a, b in heredocs] if heredocs else heredocs)
        if got is None:
            return scan_strict(text, path)
        facts.append(got)
        line += chunk.count("\n")
    return _merged(facts)


# Units are written from a handful of templates: the same include or dependency block, at the same line, recurs
# in thousands of files. Facts are immutable and hold no path, so one parse serves them all.
_FACTS: dict[tuple[str, int], FileFacts | None] = {}


def _chunk_facts(chunk: str, path: str, line: int, heredocs: list[tuple[int, int]]) -> FileFacts | None:
    """The facts of one top-level item (None: it does not parse alone). Items that cannot hold one cost a few
    substring searches; the others are parsed once per distinct text and line."""
    word = _FIRST_WORD.match(chunk)
    name = word.group() if word else ""
    if name not in _FACT_BLOCKS and not _may_read(chunk) and not _may_open_fact_block(chunk, len(name)):
        return _NO_FACTS if _balanced(chunk) else None
    key = (chunk, line)
    if key not in _FACTS:
        if name in _BLOCK_ATTRIBUTES:
            parsed = _parse_block(chunk, path, line, name, heredocs)
        else:
            parsed = _parse_chunk(chunk, path, line, remember=False)
        if len(_FACTS) >= _CHUNKS_MAX:
            _FACTS.clear()
        _FACTS[key] = None if parsed is None else facts_of(parsed)
    return _FACTS[key]


def _may_read(text: str) -> bool:
    if "(" not in text:
        return False
    return any(f in text and _found(rx, text, 0) for f, rx in _READ_CALLS.items())


def _may_open_fact_block(text: str, pos: int) -> bool:
    return any(w in text and _found(rx, text, pos) for w, rx in _FACT_BLOCK_OPENINGS.items())


def _found(rx: re.Pattern[str], text: str, pos: int) -> bool:
    """A match of `rx` from `pos` that does not continue a longer name (`profile(`, `x.file(`, `a::file(`)."""
    return any(m.start() == 0 or text[m.start() - 1] not in _NAME_CHARS for m in rx.finditer(text, pos))


def _heredoc_bodies(text: str) -> list[tuple[int, int]] | None:
    """(start, end) of every heredoc body, closing marker included, so that no cut falls inside one. None when an
    opener is not plainly in code (after a comment, a quote or a backslash on its line): the strict path decides."""
    out: list[tuple[int, int]] = []
    pos = 0
    while (m := _HEREDOC_OPENER.search(text, pos)) is not None:
        before = text[text.rfind("\n", 0, m.start()) + 1 : m.start()]
        if "#" in before or "//" in before or "\\" in before or before.count('"') % 2:
            return None
        marker = re.escape(m.group(2))
        end = re.compile(r"^[ \t]*" + marker + r"[ \t]*\r?$", re.M).search(text, m.end())
        if end is None:
            return None
        out.append((m.end(), end.end()))
        pos = end.end()
    return out


def _may_open_comment(text: str, heredocs: list[tuple[int, int]]) -> bool:
    """Whether a `/*` may open a block comment: one that is neither in a heredoc body nor plainly inside a
    quoted string (an odd number of quotes before it on its line, which a string cannot span) may."""
    pos = text.find("/*")
    while pos >= 0:
        if not any(a <= pos < b for a, b in heredocs):
            before = text[text.rfind("\n", 0, pos) + 1 : pos]
            if "\\" in before or before.count('"') % 2 == 0:
                return True
        pos = text.find("/*", pos + 2)
    return False


def _item_starts(text: str, lo: int, hi: int, pattern: re.Pattern[str], heredocs: list[tuple[int, int]]) -> list[int]:
    """Where `pattern` finds an item start between lo and hi, outside heredoc bodies."""
    if not heredocs:
        return [m.end() for m in pattern.finditer(text, lo, hi)]
    return [m.end() for m in pattern.finditer(text, lo, hi) if not any(a <= m.start() < b for a, b in heredocs)]


@functools.lru_cache(maxsize=64)
def _at_indent(indent: str) -> re.Pattern[str]:
    """Item starts in a block body indented by `indent`."""
    return re.compile("^" + re.escape(indent) + "(?=[A-Za-z_])", re.M)


def _parse_block(
    chunk: str, path: str, line: int, kind: str, heredocs: list[tuple[int, int]]
) -> tuple[Attribute | Block, ...] | None:
    """An `include`/`dependency`/`dependencies` block with only the attributes that facts_of reads (and any piece
    calling a read function) parsed: `mock_outputs` and the like are skipped. Parsed whole when not laid out as
    formatted HCL (header line, body indented, `}` alone at column 0, nothing after it but comments)."""
    header = _BLOCK_HEADER.match(chunk)
    close = _BLOCK_CLOSE.search(chunk, header.end()) if header else None
    if header is None or close is None or not _is_blank(chunk[close.end() :]):
        return _parse_chunk(chunk, path, line)
    indent = _BODY_INDENT.search(chunk, header.end(), close.start())
    if indent is None:
        starts: list[int] = []
    else:
        starts = _item_starts(chunk, header.end(), close.start(), _at_indent(indent.group(1)), heredocs)
    if not _is_blank(chunk[header.end() : starts[0] if starts else close.start()]):
        return _parse_chunk(chunk, path, line)
    shell = _parse_chunk(chunk[: header.end()] + "}", path, line)
    if not shell or not isinstance(shell[0], Block):
        return _parse_chunk(chunk, path, line)
    wanted = _BLOCK_ATTRIBUTES[kind]
    body: list[Attribute | Block] = []
    sub_line = line + chunk.count("\n", 0, starts[0]) if starts else line
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else close.start()
        piece = chunk[start:end]
        word = _FIRST_WORD.match(piece)
        if (word and word.group() in wanted) or _may_read(piece):
            parsed = _parse_chunk(piece, path, sub_line)
            if parsed is None:
                return _parse_chunk(chunk, path, line)
            body.extend(parsed)
        elif not _balanced(piece):
            return _parse_chunk(chunk, path, line)
        sub_line += piece.count("\n")
    b = shell[0]
    return (Block(b.type, b.labels, tuple(body), b.line),)


# The pieces of blocks (`config_path = "../vpc"`, a block's header) recur as often; whole items are remembered as
# facts (_FACTS), not as parsed items.
_CHUNKS: dict[tuple[str, int], tuple[Attribute | Block, ...] | None] = {}
_CHUNKS_MAX = 100_000


def _parse_chunk(chunk: str, path: str, line: int, remember: bool = True) -> tuple[Attribute | Block, ...] | None:
    key = (chunk, line)
    if key in _CHUNKS:
        return _CHUNKS[key]
    p = _Parser(chunk, path)
    p.line_offset = line - 1
    try:
        parsed: tuple[Attribute | Block, ...] | None = p.body(None)
    except (ParseError, RecursionError):
        parsed = None
    if remember:
        if len(_CHUNKS) >= _CHUNKS_MAX:
            _CHUNKS.clear()
        _CHUNKS[key] = parsed
    return parsed


def _is_blank(text: str) -> bool:
    m = _WS.match(text)
    return m is not None and m.end() == len(text)


def _balanced(chunk: str) -> bool:
    return (
        chunk.count("{") == chunk.count("}")
        and chunk.count("[") == chunk.count("]")
        and chunk.count("(") == chunk.count(")")
    )


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
            deps.append(Dependency(item.labels[0] if item.labels else "", attrs.get("config_path"), item.line))
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


_NO_FACTS = FileFacts()


def _merged(parts: list[FileFacts]) -> FileFacts:
    """The facts of consecutive pieces of one file, as facts_of gives them for the whole (the last source wins)."""
    parts = [p for p in parts if p is not _NO_FACTS]
    if len(parts) == 1:
        return parts[0]
    source = None
    for p in parts:
        source = p.source if p.source is not None else source
    return FileFacts(
        includes=tuple(x for p in parts for x in p.includes),
        dependencies=tuple(x for p in parts for x in p.dependencies),
        dependency_paths=tuple(x for p in parts for x in p.dependency_paths),
        source=source,
        locals=tuple(x for p in parts for x in p.locals),
        reads=tuple(x for p in parts for x in p.reads),
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
    return _simplify([rest, *arg.parts[1:]] if rest else list(arg.parts[1:]))


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
