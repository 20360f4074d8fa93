"""The comment's sections, joined into one body or packed into several when one body would pass the budget."""

from __future__ import annotations

from dataclasses import replace

from gwpipelines.dispatcher.comment.view import View
from gwpipelines.templating import macro

LIMIT = 65_536
# Room left for part headers and notes added after a body was measured.
BUDGET = LIMIT - 1_024
ROWS_PER_TABLE = 250


def render_body(view: View) -> str:
    """One body: the header, then every section."""
    header = str(macro("comment_parts.md.j2", "header")(view))
    return header + "\n" + "\n\n".join(sections(view, max(1, len(view.rows)))) + "\n"


def sections(view: View, rows_per_table: int) -> list[str]:
    """The comment's sections in order (summary, table chunks, mermaid, each unit's output, notes), blank ones
    dropped; one body joins them all, a split packs them."""
    parts = "comment_parts.md.j2"
    table = macro(parts, "table")
    sections = [macro(parts, "summary")(view)]
    sections += [table(view.rows[i : i + rows_per_table]) for i in range(0, max(1, len(view.rows)), rows_per_table)]
    sections.append(macro(parts, "mermaid")(view.nodes, view.edges))
    sections += [macro(parts, "details")(d) for d in view.details]
    sections.append(macro(parts, "notes")(view.warnings, view.ignored))
    return [t for t in (str(s).strip("\n") for s in sections) if t]


def split(view: View, max_comments: int) -> list[str]:
    """Greedy packing of whole sections (header, table chunks, mermaid, each unit's output, notes)."""
    part = macro("comment_parts.md.j2", "header")
    bodies: list[list[str]] = [[]]
    size = 0
    for section in sections(view, ROWS_PER_TABLE):
        if len(section) > BUDGET // 2:  # only the mermaid graph of thousands of jobs gets here
            section = f"_(the job graph of {len(view.nodes)} jobs is too large to show)_"
        if bodies[-1] and size + len(section) + 2 > BUDGET:
            bodies.append([])
            size = 0
        bodies[-1].append(section)
        size += len(section) + 2
    omitted = len(bodies) > max_comments
    bodies = bodies[:max_comments]
    texts = []
    for i, sections_of_body in enumerate(bodies):
        head = str(part(replace(view, part=f"{i + 1}/{len(bodies)}" if len(bodies) > 1 else "")))
        texts.append(head + "\n\n".join(sections_of_body) + "\n")
    if omitted:
        texts[-1] += "\n_(further output omitted; see the workflow runs)_\n"
    return texts
