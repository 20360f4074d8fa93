"""The sticky comment's rendering: rows, links, the budget, and hostile input through GitHub-flavoured markdown."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from gwpipelines.dispatcher.comment import LIMIT, MARKER, render_comment
from gwpipelines.models import Action, ChangeType, Event, Job, Orchestration
from gwpipelines.models.results import JobResult, PlanSummary, Status


def _orch(n: int) -> Orchestration:
    jobs = tuple(
        Job(
            id=f"j{i}",
            unit=f"acct/dev/unit{i}",
            action=Action.PLAN,
            ref="abc",
            account="acct",
            change_types=(ChangeType.MODULE_CHANGED,),
            wave=i,
            needs=(f"j{i - 1}",) if i else (),
        )
        for i in range(n)
    )
    return Orchestration(
        base="b" * 40,
        head="a" * 40,
        event=Event.PULL_REQUEST,
        changes=(),
        ignored=("README.md",),
        warnings=("w1",),
        jobs=jobs,
    )


def test_pending_comment_lists_every_job() -> None:
    body = render_comment(_orch(3))[0]
    assert body.startswith(MARKER)
    assert body.count("| pending |") == 3
    assert "j0 --> j1" in body and "README.md" in body and "w1" in body


def test_results_and_links_shown() -> None:
    res = {"j0": JobResult(id="j0", unit="u", action="plan", status=Status.SUCCEEDED, summary=PlanSummary(1, 2, 3))}
    body = render_comment(_orch(1), res, run_links={"j0": "https://x/run"})[0]
    assert "| succeeded | +1 ~2 -3 ⚠️ | [logs](https://x/run) |" in body


def test_large_plans_stay_under_limit() -> None:
    log = "x" * 20_000
    res = {f"j{i}": JobResult(id=f"j{i}", unit="u", action="plan", status=Status.SUCCEEDED, log=log) for i in range(50)}
    bodies = render_comment(_orch(50), res)
    assert 1 <= len(bodies) <= 3
    assert all(len(b) < LIMIT and b.startswith(MARKER) for b in bodies)


# --- hostile input, rendered the way GitHub renders it ---------------------------------------------------------------

HOSTILE = (
    "x` [approved](https://evil.example/a) ![i](https://evil.example/i.png) @acme/admins <img src=x onerror=alert(1)>"
    ' www.evil.example </summary></details> | ``` "]; j0-->j9["'
)
# The tags our own templates produce; anything else in the HTML came from the input.
ALLOWED_TAGS = {"p", "h2", "h3", "table", "thead", "tbody", "tr", "th", "td", "code", "pre", "details", "summary",
                "ul", "li", "strong", "em", "blockquote", "a"}  # fmt: skip
LINK = "https://github.com/acme/infrastructure-pipelines/actions/runs/1"


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.prose: list[str] = []  # text GitHub would scan for @mentions and bare URLs
        self._code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._code += tag in ("code", "pre", "a")

    def handle_endtag(self, tag: str) -> None:
        self._code -= tag in ("code", "pre", "a")

    def handle_data(self, data: str) -> None:
        if not self._code:
            self.prose.append(data)


def _gfm(markdown: str) -> _Html:
    import cmarkgfm
    from cmarkgfm.cmark import Options

    parsed = _Html()
    parsed.feed(cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE))
    return parsed


def _assert_inert(markdown: str) -> None:
    html = _gfm(markdown)
    assert {t for t, _ in html.tags} <= ALLOWED_TAGS, {t for t, _ in html.tags} - ALLOWED_TAGS
    assert all(attrs.get("href") == LINK for t, attrs in html.tags if t == "a"), [a for t, a in html.tags if t == "a"]
    prose = "".join(html.prose)
    assert not re.search(r"(?<![\w`])@[A-Za-z0-9-]+", prose), prose  # no @mention
    assert not re.search(r"https?://|\bwww\.", prose), prose  # no bare URL GitHub would link


def _hostile_orchestration() -> Orchestration:
    jobs = tuple(
        Job(f"plan:{i}", f"dev/{HOSTILE}/{i}", Action.PLAN, "a" * 40, "dev", (ChangeType.MODULE_CHANGED,), i,
            (f"plan:{i - 1}",) if i else ())
        for i in range(3)
    )  # fmt: skip
    return Orchestration(
        "b" * 40, "a" * 40, Event.PULL_REQUEST, (), (f"docs/{HOSTILE}.md",), (f"moved {HOSTILE}",), jobs
    )


def test_hostile_unit_names_and_output_render_inert_through_gfm() -> None:
    o = _hostile_orchestration()
    res = {
        "plan:0": JobResult("plan:0", o.jobs[0].unit, "plan", Status.SUCCEEDED, PlanSummary(0, 0, 1),
                            log=f"{HOSTILE}\n```\n@acme/admins [x](https://evil.example)\n",
                            resources=(f"- {HOSTILE}",),
                            outputs_by_instance={f"tg{HOSTILE}": {HOSTILE: HOSTILE}}),
        "plan:1": JobResult("plan:1", o.jobs[1].unit, "plan", Status.FAILED, failure=f"exit 1: {HOSTILE}",
                            log="````\n" + HOSTILE),
    }  # fmt: skip
    bodies = render_comment(o, res, run_links={j.id: LINK for j in o.jobs}, notices=(f"notice {HOSTILE}",))
    for body in bodies:
        _assert_inert(body)
    html = _gfm(bodies[0])
    # The mermaid label cannot close its block or its node: one code block holds the whole graph.
    assert sum(1 for t, a in html.tags if t == "pre" and a.get("lang") == "mermaid") == 1
    graph = bodies[0].split("```mermaid\n", 1)[1].split("\n```", 1)[0].splitlines()
    nodes = [line for line in graph if "[" in line]
    # Each label stays inside its quotes: mermaid sees three nodes and only the edges we drew.
    assert len(nodes) == 3 and all(re.fullmatch(r'  j\d\["[^"<>`#]*(#\w+;[^"<>`#]*)*"\]:::\w+', n) for n in nodes), (
        nodes
    )
    assert [line for line in graph if "-->" in line] == ["  j0 --> j1", "  j1 --> j2"]
    assert sum(1 for t, _ in html.tags if t == "details") == 2 and sum(1 for t, _ in html.tags if t == "summary") == 2


def test_hostile_names_in_the_split_comment_and_the_merged_comment_stay_inert() -> None:
    from gwpipelines.dispatcher.comment import build_view
    from gwpipelines.templating import render

    o = _hostile_orchestration()
    res = {j.id: JobResult(j.id, j.unit, "plan", Status.SUCCEEDED, log=HOSTILE * 400) for j in o.jobs}
    for body in render_comment(o, res, run_links={j.id: LINK for j in o.jobs}, max_comments=1):
        _assert_inert(body)
    view = build_view(o, res, {j.id: LINK for j in o.jobs})
    _assert_inert(render("merged.md.j2", c=view, failed=True, issues=["#3"]))
