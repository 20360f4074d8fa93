"""YAML that a pull request (accounts.yml) or an operator (pipelines.yml) wrote, checked before it is built: no
aliases (a 0.4 KB "billion laughs" document expands to gigabytes once anything walks it), at most MAX_DEPTH levels
of nesting (deep nesting overflows the recursive constructor), at most MAX_BYTES, and no key twice in one mapping
(YAML keeps the last silently: a second `max_runners_per_wave` or account would quietly win over the first). A
refusal is one ParseError naming the file and line; a document that passes builds exactly as it did before."""

from __future__ import annotations

import yaml

from gwpipelines.errors import ParseError

MAX_BYTES = 1_000_000
MAX_DEPTH = 32


def check(text: str, path: str, top_level: str = "key") -> None:
    """Refuse aliases, deep nesting, oversized documents and repeated keys (`top_level` names what the document's
    own keys are, e.g. "account"); YAML syntax errors are left to the caller's parser."""
    if len(text) > MAX_BYTES:
        raise ParseError(path, None, f"is {len(text):,} characters; at most {MAX_BYTES:,} are read")
    # One frame per open collection: None for a sequence, else the mapping's keys so far and whether a key is next.
    stack: list[_Mapping | None] = []
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.AliasEvent):
                raise ParseError(path, _line(event), "YAML aliases (*name) are not allowed: write the value out")
            if isinstance(event, yaml.NodeEvent) and stack and stack[-1] is not None:
                stack[-1].node(event, path)
            if isinstance(event, yaml.CollectionStartEvent):
                noun = top_level if not stack else "key"
                stack.append(_Mapping(noun) if isinstance(event, yaml.MappingStartEvent) else None)
                if len(stack) > MAX_DEPTH:
                    raise ParseError(path, _line(event), f"nested deeper than {MAX_DEPTH} levels")
            elif isinstance(event, yaml.CollectionEndEvent):
                stack.pop()
    except yaml.YAMLError:
        return  # a syntax error: the caller's parser reports it with its own message


class _Mapping:
    """A mapping being read: its nodes alternate key, value; a scalar key seen before is refused."""

    def __init__(self, noun: str) -> None:
        self.noun = noun
        self.keys: set[str] = set()
        self.key_next = True

    def node(self, event: yaml.NodeEvent, path: str) -> None:
        if self.key_next and isinstance(event, yaml.ScalarEvent):
            if event.value in self.keys:
                raise ParseError(path, _line(event), f"{self.noun} '{event.value}' is defined twice; keep one entry")
            self.keys.add(event.value)
        self.key_next = not self.key_next


def _line(event: yaml.Event) -> int | None:
    mark = event.start_mark
    return mark.line + 1 if mark is not None else None
