"""GitHub Actions `${{ }}` expressions, evaluated the way the runner does, for the tests that execute our workflows.

The subset our workflows use: contexts (github, inputs, secrets, steps, needs, matrix, env), literals, `!`, `==`,
`!=`, `&&`, `||` (which return operands, not booleans), parentheses, property and index access, and the functions
format, fromJSON, toJSON, contains, startsWith, endsWith, hashFiles and the status functions. Anything else raises,
so a workflow that starts using more fails loudly here instead of being evaluated wrongly.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|(?P<str>'(?:[^']|'')*')|(?P<op>\|\||&&|==|!=|<=|>=|[!()\[\].,<>])"
    r"|(?P<id>[A-Za-z_][A-Za-z0-9_-]*))"
)
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise ValueError(f"cannot read expression at {text[pos:]!r}")
        kind = m.lastgroup
        assert kind is not None
        out.append((kind, m.group(kind)))
        pos = m.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def truthy(value: Any) -> bool:
    return value not in (None, False, 0, "", 0.0)


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if type(a) is not type(b) and {type(a), type(b)} <= {int, float, bool, str, type(None)}:
        return _number(a) == _number(b)
    return bool(a == b)


def _number(value: Any) -> float:
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def to_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=2)
    return str(value)


class Evaluator:
    def __init__(self, contexts: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]] | None = None):
        self.contexts = contexts
        self.functions: dict[str, Callable[..., Any]] = {
            "format": lambda f, *a: re.sub(r"\{(\d+)\}", lambda m: to_string(a[int(m[1])]), f),
            "fromjson": lambda s: json.loads(s),
            "tojson": lambda v: json.dumps(v, indent=2),
            "contains": lambda h, n: (
                any(_equal(x, n) for x in h) if isinstance(h, list) else to_string(n).lower() in to_string(h).lower()
            ),
            "startswith": lambda s, p: to_string(s).lower().startswith(to_string(p).lower()),
            "endswith": lambda s, p: to_string(s).lower().endswith(to_string(p).lower()),
        }
        self.functions.update({k.lower(): v for k, v in (functions or {}).items()})

    def evaluate(self, text: str) -> Any:
        self._toks, self._i = _tokens(text), 0
        value = self._or()
        if self._i != len(self._toks):
            raise ValueError(f"unexpected {self._toks[self._i][1]!r} in {text!r}")
        return value

    def _peek(self) -> str | None:
        return self._toks[self._i][1] if self._i < len(self._toks) else None

    def _take(self, expected: str | None = None) -> tuple[str, str]:
        tok = self._toks[self._i]
        if expected is not None and tok[1] != expected:
            raise ValueError(f"expected {expected!r}, got {tok[1]!r}")
        self._i += 1
        return tok

    def _or(self) -> Any:
        value = self._and()
        while self._peek() == "||":
            self._take()
            right = self._and()
            value = value if truthy(value) else right
        return value

    def _and(self) -> Any:
        value = self._eq()
        while self._peek() == "&&":
            self._take()
            right = self._eq()
            value = right if truthy(value) else value
        return value

    def _eq(self) -> Any:
        value = self._unary()
        while self._peek() in ("==", "!="):
            op = self._take()[1]
            right = self._unary()
            value = _equal(value, right) if op == "==" else not _equal(value, right)
        return value

    def _unary(self) -> Any:
        if self._peek() == "!":
            self._take()
            return not truthy(self._unary())
        return self._postfix()

    def _postfix(self) -> Any:
        value = self._primary()
        while self._peek() in (".", "["):
            if self._take()[1] == ".":
                value = _member(value, self._take()[1])
            else:
                key = self._or()
                self._take("]")
                value = _member(value, key)
        return value

    def _primary(self) -> Any:
        kind, tok = self._take()
        if kind == "num":
            return float(tok) if "." in tok else int(tok)
        if kind == "str":
            return tok[1:-1].replace("''", "'")
        if tok == "(":
            value = self._or()
            self._take(")")
            return value
        if kind != "id":
            raise ValueError(f"unexpected {tok!r}")
        if tok in ("true", "false"):
            return tok == "true"
        if tok == "null":
            return None
        if self._peek() == "(":
            self._take()
            args = []
            while self._peek() != ")":
                args.append(self._or())
                if self._peek() == ",":
                    self._take()
            self._take(")")
            if tok.lower() not in self.functions:
                raise ValueError(f"function {tok}() is not supported here")
            return self.functions[tok.lower()](*args)
        if tok not in self.contexts:
            raise ValueError(f"unknown context {tok!r}")
        return self.contexts[tok]


def _member(value: Any, key: Any) -> Any:
    if isinstance(value, Mapping):
        if key in value:
            return value[key]
        lowered = {str(k).lower(): v for k, v in value.items()}
        return lowered.get(str(key).lower())
    if isinstance(value, list) and isinstance(key, (int, float)) and 0 <= int(key) < len(value):
        return value[int(key)]
    return None


def interpolate(value: Any, evaluator: Evaluator) -> Any:
    """A YAML value with `${{ }}` in it: a lone expression keeps its type (a matrix list, a number); an expression
    inside a longer string is converted to text, as the runner does."""
    if isinstance(value, str):
        whole = EXPRESSION.fullmatch(value.strip())
        if whole:
            return evaluator.evaluate(whole[1])
        return EXPRESSION.sub(lambda m: to_string(evaluator.evaluate(m[1])), value)
    if isinstance(value, list):
        return [interpolate(v, evaluator) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v, evaluator) for k, v in value.items()}
    return value


def condition(text: Any, evaluator: Evaluator) -> bool:
    """A step or job `if:`, with or without `${{ }}`."""
    if isinstance(text, bool):
        return text
    text = str(text).strip()
    whole = EXPRESSION.fullmatch(text)
    return truthy(evaluator.evaluate(whole[1] if whole else text))
