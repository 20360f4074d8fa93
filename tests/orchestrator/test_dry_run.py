"""`gwpipelines dry-run` on the demo's pull request: golden output for people, and JSON that agrees with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gwpipelines.dispatcher.comment import render_comment
from gwpipelines.extensions.terragrunt_cli import PLAN_FILE
from testing import ROOT
from testing.cli import run
from testing.golden import assert_golden
from tests.e2e.test_demo import demo


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    repo = tmp_path_factory.mktemp("dry-run") / "infrastructure-live"
    base, head = demo.build_demo_repo(repo)
    return repo, base, head


def dry_run(repo: Path, event: str, fmt: str) -> str:
    res = run(
        "dry-run", "--repo", str(repo), "--base", "main", "--head", demo.BRANCH, "--event", event, "--format", fmt
    )
    assert res.code == 0, res.err
    return res.out


@pytest.mark.parametrize("event", ["pull_request", "push"])
def test_dry_run_text_is_golden(demo_repo: tuple[Path, str, str], event: str) -> None:
    # The demo's shas move whenever the template does: the golden names them <base> and <head>.
    repo, base, head = demo_repo
    assert_golden(f"dry_run_{event}.txt", dry_run(repo, event, "text"), {"base": base, "head": head})


@pytest.mark.parametrize("event", ["pull_request", "push"])
def test_dry_run_json_is_orchestrate_plus_commands_and_comment(demo_repo: tuple[Path, str, str], event: str) -> None:
    repo, _, _ = demo_repo
    res = run(
        "dry-run", "--repo", str(repo), "--base", "main", "--head", demo.BRANCH, "--event", event, "--format", "json"
    )
    assert res.code == 0, res.err
    data = res.json()
    orch = run(
        "orchestrate",
        "--repo",
        str(repo),
        "--base",
        "main",
        "--head",
        demo.BRANCH,
        "--event",
        event,
        "--format",
        "json",
    )
    expected = orch.json()
    assert {k: data[k] for k in expected} == expected
    assert set(data["commands"]) == {j["id"] for j in data["jobs"]}
    for job in data["jobs"]:
        commands = data["commands"][job["id"]]
        if job["unit"] is None:
            assert all(c.startswith("#") for c in commands) and job["account"] in commands[0]
            continue
        verbs = [c.split(" -- ", 1)[1].split()[0] for c in commands]
        writes = job["action"] in ("apply", "destroy")
        expected_verbs = {"apply": ["plan", "show", "apply", "output"], "destroy": ["plan", "show", "apply"]}
        assert verbs == expected_verbs.get(job["action"], ["plan", "show"])
        assert all(f"--working-dir {job['unit']} " in c for c in commands)
        assert ("-destroy" in commands[0].split()) == (job["action"] in ("destroy", "plan-destroy"))
        if writes:
            # What is applied is the plan that was shown, never a fresh one.
            assert commands[2].endswith(f"apply -no-color -input=false {PLAN_FILE}")
    assert data["comment"].startswith("<!-- gwpipelines:")
    for job in data["jobs"]:
        assert f"`{job['unit'] or job['account']}`" in data["comment"]


def test_dry_run_comment_is_the_reporters(demo_repo: tuple[Path, str, str]) -> None:
    from gwpipelines import orchestrator

    repo, _, _ = demo_repo
    result = orchestrator.orchestrate(repo, "main", demo.BRANCH, "pull_request")
    assert render_comment(result)[0] in dry_run(repo, "pull_request", "text")


def test_dry_run_bad_ref_is_exit_2(demo_repo: tuple[Path, str, str]) -> None:
    repo, _, _ = demo_repo
    res = run("dry-run", "--repo", str(repo), "--base", "no-such-branch", "--head", demo.BRANCH)
    assert res.code == 2
    assert "no-such-branch" in res.err and len(res.err.strip().splitlines()) == 1


def test_demo_script_runs_from_the_quick_start(tmp_path: Path) -> None:
    """What `./scripts/demo` runs after bootstrapping: a fresh scratch repo and the dry-run on it, exit 0."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "gwpipelines dry-run: pull_request" in proc.stdout
    assert "plan-destroy:non-prod/us-east-1/dev/bastion" in proc.stdout
    assert "<!-- gwpipelines:" in proc.stdout
