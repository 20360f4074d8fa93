"""shards: one run's jobs split into legs (issue 16 item 3): the leg rule of old, needs kept together, applies by a
stable hash, plans balanced by duration (by count without), names, and hostile durations."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gwpipelines import shards
from gwpipelines.models import Action, ChangeType, Job

REF = "a" * 40


def job(unit: str | None, action: str = "plan", account: str | None = "dev", needs: tuple[str, ...] = ()) -> Job:
    return Job(
        id=f"{action}:{unit}",
        unit=unit,
        action=Action(action),
        ref=REF,
        account=account,
        change_types=(ChangeType.MODULE_CHANGED,),
        needs=needs,
    )


def by_leg(legs: list[shards.Leg]) -> dict[str, tuple[str, ...]]:
    return {leg.leg: leg.jobs for leg in legs}


def test_one_shard_is_todays_one_leg_per_account() -> None:
    jobs = [
        job("dev/a"),
        job("prod/b", account="prod"),
        job("x", account=None),
        job("dev/c"),
        job(None, "account-plan", account="new"),
    ]
    legs = shards.legs(jobs, 1)
    assert [(leg.leg, leg.account, leg.shard) for leg in legs] == [
        ("_account-factory", "_account-factory", 1),
        ("dev", "dev", 1),
        ("none", "none", 1),
        ("prod", "prod", 1),
    ]
    assert by_leg(legs)["dev"] == ("plan:dev/a", "plan:dev/c")  # the jobs' own order


def test_plans_without_durations_are_balanced_by_count_and_empty_shards_dropped() -> None:
    jobs = [job(f"dev/u{i}") for i in range(7)]
    legs = shards.legs(jobs, 3)
    assert [leg.leg for leg in legs] == ["dev-1", "dev-2", "dev-3"]
    assert sorted(len(leg.jobs) for leg in legs) == [2, 2, 3]
    assert sorted(j for leg in legs for j in leg.jobs) == sorted(j.id for j in jobs)
    assert [leg.leg for leg in shards.legs(jobs[:2], 3)] == ["dev-1", "dev-2"]


def test_plans_are_balanced_by_their_last_known_durations() -> None:
    jobs = [job(f"dev/u{i}") for i in range(6)]
    durations = {"dev/u0": 100.0, "dev/u1": 60.0, "dev/u2": 40.0, "dev/u3": 10.0, "dev/u4": 10.0, "dev/u5": 20.0}
    legs = shards.legs(jobs, 2, durations)
    loads = sorted(sum(durations[j.partition(":")[2]] for j in leg.jobs) for leg in legs)
    assert loads == [120.0, 120.0]  # by count it would be 3 and 3 jobs, whatever they take
    assert by_leg(legs)["dev-1"][0] == "plan:dev/u0"  # the longest first, alone with the short ones


def test_an_unknown_unit_counts_as_the_median_of_the_known() -> None:
    jobs = [job("dev/long"), job("dev/new1"), job("dev/new2"), job("dev/s1"), job("dev/s2")]
    durations = {"dev/long": 30.0, "dev/s1": 1.0, "dev/s2": 1.0}  # median 1: the new units weigh 1 each
    legs = shards.legs(jobs, 2, durations)
    assert by_leg(legs)["dev-1"] == ("plan:dev/long",)
    assert set(by_leg(legs)["dev-2"]) == {"plan:dev/new1", "plan:dev/new2", "plan:dev/s1", "plan:dev/s2"}


def test_jobs_joined_by_needs_stay_in_one_shard() -> None:
    vpc = job("dev/vpc")
    app = job("dev/app", needs=(vpc.id,))
    db = job("dev/db", needs=(vpc.id,))
    others = [job(f"dev/o{i}") for i in range(5)]
    outside = job("dev/late", needs=("plan:dev/ran-before",))  # a need in an earlier run joins nothing
    legs = shards.legs([vpc, app, db, *others, outside], 4)
    [home] = [leg for leg in legs if vpc.id in leg.jobs]
    assert {app.id, db.id} <= set(home.jobs)
    assert home.jobs.index(vpc.id) < home.jobs.index(app.id)
    assert len(legs) == 4


def test_applies_land_by_a_stable_hash_of_their_unit() -> None:
    units = [f"prod/u{i}" for i in range(40)]
    first = shards.legs([job(u, "apply", "prod") for u in units], 4)
    where = {j.partition(":")[2]: leg.shard for leg in first for j in leg.jobs}
    assert len({*where.values()}) == 4
    # Another run with a few of them, and destroys: each unit in the same shard, whatever else the run holds.
    again = shards.legs([job(u, "destroy", "prod") for u in units[::7]], 4, {u: 999.0 for u in units})
    assert all(where[j.partition(":")[2]] == leg.shard for leg in again for j in leg.jobs)
    assert all(leg.leg == f"prod-{leg.shard}" for leg in again)
    # Python's hash() is salted per process: the shard is not.
    code = "from gwpipelines import shards; print(shards.shard_of('prod/u3', 4))"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(other.stdout) == shards.shard_of("prod/u3", 4) == where["prod/u3"]


def test_leg_names_never_collide() -> None:
    jobs = [job(f"{a}/u{i}", account=a) for a in ("prod", "prod-1") for i in range(6)]
    names = [leg.leg for leg in shards.legs(jobs, 2)]
    assert names == ["prod-1", "prod-2", "prod-1-1", "prod-1-2"]
    assert len(set(names)) == len(names)


def test_no_run_has_more_legs_than_a_matrix_holds() -> None:
    jobs = [job(f"a{a}/u{i}", account=f"a{a}") for a in range(20) for i in range(20)]
    legs = shards.legs(jobs, 64)
    assert len(legs) <= shards.MAX_LEGS
    assert sorted(j for leg in legs for j in leg.jobs) == sorted(j.id for j in jobs)
    with pytest.raises(ValueError, match=r"1\.\.64"):
        shards.legs(jobs, 65)


@pytest.mark.parametrize(
    ("data", "kept", "warning"),
    [
        ({"a": 3, "b": 2.5}, {"a": 3.0, "b": 2.5}, None),
        ({"a": -4, "b": 1e12}, {"a": 0.0, "b": shards.MAX_SECONDS}, None),
        ({"a": "3", "b": True, "c": None, "d": float("nan"), "e": 1, "": 2}, {"e": 1.0}, "5 entries"),
        ([1, 2], {}, "not a JSON object"),
        ({f"u{i}": 1 for i in range(shards.MAX_DURATIONS + 1)}, {}, "over 20000"),
    ],
)
def test_durations_from_a_hostile_file(data: object, kept: dict[str, float], warning: str | None) -> None:
    got, why = shards.durations(data)
    assert got == kept
    assert (why is None) if warning is None else (why is not None and warning in why)
