from __future__ import annotations

import json
from pathlib import Path

from gwpipelines.github.action import Inputs, calls_for, report
from gwpipelines.models import Action, ChangeType, Job
from gwpipelines.orchestrator.matrix import MATRIX_LIMIT, from_json_jobs, to_matrix


def jobs(n: int, waves: int = 1) -> list[Job]:
    return [
        Job(f"apply:u{i}", f"u{i}", Action.APPLY, "a" * 40, None, (ChangeType.MODULE_CHANGED,), i % waves)
        for i in range(n)
    ]


def test_one_entry_per_job_within_the_limit() -> None:
    m = to_matrix(jobs(MATRIX_LIMIT))
    assert len(m["include"]) == MATRIX_LIMIT
    assert [e["jobs"][0]["id"] for e in m["include"]] == [f"apply:u{i}" for i in range(MATRIX_LIMIT)]


def test_batches_past_the_limit_keep_every_job_once_and_waves_apart() -> None:
    js = jobs(1000, waves=3)
    m = to_matrix(js)
    entries = m["include"]
    assert len(entries) <= MATRIX_LIMIT
    ids = [j["id"] for e in entries for j in e["jobs"]]
    assert sorted(ids) == sorted(j.id for j in js)
    assert all(len({j["wave"] for j in e["jobs"]}) == 1 and e["jobs"][0]["wave"] == e["wave"] for e in entries)


def test_many_waves_still_fit() -> None:
    m = to_matrix(jobs(600, waves=300))
    assert len(m["include"]) <= MATRIX_LIMIT
    assert sorted(j["id"] for e in m["include"] for j in e["jobs"]) == sorted(j.id for j in jobs(600))
    # Entries run waves in order: within an entry and from one entry to the next, waves never go down.
    flat = [j["wave"] for e in m["include"] for j in e["jobs"]]
    assert flat == sorted(flat)
    assert all(e["wave"] == e["jobs"][0]["wave"] for e in m["include"])


def test_the_matrix_from_orchestrates_json_is_the_one_it_prints() -> None:
    """The composite action runs the orchestrator once and derives the matrix from its JSON (issue 16)."""
    for js in (jobs(3), jobs(MATRIX_LIMIT), jobs(1000, waves=3), jobs(600, waves=300)):
        assert from_json_jobs([j.to_json() for j in js]) == to_matrix(js)


def test_the_action_runs_the_orchestrator_once_and_still_outputs_the_matrix(tmp_path: Path) -> None:
    inputs = Inputs(command="orchestrate", repo=".", base="a" * 40, head="b" * 40, event="push")
    [call] = calls_for(inputs, tmp_path)
    js = jobs(300, waves=2)
    result = {"base": "a" * 40, "head": "b" * 40, "event": "push", "changes": [], "ignored": [], "warnings": []}
    call.output.write_text(json.dumps({**result, "jobs": [j.to_json() for j in js]}))
    outputs, _ = report(inputs, [call], 0)
    assert json.loads(outputs["matrix"]) == to_matrix(js)
