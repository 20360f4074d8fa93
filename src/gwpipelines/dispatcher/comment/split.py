"""The comment's sections, joined into one body or packed into several when one body would pass the budget.

A split never loses a table row: when the bodies would pass `max_comments`, the per-unit output goes first (it is in
the run logs), then each row's log link (one link per run is listed instead); the rows themselves are always kept,
in more bodies if need be, because a reviewer must see every unit a change touches.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gwpipelines.dispatcher.comment.view import Row, View
from gwpipelines.templating import macro

LIMIT = 65_536
# Room left for part headers and notes added after a body was measured.
BUDGET = LIMIT - 1_024
# A table chunk stays well under one body, so chunks pack tightly and a chunk always fits a body of its own.
_TABLE_CHUNK = BUDGET // 8
_PARTS = "comment_parts.md.j2"


def render_body(view: View) -> str:
    """One body: the header, then every section."""
    return _header(view) + "\n\n".join(sections(view)) + "\n"


def sections(view: View, *, chunk: int | None = None, compact_rows: bool = False) -> list[str]:
    """The comment's sections in order, blank ones dropped: overview, warnings, destroys, the table (in chunks of at
    most `chunk` characters when splitting), the graph, each unit's output, ignored files, what next."""
    m = _macro
    out = [m("overview")(view), m("warnings")(view.warnings), m("dangers")(view.dangers)]
    out += [m("table")(rows, compact_rows) for rows in _chunks(view.rows, chunk, compact_rows)]
    if compact_rows:
        out.append(m("run_links")(list(dict.fromkeys(r.link for r in view.rows if r.link))))
    out.append(m("mermaid")(view.nodes, view.edges))
    if view.untrusted and view.details:
        out.append(m("untrusted")())
    out += [m("details")(d) for d in view.details]
    out += [m("ignored")(view.ignored), m("footer")(view)]
    return [t for t in (str(s).strip("\n") for s in out) if t]


def split(view: View, max_comments: int) -> list[str]:
    """Bodies under the budget, at most `max_comments` unless the rows alone need more."""
    bodies = _pack(view, sections(view, chunk=_TABLE_CHUNK))
    if len(bodies) > max_comments and view.details:
        dropped = len(view.details)
        view = replace(view, details=(), untrusted=False, warnings=(*view.warnings, _omitted(dropped)))
        bodies = _pack(view, sections(view, chunk=_TABLE_CHUNK))
    if len(bodies) > max_comments:
        bodies = _pack(view, sections(view, chunk=_TABLE_CHUNK, compact_rows=True))
    return bodies


def _omitted(n: int) -> str:
    return f"The output of {n} unit(s) is left out of this comment to keep every row; it is in the run logs."


def _pack(view: View, parts: list[str]) -> list[str]:
    """Greedy packing of whole sections into bodies under the budget."""
    packed: list[list[str]] = [[]]
    size = 0
    for section in parts:
        if len(section) > BUDGET:  # a last resort (thousands of warnings): what is cut is in the run logs
            section = section[: BUDGET - 100] + "\n\n_(cut to fit GitHub's comment limit)_"
        if packed[-1] and size + len(section) + 2 > BUDGET:
            packed.append([])
            size = 0
        packed[-1].append(section)
        size += len(section) + 2
    texts = []
    for i, body in enumerate(packed):
        head = _header(replace(view, part=f"{i + 1}/{len(packed)}" if len(packed) > 1 else ""))
        texts.append(head + "\n\n".join(body) + "\n")
    return texts


def _chunks(rows: tuple[Row, ...], chunk: int | None, compact: bool) -> list[tuple[Row, ...]]:
    if not rows or chunk is None:
        return [rows]
    table = _macro("table")
    out: list[tuple[Row, ...]] = []
    start, size = 0, 0
    for i, row in enumerate(rows):
        length = len(str(table((row,), compact)).splitlines()[-1]) + 1
        if size + length > chunk and i > start:
            out.append(rows[start:i])
            start, size = i, 0
        size += length
    out.append(rows[start:])
    return out


def _header(view: View) -> str:
    return str(_macro("header")(view)).rstrip("\n") + "\n\n"


def _macro(name: str) -> Any:
    return macro(_PARTS, name)
