"""The action's install benchmark (issue 15): runs the `venv` and `install` steps of action.yml exactly as written,
with bash, on this machine, and times them (targets: under 15 s cold, under 5 s warm).

* cold: an empty runner temp directory and no pip cache: the locked wheels are downloaded from PyPI (checked
  against their sha256), a venv made and filled, gwpipelines built from the action's checkout;
* warm: the wheels restored by actions/cache (here: the directory the cold run filled), a new job's venv;
* reuse: a second step of the same job, which finds the venv ready and installs nothing.

The action's checkout is a copy of this repository's action files in a temp directory, as the runner downloads it.
The cache restore itself (a GitHub download) is not timed here.

    .venv/bin/python bench/install.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"cold": 15.0, "warm": 5.0, "reuse": 1.0}
# What the runner downloads of the action: everything the install steps read.
ACTION_FILES = ("action.yml", "action-requirements.txt", "pyproject.toml", "README.md", "LICENSE", "src")


@dataclass
class Step:
    outcome: int
    outputs: dict[str, str]
    seconds: float
    cpu: float  # user + sys of the step's processes: steadier than wall time on a shared machine
    log: str


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def action_copy(dest: Path) -> Path:
    """The action as the runner has it: its files, without build leftovers or caches."""
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in ACTION_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=ignore)
        else:
            shutil.copy2(source, dest / name)
    return dest


def step_script(step_id: str) -> str:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    for step in action["runs"]["steps"]:
        if step.get("id") == step_id:
            return str(step["run"])
    raise KeyError(step_id)


def python_for_steps() -> str:
    """What actions/setup-python's `python-path` names: a base interpreter with pip, not a venv's."""
    base = getattr(sys, "_base_executable", sys.executable)
    done = subprocess.run([base, "-m", "pip", "--version"], capture_output=True)
    return base if done.returncode == 0 else sys.executable


def run_step(step_id: str, env: dict[str, str], temp: Path) -> Step:
    output = temp / f"output-{step_id}-{time.monotonic_ns()}"
    output.touch()
    started, cpu = time.monotonic(), _children_cpu()
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step_script(step_id)],
        env={**env, "GITHUB_OUTPUT": str(output)},
        capture_output=True,
        text=True,
    )
    seconds, cpu = time.monotonic() - started, _children_cpu() - cpu
    outputs = dict(line.partition("=")[::2] for line in output.read_text().splitlines() if "=" in line)
    return Step(done.returncode, outputs, seconds, cpu, done.stdout + done.stderr)


@dataclass
class Job:
    """One job's runner: its temp directory and environment."""

    action: Path
    runner_temp: Path
    python: str
    pip_env: dict[str, str]

    def env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_", "PIP_NO_CACHE"))}
        return {**base, **self.pip_env, "RUNNER_TEMP": str(self.runner_temp), "RUNNER_OS": "Linux"}

    def find(self) -> Step:
        env = {**self.env(), "PYTHON": self.python, "ACTION_PATH": str(self.action)}
        return run_step("venv", env, self.runner_temp)

    def install(self, found: Step, *, cache_hit: bool) -> Step:
        env = {
            **self.env(),
            "PYTHON": self.python,
            "ACTION_PATH": str(self.action),
            "VENV": found.outputs["path"],
            "WHEELS": found.outputs["wheels"],
            "CACHE_HIT": "true" if cache_hit else "",
        }
        return run_step("install", env, self.runner_temp)


def measure(work: Path, *, pip_cache: bool = False) -> dict[str, tuple[float, float]]:
    """One cold job, one warm job (the cold job's wheels restored), and a second step of the warm job."""
    action = action_copy(work / "action")
    python = python_for_steps()
    pip_env = {} if pip_cache else {"PIP_NO_CACHE_DIR": "1"}
    cold_temp, warm_temp = work / "cold", work / "warm"
    cold_temp.mkdir()
    warm_temp.mkdir()
    cold = Job(action, cold_temp, python, pip_env)
    found = cold.find()
    installed = cold.install(found, cache_hit=False)
    check(installed, "cold install")
    # actions/cache restores the wheels directory at the same path in the next job's runner temp.
    warm = Job(action, warm_temp, python, pip_env)
    warm_found = warm.find()
    shutil.copytree(found.outputs["wheels"], warm_found.outputs["wheels"])
    warm_installed = warm.install(warm_found, cache_hit=True)
    check(warm_installed, "warm install")
    again = warm.find()
    if again.outputs.get("ready") != "true":
        raise SystemExit("the second step did not find the venv ready")
    return {
        "cold": (found.seconds + installed.seconds, found.cpu + installed.cpu),
        "warm": (warm_found.seconds + warm_installed.seconds, warm_found.cpu + warm_installed.cpu),
        "reuse": (again.seconds, again.cpu),
    }


def check(step: Step, what: str) -> None:
    if step.outcome != 0:
        raise SystemExit(f"{what} failed:\n{step.log}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="gwpipelines-install-") as work:
            for name, figures in measure(Path(work)).items():
                best[name] = min(figures, best.get(name, figures))
    failed = False
    load = os.getloadavg()[0]
    for name, (seconds, cpu) in best.items():
        ok = seconds < TARGETS[name]
        failed = failed or not ok
        verdict = "ok" if ok else "OVER"
        print(f"{name:>5}: {seconds:6.2f} s wall, {cpu:5.2f} s CPU (target < {TARGETS[name]:.0f} s) {verdict}")
    print(f"load average {load:.1f} on {os.cpu_count()} cores")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
