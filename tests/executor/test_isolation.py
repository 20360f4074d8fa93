"""Privilege separation of plan runs (issue 13 item 2), each attack reproduced with the stand-in running
pull-request code inside `plan` (as a `run_cmd` would): with a separate OS user it finds no token in any process's
environment, cannot touch the results folder or the workflow-command files, and a detached process it leaves to
forge results afterwards is gone before results are written. Where no separate user is possible, the run says so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gwpipelines.executor import sandbox
from testing.executor_fixtures import Standin, execute, job, write_config
from testing.gitrepo import GitRepo

DEV = "non-prod/us-east-1/dev"
VPC = f"{DEV}/vpc"
SECRETS = {
    "GITHUB_TOKEN": "ghs_pipelines_token_secret",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc_request_token_secret",
    "PIPELINES_DISPATCH_TOKEN": "dispatch_token_secret",
    "GWPIPELINES_ACCOUNT_FACTORY_TOKEN": "factory_write_token_secret",
}

STEAL = """
import glob, json, os
# What to look for, from a file: the code itself travels in the environment (STANDIN_FAULTS).
secrets = json.load(open(os.path.join(os.environ["STANDIN_STATE_DIR"], "secrets.json")))
found, readable, where = [], 0, []
for path in glob.glob("/proc/[0-9]*/environ"):
    try:
        data = open(path, "rb").read().decode(errors="replace")
    except OSError:
        continue
    readable += 1
    found += [k for k, v in secrets.items() if v in data]
    if any(v in data for v in secrets.values()):
        where.append(path + " " + open(path[: -len("environ")] + "cmdline", "rb").read()[:120].decode(errors="replace"))
def can_write(path):
    try:
        open(path, "a").close()
        return True
    except OSError:
        return False
def can_list(path):
    try:
        os.listdir(path)
        return True
    except OSError:
        return False
loot = {{"where": where, "uid": os.getuid(), "found": sorted(set(found)), "readable": readable,
        "env_file_writable": can_write({env_file!r}), "results_listable": can_list({results!r})}}
open(os.path.join(os.environ["STANDIN_STATE_DIR"], "loot.json"), "w").write(json.dumps(loot))
"""


def cli(repo: GitRepo, tmp_path: Path, cfg: Path, one: str, env_file: Path) -> subprocess.CompletedProcess[str]:
    """The executor as its own process, with the secrets in its environment (as on a runner): /proc shows them."""
    env = {**os.environ, **SECRETS, "GITHUB_ENV": str(env_file)}
    argv = [sys.executable, "-m", "gwpipelines", "execute", "--repo", str(repo.path), "--config", str(cfg),
            "--results-dir", str(tmp_path / "results"), "--job", one]  # fmt: skip
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)


def steal(standin: Standin, tmp_path: Path, env_file: Path) -> None:
    (standin.state_dir / "secrets.json").write_text(json.dumps(SECRETS))
    code = STEAL.format(env_file=str(env_file), results=str(tmp_path / "results"))
    standin.faults({VPC: {"command": "plan", "mode": "script", "code": code}})


def loot(standin: Standin) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((standin.state_dir / "loot.json").read_text())
    return data


def env_file(tmp_path: Path) -> Path:
    path = tmp_path / "github_env"
    path.write_text("")
    path.chmod(0o666)  # even a careless runner's world-writable file is protected for the run
    return path


@pytest.mark.skipif(os.geteuid() != 0, reason="creates a separate OS identity: needs root here (sudo in CI)")
def test_plan_code_finds_no_token_in_any_environment_and_cannot_reach_results_or_workflow_files(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    cfg = write_config(tmp_path / "pipelines.yml", "core:\n  execution_defaults: {max_attempts: 1}\n")
    target = env_file(tmp_path)
    steal(standin, tmp_path, target)
    done = cli(dev_live, tmp_path, cfg, json.dumps(job(VPC, "plan", dev_live.head())), target)
    assert done.returncode == 0, done.stderr
    got = loot(standin)
    assert got["uid"] != os.geteuid()
    assert got["readable"] >= 1  # it could read its own environment: the scan itself worked
    assert got["found"] == []
    assert got["env_file_writable"] is False and got["results_listable"] is False
    assert "notices" not in json.loads(done.stdout)  # none: the key is left out


def test_without_a_separate_user_the_attack_succeeds_and_the_run_says_so(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    """The reproduction: as the executor's own user, plan code reads the executor's environment."""
    cfg = write_config(
        tmp_path / "pipelines.yml", "core:\n  execution_defaults: {max_attempts: 1, isolate_plans: false}\n"
    )
    target = env_file(tmp_path)
    steal(standin, tmp_path, target)
    done = cli(dev_live, tmp_path, cfg, json.dumps(job(VPC, "plan", dev_live.head())), target)
    assert done.returncode == 0, done.stderr
    assert set(loot(standin)["found"]) >= {"GITHUB_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"}
    assert json.loads(done.stdout)["notices"] == [sandbox.DISABLED]


FORGE = """
import json, os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        open(os.path.join({state!r}, "forger.pid"), "w").write(str(os.getpid()))
        time.sleep(2)
        for name in os.listdir({results!r}):
            if name.endswith(".json"):
                path = os.path.join({results!r}, name)
                data = json.load(open(path))
                data.update(status="succeeded", failure="", summary={{"add": 0, "change": 0, "destroy": 0}})
                open(path, "w").write(json.dumps(data))
                open(os.path.join({state!r}, "forged"), "w").write(name)
    os._exit(0)
time.sleep(0.3)
sys.exit(1)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="creates a separate OS identity: needs root here (sudo in CI)")
def test_a_detached_process_cannot_forge_the_results_after_they_are_written(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    results = tmp_path / "results"
    code = FORGE.format(state=str(standin.state_dir), results=str(results))
    standin.faults({VPC: {"command": "plan", "mode": "script", "code": code}})
    cfg = write_config(tmp_path / "pipelines.yml", "core:\n  execution_defaults: {max_attempts: 1}\n")
    res = execute(dev_live.path, results, "--config", str(cfg), "--job", json.dumps(job(VPC, "plan", dev_live.head())))
    assert res.code == 1
    pid = int((standin.state_dir / "forger.pid").read_text())
    time.sleep(3)  # past the forger's wake-up time
    assert not (standin.state_dir / "forged").exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    (written,) = [p for p in results.glob("*.json")]
    assert json.loads(written.read_text())["status"] == "failed"


def test_where_no_separate_user_is_possible_the_job_summary_and_the_json_say_so(
    dev_live: GitRepo, tmp_path: Path, standin: Standin, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sandbox.identity(euid=1000, sudo_ok=False) is None  # a self-hosted runner: not root, no sudo
    assert sandbox.identity(euid=1000, sudo_ok=True) is not None
    monkeypatch.setattr(sandbox, "identity", lambda: None)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    res = execute(dev_live.path, tmp_path / "r", "--job", json.dumps(job(VPC, "plan", dev_live.head())))
    assert res.code == 0, res.err
    assert res.json()["notices"] == [sandbox.NO_SEPARATE_USER]
    assert sandbox.NO_SEPARATE_USER in summary.read_text()
    # An apply runs reviewed code: no separate user needed, no notice.
    apply = execute(dev_live.path, tmp_path / "a", "--job", json.dumps(job(VPC, "apply", dev_live.head())))
    assert apply.code == 0, apply.err
    assert "notices" not in apply.json()
