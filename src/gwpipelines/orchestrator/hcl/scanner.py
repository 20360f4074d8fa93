"""The fast facts scanner: the facts of a file (`facts.FileFacts`) from only the pieces of it that can hold one,
with the full parse (`scan_strict`) as its fallback and its reference."""

from __future__ import annotations

import functools
import re

from gwpipelines.errors import ParseError
from gwpipelines.orchestrator.hcl.ast import Attribute, Block
from gwpipelines.orchestrator.hcl.facts import READ_FUNCTIONS, FileFacts, facts_of
from gwpipelines.orchestrator.hcl.parser import WS, Parser, parse


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
# (Compiled by the first scan, not at import: a run that finds its analysis cached scans nothing.)
_READ_CALLS: dict[str, re.Pattern[str]] = {}
_FACT_BLOCK_OPENINGS: dict[str, re.Pattern[str]] = {}


def _compile() -> None:
    _READ_CALLS.update({f: re.compile(f + r"[ \t]*\(") for f in sorted(READ_FUNCTIONS)})
    _FACT_BLOCK_OPENINGS.update({w: re.compile(w + r"(?![\w-])[ \t]*[{\"A-Za-z_]") for w in sorted(_FACT_BLOCKS)})


_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:")
_HEREDOC_OPENER = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n")
# What facts_of reads from each block whose body the fast path cuts in pieces (reads are found in any piece):
_BLOCK_ATTRIBUTES = {
    "include": frozenset({"path", "expose", "merge_strategy"}),
    "dependency": frozenset({"config_path", "enabled"}),
    "dependencies": frozenset({"paths"}),
}
_LATER_ATTRIBUTE = {
    kind: re.compile(r"(?<![\w.-])(?:" + "|".join(sorted(names)) + r")[ \t]*=")
    for kind, names in _BLOCK_ATTRIBUTES.items()
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
    if not _READ_CALLS:
        _compile()
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
        # (An attribute facts_of reads may also hide inside a piece: on a line indented unlike the body's first
        # item, or after another attribute on the same line.)
        if (word and word.group() in wanted) or _may_read(piece) or _LATER_ATTRIBUTE[kind].search(piece):
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
    p = Parser(chunk, path)
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
    m = WS.match(text)
    return m is not None and m.end() == len(text)


def _balanced(chunk: str) -> bool:
    return (
        chunk.count("{") == chunk.count("}")
        and chunk.count("[") == chunk.count("]")
        and chunk.count("(") == chunk.count(")")
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
