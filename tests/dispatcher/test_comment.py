"""The sticky comment's budget (65,536 characters) and its golden renderings."""

from __future__ import annotations

import re

from gwpipelines.dispatcher.comment import LIMIT, MARKER, render_comment
from gwpipelines.models import Action, ChangeType, Event, Job, Orchestration
from gwpipelines.models.results import JobResult, PlanSummary, Status
from testing.golden import assert_golden

HEAD = "0ad483ef19fd1b0e0433bc2c2bb516899b35732a"


def orchestration(n: int, event: Event = Event.PULL_REQUEST) -> Orchestration:
    action = Action.PLAN if event is Event.PULL_REQUEST else Action.APPLY
    unit = "acct/us-east-1/dev/unit{:02d}".format
    jobs = tuple(
        Job(f"{action}:{unit(i)}", unit(i), action, HEAD, "acct", (ChangeType.MODULE_CHANGED,), i // 10,
            (f"{action}:{unit(i - 10)}",) if i >= 10 else ())
        for i in range(n)
    )  # fmt: skip
    return Orchestration("f" * 40, HEAD, event, (), ("README.md",), ("a warning",), jobs)


def plan_log(i: int, size: int) -> str:
    chatter = "".join(f"aws_x.r{k}: Refreshing state... [id=r-{k}]\n" for k in range(40))
    body = "".join(
        f'  # aws_s3_object.o{k} will be created\n  + resource "aws_s3_object" "o{k}" {{}}\n' for k in range(size // 80)
    )
    return f"\x1b[1munit {i}\x1b[0m\n{chatter}{body}Plan: {size // 80} to add, 0 to change, 0 to destroy.\n"


def results(o: Orchestration, size: int) -> dict[str, JobResult]:
    return {j.id: JobResult(j.id, j.unit, str(j.action), Status.SUCCEEDED, PlanSummary(size // 80, 0, 0),
                            log=plan_log(i, size)) for i, j in enumerate(o.jobs)}  # fmt: skip


def test_huge_plan_1mb_across_50_units_gives_one_valid_comment() -> None:
    o = orchestration(50)
    res = results(o, 20_000)
    assert sum(len(r.log) for r in res.values()) > 1_000_000
    links = {j.id: f"https://github.example/acme/pipelines/actions/runs/{i}" for i, j in enumerate(o.jobs)}
    bodies = render_comment(o, res, run_links=links)
    assert len(bodies) == 1  # compacted and truncated, not split
    body = bodies[0]
    assert len(body) <= LIMIT and body.startswith(MARKER)
    assert body.count("| succeeded |") == 50
    assert body.count("<details>") == 50  # every unit keeps its output's tail, with the plan summary line
    assert body.count("Plan: 250 to add, 0 to change, 0 to destroy.") == 50
    assert "Refreshing state" not in body and "\x1b[" not in body
    assert body.count("full output in the [run logs](https://github.example/") == 50
    assert body.count("```") % 2 == 0  # every fence closed


def test_small_output_is_shown_whole() -> None:
    o = orchestration(2)
    body = render_comment(o, results(o, 800))[0]
    assert "Refreshing state... [id=r-39]" in body and "omitted" not in body


def test_1500_units_keep_every_row_in_every_split() -> None:
    o = orchestration(1_500)
    run = "https://github.com/acme/infrastructure-pipelines/actions/runs/{}".format
    links = {j.id: run(10_000_000 + j.wave) for j in o.jobs}
    for max_comments in (1, 3, 10):
        bodies = render_comment(o, results(o, 400), run_links=links, max_comments=max_comments)
        assert len(bodies) > 1 and all(len(b) <= LIMIT and b.startswith(MARKER) for b in bodies)
        assert [f"(part {i + 1}/{len(bodies)})" in b for i, b in enumerate(bodies)] == [True] * len(bodies)
        units = [u for b in bodies for u in re.findall(r"^\| \S+ \| ModuleChanged \| `([^`]+)` \|", b, re.M)]
        assert units == [j.unit for j in o.jobs]  # every row, once, in order: output goes before any row does
        assert bodies[0].index("**1500 jobs:**") < bodies[0].index("> [!WARNING]") < bodies[0].index("| |")
        assert "**Next:**" in bodies[-1] and all(b.count("```") % 2 == 0 for b in bodies)
    assert len(render_comment(o, results(o, 400), run_links=links, max_comments=10)) <= 10
    assert_golden("dispatch/comment_1500_units.md", "\n---\n".join(render_comment(o, results(o, 400), run_links=links)))


def test_golden_pull_request_in_progress() -> None:
    o = orchestration(4)
    res = {o.jobs[0].id: JobResult(o.jobs[0].id, o.jobs[0].unit, "plan", Status.SUCCEEDED, PlanSummary(1, 2, 3, 1),
                                   log="Plan: 1 to add, 2 to change, 3 to destroy.\n"),
           o.jobs[1].id: JobResult(o.jobs[1].id, o.jobs[1].unit, "plan", Status.FAILED, log="Error: boom\n",
                                   failure="terragrunt plan exited 1")}  # fmt: skip
    links = {j.id: f"https://github.example/acme/pipelines/actions/runs/{i}" for i, j in enumerate(o.jobs[:3])}
    body = render_comment(o, res, run_links=links, running={o.jobs[2].id})
    assert_golden("dispatch/comment_in_progress.md", "\n---\n".join(body))
