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
    assert "| succeeded | +1 ~2 -3 | [logs](https://x/run) |" in body


def test_large_plans_stay_under_limit() -> None:
    log = "x" * 20_000
    res = {f"j{i}": JobResult(id=f"j{i}", unit="u", action="plan", status=Status.SUCCEEDED, log=log) for i in range(50)}
    bodies = render_comment(_orch(50), res)
    assert 1 <= len(bodies) <= 3
    assert all(len(b) < LIMIT and b.startswith(MARKER) for b in bodies)
