"""The full syntax check, for less than a full parse: `check(text, path)` raises exactly the ParseError `parse`
raises (it is `parse` that raises it), and returns quietly for a file `parse` accepts.

`parse` is recursive descent with no state between the items of a body, so a file is valid when each of its
pieces is, parsed alone: the top-level items (cut at column 0, as the fast scanner cuts, never inside a heredoc;
a file with a block comment is parsed whole) and, in a formatted block or object (`name {`, `name = {`, with `}`
alone at column 0), the items at its body's indentation. A piece's validity depends on its text only, so each
distinct piece is checked once per process: units are written from a few templates, and most of their lines recur.
A one-line attribute of literals (`size = 3`, `cidrs = ["10.0.0.0/24"]`, `flags = { a = true }`) is matched by one
regex instead of parsed. Anything else, and any piece that does not parse alone, sends the whole file to `parse`,
whose answer (or error) is then the check's.
"""

from __future__ import annotations

import functools
import re

from gwpipelines.errors import ParseError
from gwpipelines.orchestrator.hcl.ast import Attribute, Block
from gwpipelines.orchestrator.hcl.facts import FileFacts, facts_of
from gwpipelines.orchestrator.hcl.parser import Parser, parse
from gwpipelines.orchestrator.hcl.scanner import (
    _BLOCK_CLOSE,
    _BLOCK_HEADER,
    _ITEM_START,
    _heredoc_bodies,
    _is_blank,
    _item_starts,
    _may_open_comment,
    scan,
)

# Literals the parser reads the same in any context: numbers (a sign is a unary minus), true/false/null, quoted
# strings without escapes or templates; flat lists of them, flat objects of `name = literal`. The comment at the
# end is `#` or `//` (a `/*` never reaches here: such a file is parsed whole); blank and comment lines may
# follow, and the next item's indentation (a piece runs to where the next one's name starts).
_NAME = r"(?!for\b)[A-Za-z_][A-Za-z0-9_-]*"  # `for` right after `[` or `{` opens a for expression
_QUOTED = r'"[^"\\$%\n]*"'
_SCALAR = rf"(?:-?[0-9]+(?:\.[0-9]+)?|true|false|null|{_QUOTED})(?![A-Za-z0-9_.-])"
_LIST = rf"\[[ \t]*(?:{_SCALAR}(?:[ \t]*,[ \t]*{_SCALAR})*[ \t]*,?)?[ \t]*\]"
_PAIR = rf"{_NAME}[ \t]*=[ \t]*{_SCALAR}"
_OBJECT = rf"\{{[ \t]*(?:{_PAIR}(?:[ \t]*,[ \t]*{_PAIR})*[ \t]*,?)?[ \t]*\}}"
_VALUE = rf"(?:{_SCALAR}|{_LIST}|{_OBJECT})"
_END = r"[ \t]*(?:(?:#|//)[^\n]*)?(?:\r?\n[ \t]*(?:(?:#|//)[^\n]*)?)*"
# Compiled by the first check, not at import (a run that finds its analysis cached checks nothing): see _compile.
_LINES: dict[bool, re.Pattern[str]] = {}
_OBJECT_OPENINGS: dict[bool, re.Pattern[str]] = {}
_BODY_INDENTS: dict[bool, re.Pattern[str]] = {}
_FIRST_NAME = re.compile(r"[ \t]*([A-Za-z_][A-Za-z0-9_-]*)")
_ITEM_FIRST = {False: "(?=[A-Za-z_])", True: '(?=[A-Za-z_"])'}  # how an item starts, in a body or an object

_VALID: set[tuple[bool, str]] = set()  # (inside an object, piece) known to be valid there
_VALID_MAX = 200_000


def _compile() -> None:
    """One line of literals: as a body's attribute (`name = value`), or as an object's item (the key may be quoted,
    and a comma may follow); `name = {` (or, as an object's item, `"key" = {`) ending its line, an object whose
    items are checked one by one; where a body's items start."""
    _LINES[False] = re.compile(rf"{_NAME}[ \t]*=[ \t]*{_VALUE}{_END}")
    _LINES[True] = re.compile(rf"(?:{_NAME}|{_QUOTED})[ \t]*=[ \t]*{_VALUE}[ \t]*,?{_END}")
    _OBJECT_OPENINGS[False] = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*[ \t]*=[ \t]*\{[ \t]*\n")
    _OBJECT_OPENINGS[True] = re.compile(rf"(?:[A-Za-z_][A-Za-z0-9_-]*|{_QUOTED})[ \t]*=[ \t]*\{{[ \t]*\n")
    _BODY_INDENTS.update({flag: re.compile(r"^([ \t]+)" + first, re.M) for flag, first in _ITEM_FIRST.items()})


def check(text: str, path: str) -> tuple[Attribute | Block, ...] | None:
    """Raise `parse`'s ParseError for an invalid file. None when the pieces showed it valid; else the body
    `parse` gave (the caller may use it rather than scan the file again)."""
    if not _LINES:
        _compile()
    if text.startswith("\ufeff"):
        text = text[1:]
    if not _pieces_valid(text):
        return parse(text, path)
    return None


def _pieces_valid(text: str) -> bool:
    heredocs = _heredoc_bodies(text) if "<<" in text else []
    if heredocs is None or ("/*" in text and _may_open_comment(text, heredocs)):
        return False
    starts = _item_starts(text, 0, len(text), _ITEM_START, heredocs)
    if text[:1].isascii() and (text[:1].isalpha() or text[:1] == "_"):
        starts.insert(0, 0)
    if not starts or not _is_blank(text[: starts[0]]):
        return False
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        if not _item_valid(text[start:end], _within(heredocs, start, end)):
            return False
    return True


def _within(heredocs: list[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """The heredoc bodies inside text[start:end], as offsets into it."""
    return [(a - start, b - start) for a, b in heredocs if start <= a < end] if heredocs else heredocs


def _item_valid(chunk: str, heredocs: list[tuple[int, int]]) -> bool:
    """A top-level item: known, a literal line, a formatted block or object whose items are valid, or parsed."""
    if (False, chunk) in _VALID or _LINES[False].fullmatch(chunk):
        return True
    header = _BLOCK_HEADER.match(chunk)
    in_object = header is None
    if header is None:
        header = _OBJECT_OPENINGS[False].match(chunk)
    if header is not None and _body_valid(chunk, header.end(), in_object, heredocs, _BLOCK_CLOSE):
        return True
    return _alone_valid(chunk, in_object=False)


def _body_valid(
    chunk: str, body_start: int, in_object: bool, heredocs: list[tuple[int, int]], close_rx: re.Pattern[str]
) -> bool:
    """The items of a formatted block's (or object's) body, each valid alone: False when it is not laid out so
    (its closing `}` alone on the last line, at the indentation `close_rx` matches)."""
    close = close_rx.search(chunk, body_start)
    if close is None or not _is_blank(chunk[close.end() :]):
        return False
    indent = _BODY_INDENTS[in_object].search(chunk, body_start, close.start())
    if indent is None:
        return _is_blank(chunk[body_start : close.start()])
    at = _at_indent_starting(indent.group(1), in_object)
    starts = _item_starts(chunk, body_start, close.start(), at, heredocs)
    if not starts or not _is_blank(chunk[body_start : starts[0]]):
        return False
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else close.start()
        piece = chunk[start:end]
        if (in_object, piece) in _VALID or _LINES[in_object].fullmatch(piece):
            continue
        opening = _OBJECT_OPENINGS[in_object].match(piece)
        inner = _within(heredocs, start, end)
        if opening is not None and _body_valid(piece, opening.end(), True, inner, _closing(indent.group(1))):
            _remember(in_object, piece)
        elif not _alone_valid(piece, in_object):
            return False
    return True


@functools.lru_cache(maxsize=64)
def _at_indent_starting(indent: str, in_object: bool) -> re.Pattern[str]:
    """Item starts in a body (or an object) indented by `indent`."""
    return re.compile("^" + re.escape(indent) + _ITEM_FIRST[in_object], re.M)


@functools.lru_cache(maxsize=64)
def _closing(indent: str) -> re.Pattern[str]:
    """The `}` alone on its line, at `indent`, that closes an object opened by an item at that indentation."""
    return re.compile("^" + re.escape(indent) + r"\}[ \t]*\r?$", re.M)


def _alone_valid(piece: str, in_object: bool) -> bool:
    """Whether `piece` parses on its own: as a body, or as an object's items (between `{` and `}`; not starting
    with `for`, which right after `{` opens a for expression)."""
    try:
        if in_object:
            first = _FIRST_NAME.match(piece)
            if first is not None and first.group(1) == "for":
                return False
            p = Parser("{" + piece + "}", "<piece>")
            p.object_expr()
            p.skip()
            if p.pos != p.n:
                return False
        else:
            Parser(piece, "<piece>").body(None)
    except (ParseError, RecursionError):
        return False
    _remember(in_object, piece)
    return True


def _remember(in_object: bool, piece: str) -> None:
    if len(_VALID) >= _VALID_MAX:
        _VALID.clear()
    _VALID.add((in_object, piece))


def scan_checked(text: str, path: str) -> FileFacts:
    """`scan_strict`'s answer (the facts, or the first syntax error) through `check` and the fast scanner: the
    facts of a valid file are the same from either (see `scanner.scan`)."""
    body = check(text, path)
    return facts_of(body) if body is not None else scan(text, path)
