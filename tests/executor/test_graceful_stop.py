"""Graceful stop (issue 12 item 6): a tool that times out, or whose run is cancelled, gets SIGTERM and the grace
period (`core.execution_defaults.stop_grace_seconds`, minutes by default) to release its state lock before SIGKILL;
the result says "state lock may be held" when it had to be killed; a cancel of the composite action's step reaches
the CLI and the tools. The stand-in holds its state lock while it hangs and takes `term_seconds` to stop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gwpipelines.config import ExecutionDefaults
from testing.executor_fixtures import Standin, execute, job, write_config
from testing.gitrepo import GitRepo

DEV = "non-prod/us-east-1/dev"
VPC = f"{DEV}/vpc"


def config(tmp_path: Path, grace: float, timeout: int = 1) -> Path:
    return write_config(
        tmp_path / "pipelines.yml",
        "core:\n  execution_defaults:\n"
        f"    timeout_seconds: {timeout}\n    stop_grace_seconds: {grace}\n    max_attempts: 1\n",
    )


def lock(standin: Standin) -> Path:
    return standin.state_dir / VPC / ".terraform.tflock"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_the_default_grace_period_is_minutes() -> None:
    assert ExecutionDefaults().stop_grace_seconds >= 60


def test_a_timed_out_tool_that_stops_within_the_grace_period_releases_its_lock(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    standin.faults({VPC: {"command": "plan", "mode": "hang", "term_seconds": 1.5}})
    res = execute(dev_live.path, tmp_path / "r", "--config", str(config(tmp_path, grace=20)), "--job",
                  json.dumps(job(VPC, "plan", dev_live.head())))  # fmt: skip
    assert res.code == 1
    (result,) = res.json()["results"]
    assert result["failure"] == "terragrunt: plan timed out"
    assert "Gracefully shutting down" in result["log"] and "Releasing state lock" in result["log"]
    assert "state lock may be held" not in result["log"]
    assert not lock(standin).exists()


def test_a_tool_ignoring_sigterm_past_the_grace_period_is_killed_and_the_result_says_the_lock_may_be_held(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    standin.faults({VPC: {"command": "plan", "mode": "hang", "term_seconds": 60}})
    start = time.monotonic()
    res = execute(dev_live.path, tmp_path / "r", "--config", str(config(tmp_path, grace=1)), "--job",
                  json.dumps(job(VPC, "plan", dev_live.head())))  # fmt: skip
    assert time.monotonic() - start < 30
    assert res.code == 1
    (result,) = res.json()["results"]
    assert result["failure"] == "terragrunt: plan timed out and was killed: state lock may be held"
    assert lock(standin).exists()  # killed mid-operation: the lock stays, as the result warns
    pid = int((standin.state_dir / VPC / ".hang-pid").read_text())
    assert not alive(pid)


def _wait_for(path: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


@pytest.mark.parametrize("via", ["cli", "action"])
def test_a_cancel_reaches_the_tool_which_stops_gracefully(
    via: str, dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    """The runner cancels a step with SIGINT then SIGTERM: the CLI (directly, or under the composite action's
    wrapper) stops the tool with SIGTERM and waits for it; the tool releases its lock and is gone when the step
    ends."""
    standin.faults({VPC: {"command": "plan", "mode": "hang", "term_seconds": 1}})
    cfg = config(tmp_path, grace=30, timeout=600)
    one = json.dumps(job(VPC, "plan", dev_live.head()))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GWP_")}
    if via == "cli":
        argv = [sys.executable, "-m", "gwpipelines", "execute", "--repo", str(dev_live.path), "--config", str(cfg),
                "--results-dir", str(tmp_path / "r"), "--job", one]  # fmt: skip
    else:
        argv = [sys.executable, "-m", "gwpipelines.github.action"]
        env |= {"GWP_COMMAND": "execute", "GWP_REPO": str(dev_live.path), "GWP_CONFIG": str(cfg), "GWP_JOBS": one,
                "GITHUB_OUTPUT": str(tmp_path / "out"), "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
                "RUNNER_TEMP": str(tmp_path / "temp")}  # fmt: skip
        (tmp_path / "temp").mkdir()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(standin.state_dir / VPC / ".hang-pid")
        pid = int((standin.state_dir / VPC / ".hang-pid").read_text())
        _wait_for(lock(standin))
        proc.send_signal(signal.SIGINT)
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)  # the second signal must not cut the grace period short
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err.decode()
    assert not alive(pid)
    assert not lock(standin).exists(), "the tool was killed before it could release its state lock"
