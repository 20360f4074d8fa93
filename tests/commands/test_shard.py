"""`gwpipelines shard`: a run's legs from the orchestrate JSON and pipelines.yml, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from testing.actions.workflows import LIVE_TEMPLATE
from testing.cli import orchestrate_json, run
from testing.gitrepo import GitRepo

ZERO = "0" * 40


@pytest.fixture(scope="module")
def orchestrated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every job of the live template from the empty tree: the applies of both accounts, the account factory's."""
    tmp = tmp_path_factory.mktemp("shard")
    live = GitRepo.from_tree(LIVE_TEMPLATE, tmp / "live", message="import")
    return orchestrate_json(live.path, ZERO, live.head(), "push")


def config(tmp_path: Path, runners: int) -> Path:
    path = tmp_path / "pipelines.yml"
    path.write_text(f"core:\n  max_runners_per_wave: {runners}\n")
    return path


def shard(tmp_path: Path, jobs: Any, *extra: str) -> Any:
    """`gwpipelines shard` on `jobs` (JSON, or a string written as it is)."""
    jobs_file = tmp_path / "jobs.json"
    jobs_file.write_text(jobs if isinstance(jobs, str) else json.dumps(jobs))
    return run("shard", "--jobs-file", str(jobs_file), *extra)


def plans(n: int) -> list[dict[str, Any]]:
    """`n` independent plans of account dev, units dev/u0..."""
    return [
        {"id": f"plan:dev/u{i}", "unit": f"dev/u{i}", "action": "plan", "ref": "a" * 40, "account": "dev",
         "change_types": ["ModuleChanged"], "wave": 0, "needs": []}
        for i in range(n)
    ]  # fmt: skip


def test_without_fan_out_each_account_is_one_leg(tmp_path: Path, orchestrated: dict[str, Any]) -> None:
    res = shard(tmp_path, orchestrated)  # no config: the defaults, one runner per account
    assert res.code == 0, res.err
    legs = res.json()["legs"]
    accounts = {j["account"] for j in orchestrated["jobs"] if not j["action"].startswith("account-")}
    assert [leg["leg"] for leg in legs] == ["_account-factory", *sorted(accounts)]
    assert all(leg["leg"] == leg["account"] and leg["shard"] == 1 for leg in legs)
    assert sorted(j for leg in legs for j in leg["jobs"]) == sorted(j["id"] for j in orchestrated["jobs"])
    assert res.out == shard(tmp_path, orchestrated["jobs"], "--config", str(config(tmp_path, 1))).out


def test_fan_out_splits_accounts_keeping_needs_together(tmp_path: Path, orchestrated: dict[str, Any]) -> None:
    jobs = orchestrated["jobs"]
    res = shard(tmp_path, jobs, "--config", str(config(tmp_path, 3)))
    assert res.code == 0, res.err
    legs = res.json()["legs"]
    assert all(leg["leg"] == f"{leg['account']}-{leg['shard']}" for leg in legs)
    assert len(legs) > len({leg["account"] for leg in legs})
    home = {j: leg["leg"] for leg in legs for j in leg["jobs"]}
    assert sorted(home) == sorted(j["id"] for j in jobs)
    for j in jobs:
        assert all(home[need] == home[j["id"]] for need in j["needs"]), j["id"]
    # Deterministic: the same answer, to the byte, every time.
    assert shard(tmp_path, jobs, "--config", str(config(tmp_path, 3))).out == res.out


def test_durations_weigh_plans_and_a_bad_file_is_only_a_warning(tmp_path: Path) -> None:
    jobs = plans(4)
    durations = tmp_path / "durations.json"
    durations.write_text(json.dumps({"dev/u0": 90, "dev/u1": 30, "dev/u2": 30, "dev/u3": 30}))
    res = shard(tmp_path, jobs, "--config", str(config(tmp_path, 2)), "--durations", str(durations))
    assert res.code == 0, res.err
    assert [leg["jobs"] for leg in res.json()["legs"]] == [
        ["plan:dev/u0"],
        ["plan:dev/u1", "plan:dev/u2", "plan:dev/u3"],
    ]
    by_count = shard(tmp_path, jobs, "--config", str(config(tmp_path, 2)))
    assert [len(leg["jobs"]) for leg in by_count.json()["legs"]] == [2, 2]
    for hostile in (b"{not json", b"[" * 100_000, json.dumps({"dev/u0": "soon"}).encode()):
        durations.write_bytes(hostile)
        res = shard(tmp_path, jobs, "--config", str(config(tmp_path, 2)), "--durations", str(durations))
        assert res.code == 0 and res.out == by_count.out
        assert "warning:" in res.err and str(durations) in res.err
    missing = shard(tmp_path, jobs, "--config", str(config(tmp_path, 2)), "--durations", str(tmp_path / "none.json"))
    assert missing.code == 0 and missing.out == by_count.out and missing.err == ""


@pytest.mark.parametrize(
    ("jobs", "runners", "message"),
    [
        ("not json", 2, "jobs.json: not valid JSON"),
        ([{"id": "plan:a", "unit": "a", "action": "nuke", "ref": "a" * 40}], 2, "action"),
        ([], 0, "core.max_runners_per_wave"),
        ([], 65, "core.max_runners_per_wave"),
    ],
)
def test_bad_input_is_exit_2_with_one_line(tmp_path: Path, jobs: Any, runners: int, message: str) -> None:
    res = shard(tmp_path, jobs, "--config", str(config(tmp_path, runners)))
    assert res.code == 2
    assert message in res.err and len(res.err.strip().splitlines()) == 1, res.err


def test_the_workflow_passes_the_durations_through_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pipelines workflow runs the composite action (`command: shard`), which has no durations input: the file
    reaches `gwpipelines shard` as $GWPIPELINES_DURATIONS, through the step's environment."""
    from gwpipelines.github.action import Inputs, calls_for

    [call] = calls_for(Inputs("shard", jobs_file="jobs.json", config="pipelines/pipelines.yml"), tmp_path)
    assert call.argv == ("shard", "--jobs-file", "jobs.json", "--config", "pipelines/pipelines.yml", "--format", "json")
    jobs = plans(3)
    durations = tmp_path / "durations.json"
    durations.write_text(json.dumps({"dev/u2": 100, "dev/u0": 1, "dev/u1": 1}))
    monkeypatch.setenv("GWPIPELINES_DURATIONS", str(durations))
    res = shard(tmp_path, jobs, "--config", str(config(tmp_path, 2)))
    assert res.code == 0, res.err
    assert [leg["jobs"] for leg in res.json()["legs"]] == [["plan:dev/u2"], ["plan:dev/u0", "plan:dev/u1"]]
