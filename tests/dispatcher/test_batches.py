"""The dispatcher's pure parts: batching, the inputs it sends, needs checking, reading results.json."""

from __future__ import annotations

import json

import pytest

from gwpipelines.dispatcher.artifact import results_from_artifact
from gwpipelines.dispatcher.batches import (
    MAX_INPUTS_CHARS,
    Batch,
    Granularity,
    Target,
    check_needs,
    inputs_for,
    make_batches,
)
from gwpipelines.errors import ArtifactError, UserError
from gwpipelines.models import Action, ChangeType, Job
from gwpipelines.models.results import Status

TARGET = Target("acme/infrastructure-pipelines", "pipelines.yml", "main", "acme/infrastructure-live", 7)


def job(unit: str, wave: int = 0, account: str = "dev", needs: tuple[str, ...] = ()) -> Job:
    return Job(f"plan:{unit}", unit, Action.PLAN, "a" * 40, account, (ChangeType.MODULE_CHANGED,), wave, needs)


JOBS = [
    job("dev/vpc"),
    job("prod/vpc", account="prod"),
    job("dev/app", 1, needs=("plan:dev/vpc",)),
    job("prod/app", 1, account="prod", needs=("plan:prod/vpc",)),
]


def labels(batches: list[Batch]) -> list[tuple[str, list[str]]]:
    return [(b.label, [j.unit or "" for j in b.jobs]) for b in batches]


def test_one_batch_per_wave_by_default() -> None:
    assert labels(make_batches(JOBS, Granularity.WAVE, TARGET)) == [
        ("wave-0", ["dev/vpc", "prod/vpc"]),
        ("wave-1", ["dev/app", "prod/app"]),
    ]


def test_per_job_and_per_account() -> None:
    assert [b.label for b in make_batches(JOBS, Granularity.JOB, TARGET)] == ["job-0", "job-1", "job-2", "job-3"]
    assert labels(make_batches(JOBS, Granularity.ACCOUNT, TARGET)) == [
        ("wave-0-dev", ["dev/vpc"]),
        ("wave-0-prod", ["prod/vpc"]),
        ("wave-1-dev", ["dev/app"]),
        ("wave-1-prod", ["prod/app"]),
    ]


def test_inputs_are_exactly_the_workflow_contract() -> None:
    inputs = inputs_for(Batch("wave-0", tuple(JOBS[:2])), TARGET, "cid-1")
    assert set(inputs) == {"correlation_id", "jobs", "live_repo", "pr"}
    assert inputs["correlation_id"] == "cid-1" and inputs["pr"] == "7"
    assert [j["id"] for j in json.loads(inputs["jobs"])] == ["plan:dev/vpc", "plan:prod/vpc"]
    push = Target(TARGET.pipelines_repo, TARGET.workflow, TARGET.ref, TARGET.live_repo, None)
    assert inputs_for(Batch("w", (JOBS[0],)), push, "c")["pr"] == ""


def test_a_wave_too_big_for_one_dispatch_is_halved_until_it_fits() -> None:
    wide = [job(f"acct/region/env/unit-with-a-long-name-{i:04d}") for i in range(600)]
    batches = make_batches(wide, Granularity.WAVE, TARGET)
    assert len(batches) > 1
    assert [j for b in batches for j in b.jobs] == wide  # nothing lost, order kept
    for b in batches:
        assert sum(len(k) + len(v) for k, v in inputs_for(b, TARGET, "x" * 64).items()) <= MAX_INPUTS_CHARS


def test_needs_must_name_earlier_jobs() -> None:
    check_needs(JOBS)
    with pytest.raises(UserError, match="'plan:dev/app' needs 'plan:nowhere'"):
        check_needs([job("dev/app", 1, needs=("plan:nowhere",))])


def test_results_only_for_the_batch_jobs() -> None:
    batch = Batch("wave-0", (JOBS[0],))
    data = json.dumps(
        {
            "results": [
                {"id": "plan:dev/vpc", "unit": "dev/vpc", "action": "plan", "status": "succeeded"},
                {"id": "apply:prod/vpc", "unit": "prod/vpc", "action": "apply", "status": "succeeded"},
            ]
        }
    ).encode()
    results = results_from_artifact(data, batch)
    assert list(results) == ["plan:dev/vpc"] and results["plan:dev/vpc"].status is Status.SUCCEEDED
    assert results_from_artifact(None, batch) == {}
    with pytest.raises(ArtifactError, match=r"results\.json in gwpipelines-results is malformed"):
        results_from_artifact(b'{"results": {"id": 1}}', batch)


OK = {"id": "plan:dev/vpc", "unit": "dev/vpc", "action": "plan", "status": "succeeded"}


@pytest.mark.parametrize(
    ("entry", "why"),
    [
        ({**OK, "status": "approved"}, "status 'approved' is not one of"),
        ({**OK, "summary": {"add": "1"}}, "summary holds something other than counts"),
        ({**OK, "summary": {"destroy": True}}, "summary holds something other than counts"),
        ({**OK, "log": ["x"]}, "log is list"),
        ({**OK, "outputs": "x"}, "outputs is str"),
        ({**OK, "outputs_by_instance": {"tg": 3}}, "outputs_by_instance is not"),
        ({**OK, "resources": [1]}, "resources is not a list of strings"),
        ({**OK, "seconds": "fast"}, "seconds is str"),
        ({**OK, "action": "apply"}, "it claims 'apply' of 'dev/vpc', the job is plan of 'dev/vpc'"),
        ({**OK, "unit": "prod/vpc"}, "it claims 'plan' of 'prod/vpc'"),
    ],
)
def test_a_wrong_typed_or_forged_entry_fails_its_job_alone(entry: dict[str, object], why: str) -> None:
    batch = Batch("wave-0", JOBS[:2])
    other = {"id": JOBS[1].id, "unit": JOBS[1].unit, "action": "plan", "status": "succeeded"}
    results = results_from_artifact(json.dumps({"results": [entry, other]}).encode(), batch)
    bad = results[JOBS[0].id]
    assert bad.status is Status.FAILED and why in bad.failure and "invalid entry for plan:dev/vpc" in bad.failure
    assert results[JOBS[1].id].status is Status.SUCCEEDED


@pytest.mark.parametrize(
    "data",
    [
        b"[" * 100_000,
        json.dumps(
            {
                "results": [
                    {**OK, "outputs": {"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}
                ]
            }
        ).encode(),
        b"\xff\xfe",
        b"null",
    ],
)
def test_deep_or_undecodable_files_fail_the_batch_with_a_reason(data: bytes) -> None:
    with pytest.raises(ArtifactError, match=r"results\.json in gwpipelines-results is malformed \("):
        results_from_artifact(data, Batch("wave-0", JOBS[:1]))
