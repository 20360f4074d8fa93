"""Fixtures for the executor's tests: the stand-in terragrunt first on PATH with its own state directory, and live
repos built from the template with real commits."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from testing import LIVE_TEMPLATE, STANDIN_BIN
from testing import standin as standin_env
from testing.cli import Result, run
from testing.gitrepo import GitRepo

TOOL_PYTHON = standin_env.tool_python()


@dataclass
class Standin:
    state_dir: Path
    monkeypatch: pytest.MonkeyPatch

    def faults(self, faults: dict[str, Any]) -> None:
        self.monkeypatch.setenv("STANDIN_FAULTS", json.dumps(faults))

    def state(self, unit: str) -> dict[str, Any] | None:
        path = self.state_dir / unit / "terraform.tfstate"
        return json.loads(path.read_text()) if path.is_file() else None

    def applied(self) -> list[str]:
        return sorted(str(p.parent.relative_to(self.state_dir)) for p in self.state_dir.rglob("terraform.tfstate"))


@pytest.fixture
def standin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Standin:
    """The stand-in first on PATH. Its state (the "remote backend") is shared by plans, whose tools run as a
    separate OS user, and applies, which run as this one: a folder both can write (see testing.standin.env)."""
    state = tmp_path / "standin-state"
    monkeypatch.setenv("PATH", f"{STANDIN_BIN}{os.pathsep}{os.environ['PATH']}")
    for key, value in standin_env.env(state).items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("STANDIN_FAULTS", raising=False)
    monkeypatch.delenv("STANDIN_DELAY", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return Standin(state.resolve(), monkeypatch)


@pytest.fixture
def live(tmp_path: Path) -> GitRepo:
    """infrastructure-live-template as the first commit on main."""
    return GitRepo.from_tree(LIVE_TEMPLATE, tmp_path / "live", message="Initial import of infrastructure-live")


def write_config(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


FAST_CONFIG = """
core:
  live_repo: acme/infrastructure-live
  execution_defaults:
    parallelism: 4
    max_attempts: 2
    timeout_seconds: 60
    retry_delay_seconds: 0
"""


def execute(repo: Path, results: Path, *args: str) -> Result:
    return run("execute", "--repo", str(repo), "--results-dir", str(results), "--format", "json", *args)


def execute_job(repo: GitRepo, results: Path, unit: str | None, action: str, *args: str) -> Result:
    """`execute` of one job, `action` of `unit` at the repo's HEAD, with `args` (e.g. --config) besides."""
    return execute(repo.path, results, *args, "--job", json.dumps(job(unit, action, repo.head())))


def job(unit: str | None, action: str, ref: str, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": f"{action}:{unit}",
        "unit": unit,
        "action": action,
        "ref": ref,
        "account": unit.split("/")[0] if unit else None,
        "change_types": ["ModuleChanged"],
        "wave": 0,
        "needs": [],
    }
    data.update(extra)
    return data


def git_out(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def dev_live(tmp_path: Path) -> GitRepo:
    """The template with only the non-prod account's dev environment, in two commits on main: the shared files
    (accounts.yml, root.hcl, env.hcl, ...), then the five units with the real DAG (app needs vpc, mysql, redis; mysql,
    redis and bastion need vpc). A push of HEAD~1..HEAD applies all five as new units of account non-prod."""
    src = tmp_path / "template"
    shutil.copytree(LIVE_TEMPLATE, src)
    shutil.rmtree(src / "prod")
    shutil.rmtree(src / "non-prod" / "us-east-1" / "qa")
    units = src / "non-prod" / "us-east-1" / "dev"
    held = tmp_path / "held"
    shutil.copytree(units, held)
    for unit in [p for p in units.iterdir() if p.is_dir()]:
        shutil.rmtree(unit)
    repo = GitRepo.from_tree(src, tmp_path / "live", message="Initial import: shared files")
    shutil.copytree(held, repo.path / "non-prod" / "us-east-1" / "dev", dirs_exist_ok=True)
    repo.commit("dev: vpc, mysql, redis, bastion, app")
    return repo


def commit_change(repo: GitRepo) -> str:
    """On a new branch `change` of `dev_live`: a bigger database (env.hcl), no bastion, a new sqs unit; returns the
    commit."""
    dev = "non-prod/us-east-1/dev"
    repo.git("checkout", "-q", "-b", "change")
    repo.write(f"{dev}/env.hcl", repo.read(f"{dev}/env.hcl").replace("db.t4g.micro", "db.t4g.small"))
    repo.delete(f"{dev}/bastion")
    repo.write(f"{dev}/sqs/terragrunt.hcl", 'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n')
    return repo.commit("dev: bigger db, no bastion, a queue")


def results_by_id(res: Result) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in res.json()["results"]}


def result_file(results: Path, job_id: str) -> dict[str, Any]:
    from gwpipelines.executor.workspace import safe_name

    data: dict[str, Any] = json.loads((results / f"{safe_name(job_id)}.json").read_text())
    return data
