"""The reference path: the facts of a Terragrunt file as python-hcl2 reads it, in the fast scanner's types.

python-hcl2 (a full Lark grammar of HCL, about 6 ms a file) decides the structure: which top-level blocks and
attributes exist, their labels, and what each attribute holds. Its dict output keeps quotes on strings and renders
every other expression back as text in `${...}`; that text is turned into `gwpipelines.hcl` expressions with
`hcl.parse_expression`, so both paths can be compared with one canonical form (`str(expr)`).

What python-hcl2 cannot say: line numbers (its dict output has none), so every `line` here is 0, and
`normalise_lines` strips line numbers from warnings before orchestrate outputs are compared.
"""

from __future__ import annotations

import json
import re
from typing import Any

import hcl2
from hcl2 import SerializationOptions

from gwpipelines.errors import ParseError
from gwpipelines.orchestrator import hcl

OPTIONS = SerializationOptions(
    with_comments=False, explicit_blocks=True, preserve_heredocs=True, strip_string_quotes=False
)
_BLOCK = "__is_block__"


def scan(text: str, path: str) -> hcl.FileFacts:
    """A `hcl.scan`-compatible extractor built on python-hcl2: plug it into the orchestrator to compare."""
    try:
        doc = hcl2.loads(text, serialization_options=OPTIONS)
    except Exception as error:  # python-hcl2 raises Lark's exceptions, which vary by error
        raise ParseError(path, None, f"python-hcl2 cannot parse it: {str(error).splitlines()[0]}") from error
    blocks, attrs = _split(doc)
    includes: list[hcl.Include] = []
    deps: list[hcl.Dependency] = []
    dep_paths: list[hcl.Expr] = []
    source: hcl.Expr | None = None
    local_defs: list[tuple[str, hcl.Expr]] = []
    reads: list[hcl.Read] = []
    for value in attrs.values():
        reads += _reads(_expr(value))
    for btype, labels, body in blocks:
        own = {name: _expr(v) for name, v in _own_attributes(body)}
        for e in own.values():
            reads += _reads(e)
        for _, _, nested in _nested_blocks(body):
            reads += [r for _, v in _own_attributes(nested) for r in _reads(_expr(v))]
        if btype == "include":
            includes.append(
                hcl.Include(
                    name=labels[0] if labels else "",
                    path=own.get("path"),
                    expose=isinstance(own.get("expose"), hcl.Lit) and own["expose"] == hcl.Lit(True),
                    merge_strategy=_literal_str(own.get("merge_strategy"), "shallow"),
                    line=0,
                )
            )
        elif btype == "dependency":
            deps.append(hcl.Dependency(labels[0] if labels else "", own.get("config_path"), 0, own.get("enabled")))
        elif btype == "dependencies" and "paths" in own:
            paths = own["paths"]
            dep_paths += paths.items if isinstance(paths, hcl.TupleExpr) else [paths]
        elif btype == "terraform":
            source = own.get("source", source)
            for ntype, _, nested in _split(body)[0]:
                if ntype == "extra_arguments":
                    reads += _var_files({name: _expr(v) for name, v in _own_attributes(nested)})
        elif btype == "locals":
            local_defs += list(own.items())
    return hcl.FileFacts(
        includes=tuple(includes),
        dependencies=tuple(deps),
        dependency_paths=tuple(dep_paths),
        source=source,
        locals=tuple(local_defs),
        reads=tuple(reads),
    )


def comparable(facts: hcl.FileFacts) -> dict[str, Any]:
    """The facts in canonical text, without line numbers; reads as a sorted multiset (python-hcl2 groups
    top-level blocks by type, so document order across types is not known)."""
    return {
        "includes": [(i.name, _text(i.path), i.expose, i.merge_strategy) for i in facts.includes],
        "dependencies": [(d.name, _text(d.config_path)) for d in facts.dependencies],
        "dependency_paths": [str(e) for e in facts.dependency_paths],
        "source": _text(facts.source),
        "locals": [(n, str(e)) for n, e in facts.locals],
        "reads": sorted((r.function, tuple(map(str, r.args))) for r in facts.reads),
    }


_LINE = re.compile(r"(\.hcl|\.tf|\.json|\.ya?ml):\d+:")


def normalise_lines(orchestration_json: dict[str, Any]) -> dict[str, Any]:
    """An orchestrate JSON with `file:LINE:` in warnings made `file:` (the reference knows no lines)."""
    out = dict(orchestration_json)
    out["warnings"] = sorted(_LINE.sub(r"\1:", w) for w in orchestration_json.get("warnings", []))
    return out


# ---------------------------------------------------------------------------------------------------------------
# python-hcl2's dict shape: a body maps a name to an attribute value, or to a list of blocks marked `__is_block__`;
# a labelled block nests one dict level per label (`{"\"root\"": {...body...}}`).


def _is_block_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_holds_block(v) for v in value)


def _holds_block(value: Any) -> bool:
    if not isinstance(value, dict):
        return False
    if value.get(_BLOCK) is True:
        return True
    return len(value) == 1 and _holds_block(next(iter(value.values())))


def _unlabel(entry: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    labels: list[str] = []
    while entry.get(_BLOCK) is not True:
        ((label, entry),) = entry.items()
        labels.append(json.loads(label) if label.startswith('"') else label)
    return labels, entry


def _split(body: dict[str, Any]) -> tuple[list[tuple[str, list[str], dict[str, Any]]], dict[str, Any]]:
    blocks: list[tuple[str, list[str], dict[str, Any]]] = []
    attrs: dict[str, Any] = {}
    for name, value in body.items():
        if name == _BLOCK:
            continue
        if _is_block_list(value):
            for entry in value:
                labels, inner = _unlabel(entry)
                blocks.append((name, labels, inner))
        else:
            attrs[name] = value
    return blocks, attrs


def _own_attributes(body: dict[str, Any]) -> list[tuple[str, Any]]:
    return list(_split(body)[1].items())


def _nested_blocks(body: dict[str, Any]) -> list[tuple[str, list[str], dict[str, Any]]]:
    """Every block inside `body`, at any depth."""
    out = []
    for block in _split(body)[0]:
        out.append(block)
        out += _nested_blocks(block[2])
    return out


# ---------------------------------------------------------------------------------------------------------------
# python-hcl2 values back to HCL source, then to the fast scanner's expressions.


def _expr(value: Any) -> hcl.Expr:
    return hcl.parse_expression(_source(value))


def _source(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_source(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_source(v)}" for k, v in value.items() if k != _BLOCK) + "}"
    if not isinstance(value, str):
        raise TypeError(f"unexpected python-hcl2 value {value!r}")
    if value.startswith('"<<') and value.endswith('"'):  # a heredoc kept as written
        return value[1:-1] + "\n"
    if _whole_interpolation(value):  # a bare expression, rendered as `${...}`
        return value[2:-1]
    return value  # a quoted string or template, quotes included


def _key(key: str) -> str:
    return key[2:-1] if _whole_interpolation(key) else key


def _whole_interpolation(s: str) -> bool:
    """`${...}` whose opening brace closes at the very end (not `${a}-${b}`)."""
    if not (s.startswith("${") and s.endswith("}")):
        return False
    depth, quoted, i = 0, False, 1
    while i < len(s):
        c = s[i]
        if quoted:
            if c == "\\":
                i += 1
            elif c == '"':
                quoted = False
        elif c == '"':
            quoted = True
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i == len(s) - 1
        i += 1
    return False


def _reads(expr: hcl.Expr) -> list[hcl.Read]:
    return [
        hcl.Read(e.name, e.args, 0)
        for e in hcl.walk(expr)
        if isinstance(e, hcl.Call) and e.name in hcl.READ_FUNCTIONS and e.args
    ]


def _var_files(attrs: dict[str, hcl.Expr]) -> list[hcl.Read]:
    """An extra_arguments block's var files, written out independently of hcl.var_file_reads."""
    out = [hcl.Read(name, (attrs[name],), 0) for name in ("required_var_files", "optional_var_files") if name in attrs]
    arguments = attrs.get("arguments")
    items = list(arguments.items) if isinstance(arguments, hcl.TupleExpr) else []
    for arg, following in zip(items, [*items[1:], None], strict=True):
        text = str(arg)  # canonical HCL: a literal or template is '"-var-file=..."'
        if text.startswith('"-var-file='):
            out.append(hcl.Read("-var-file", (hcl.parse_expression('"' + text[len('"-var-file=') :]),), 0))
        elif text == '"-var-file"' and following is not None:
            out.append(hcl.Read("-var-file", (following,), 0))
    return out


def _literal_str(e: hcl.Expr | None, default: str) -> str:
    return e.value if isinstance(e, hcl.Lit) and isinstance(e.value, str) else default


def _text(e: hcl.Expr | None) -> str | None:
    return None if e is None else str(e)
