"""YAML that a pull request (accounts.yml) or an operator (pipelines.yml) wrote, checked before it is built: no
aliases (a 0.4 KB "billion laughs" document expands to gigabytes once anything walks it), at most MAX_DEPTH levels
of nesting (deep nesting overflows the recursive constructor) and at most MAX_BYTES. A refusal is one ParseError
naming the file and line; a document that passes builds exactly as it did before."""

from __future__ import annotations

import yaml

from gwpipelines.errors import ParseError

MAX_BYTES = 1_000_000
MAX_DEPTH = 32


def check(text: str, path: str) -> None:
    """Refuse aliases, deep nesting and oversized documents; YAML syntax errors are left to the caller's parser."""
    if len(text) > MAX_BYTES:
        raise ParseError(path, None, f"is {len(text):,} characters; at most {MAX_BYTES:,} are read")
    depth = 0
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.AliasEvent):
                raise ParseError(path, _line(event), "YAML aliases (*name) are not allowed: write the value out")
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise ParseError(path, _line(event), f"nested deeper than {MAX_DEPTH} levels")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # a syntax error: the caller's parser reports it with its own message


def _line(event: yaml.Event) -> int | None:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else None
