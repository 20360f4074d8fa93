"""The parser: recursive descent straight over the text, one compiled regex per token class. A syntax error
raises `ParseError` with the file and line."""

from __future__ import annotations

import re

from gwpipelines.errors import ParseError
from gwpipelines.orchestrator.hcl.ast import (
    BINARY_LEVELS,
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
    simplify,
)

_WS_START = frozenset(" \t\r\n#/")
WS = re.compile(r"(?:[ \t\r\n]+|#[^\n]*|//[^\n]*|/\*.*?\*/)*", re.S)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_HEREDOC = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")
_TEMPLATE_CHUNK = re.compile(r'[^"\\$%\n]+')
_OPS2 = ("==", "!=", "<=", ">=", "&&", "||", "=>")
_PRECEDENCE = {op: i + 1 for i, level in enumerate(BINARY_LEVELS) for op in level}
# Longest first; '<' is not a heredoc, '*' and '/' do not start or end a comment.
_BINOP = re.compile(r"\|\||&&|==|!=|<=|>=|<(?!<)|>|\+|-|\*(?!/)|/(?![/*])|%")
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}


class Parser:
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
        m = WS.match(self.text, p)
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
        # The kind names the variables and the form, so that the expression can be evaluated: "for k,v => if {}".
        kind = "for " + ",".join(n for n in names if n)
        if self.accept("=>"):
            parts.append(self.expression())
            kind += " =>" + (" ..." if self.accept("...") else "")
        if self._keyword("if"):
            parts.append(self.expression())
            kind += " if"
        self.expect(closing)
        return Op(kind + (" []" if closing == "]" else " {}"), tuple(parts))

    # -- templates ------------------------------------------------------------------------------------------

    def template_or_string(self) -> Expr:
        self.expect('"')
        parts = self.template_parts(quoted=True)
        return simplify(parts)

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
        sub = Parser(body, self.path)
        sub.line_offset = self.line(m.end()) - 1
        parts = sub.template_parts(quoted=False)
        self.pos = end.end()
        return simplify(parts)

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


def _dedent(body: str) -> str:
    lines = body.split("\n")
    widths = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
    cut = min(widths, default=0)
    return "\n".join(ln[cut:] for ln in lines)


def parse(text: str, path: str) -> tuple[Attribute | Block, ...]:
    """The file's top-level body. Raises ParseError naming path and line."""
    if text.startswith("\ufeff"):
        text = text[1:]
    p = Parser(text, path)
    try:
        return p.body(None)
    except RecursionError:
        raise p.fail("expression nested too deeply") from None


def parse_expression(text: str, path: str = "<expression>") -> Expr:
    p = Parser(text, path)
    e = p.expression()
    p.skip()
    if p.pos != p.n:
        raise p.fail(f"unexpected text after the expression: '{text[p.pos : p.pos + 20]}'")
    return e
