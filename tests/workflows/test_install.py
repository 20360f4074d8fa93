"""The action's install steps, run for real (bench/install.py times them): a fresh venv gets exactly the locked,
hashed set; a tampered cached wheel is refused; a second step of the job reuses the venv. And the packaging facts
the lock and the release rely on: one version source, every direct dependency locked."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import gwpipelines
from bench.install import Job, action_copy, measure, python_for_steps
from testing.actions.workflows import ROOT

LOCK = ROOT / "action-requirements.txt"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)(?: ;.*)? \\$")


def locked() -> dict[str, str]:
    """name -> version of every pin in the lock, each of which must carry at least one sha256."""
    pins, lines = {}, LOCK.read_text().splitlines()
    for i, line in enumerate(lines):
        m = PIN.match(line)
        if m:
            assert lines[i + 1].strip().startswith("--hash=sha256:"), f"{m['name']} has no hash"
            pins[m["name"].lower().replace("_", "-")] = m["version"]
    return pins


def test_every_direct_dependency_is_locked_at_a_version_it_allows() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = locked()
    for text in project["dependencies"]:
        req = Requirement(text)
        name = req.name.lower().replace("_", "-")
        assert name in pins, f"{name} is not in {LOCK.name}: run ./scripts/lock"
        assert req.specifier.contains(pins[name]), f"{name}=={pins[name]} does not satisfy {text}: run ./scripts/lock"
    assert "setuptools" in pins  # the action builds gwpipelines without build isolation


def test_the_version_has_one_source() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    assert importlib.metadata.version("gwpipelines") == gwpipelines.__version__
    assert importlib.metadata.metadata("gwpipelines")["License-Expression"] == "Apache-2.0"


@pytest.mark.slow
def test_a_fresh_venv_gets_the_locked_set_and_a_second_step_reuses_it(tmp_path: Path) -> None:
    figures = measure(tmp_path, pip_cache=True)
    venv = next((tmp_path / "warm").glob("gwpipelines-venv-*"))
    python = venv / "bin" / "python"
    version = subprocess.run([python, "-m", "gwpipelines", "--version"], capture_output=True, text=True)
    assert version.returncode == 0 and gwpipelines.__version__ in version.stdout, version.stderr
    freeze = subprocess.run([python_for_steps(), "-m", "pip", "--python", python, "list", "--format", "freeze"],
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    installed = {
        name.lower().replace("_", "-"): version
        for name, _, version in (line.partition("==") for line in freeze.splitlines() if "==" in line)
    }
    assert installed.pop("gwpipelines") == gwpipelines.__version__
    assert installed == locked()  # exactly the lock: nothing resolved at run time, nothing extra
    # Found ready by a later step of the same job: no install at all (bench/install.py holds the timing targets).
    assert figures["reuse"][0] < 2


@pytest.mark.slow
def test_a_tampered_cached_wheel_is_refused(tmp_path: Path) -> None:
    action = action_copy(tmp_path / "action")
    (tmp_path / "temp").mkdir()
    job = Job(action, tmp_path / "temp", python_for_steps(), {})
    found = job.find()
    wheels = Path(found.outputs["wheels"])
    # What a poisoned cache entry would hold: the locked file names, other bytes.
    download = [python_for_steps(), "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
    subprocess.run([*download, "--dest", wheels, "-r", LOCK, "--require-hashes"], check=True, capture_output=True)
    six = next(wheels.glob("six-*.whl"))
    six.write_bytes(six.read_bytes() + b"\0")
    installed = job.install(found, cache_hit=True)
    assert installed.outcome != 0
    assert "hash" in installed.log.lower() and "six" in installed.log
    assert not (Path(found.outputs["path"]) / ".gwpipelines-ready").exists()
