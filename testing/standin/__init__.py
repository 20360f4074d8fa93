"""The stand-in terragrunt/tofu (see terragrunt.py) and how tests point the executor at it.

Plan runs start their tools as a separate, unprivileged OS identity (gwpipelines.executor.sandbox), so the stand-in
must be runnable and its state folder (its "remote backend", shared by plans and applies) writable by any user:
`env()` gives the environment for that."""

from __future__ import annotations

import atexit
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

BIN = Path(__file__).parent / "bin"


@cache
def tool_python() -> str:
    """An interpreter any user can run: this venv's may live under a home only root may enter (pyenv), so the
    system's Python of the same version, with this venv's packages on PYTHONPATH (see env())."""
    system = Path("/usr/bin/python3")
    if system.is_file():
        version = subprocess.run(
            [str(system), "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if version == str(sys.version_info[:2]):
            return str(system)
    return sys.executable


def site_packages() -> str:
    return next(p for p in sys.path if p.endswith("site-packages") and p.startswith(sys.prefix))


def shared_dir(path: Path) -> Path:
    """A folder every user can write, reachable as `path`: outside pytest's temporary tree, whose root pytest
    makes private again whenever a session starts (another test run on this machine would lock the tools out
    mid-test); `path` becomes a symbolic link to it. Removed when the test process ends."""
    real = Path(tempfile.mkdtemp(prefix="gwpipelines-standin-state-"))
    real.chmod(0o777)
    atexit.register(shutil.rmtree, real, True)
    if path.is_dir() and not any(path.iterdir()):
        path.rmdir()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(real, target_is_directory=True)
    return real


def env(state: Path) -> dict[str, str]:
    """The variables that run the stand-in with `state` as its state folder (BIN must be first on PATH too)."""
    return env_for(shared_dir(state))


def env_for(shared_state: Path) -> dict[str, str]:
    """As `env`, for a state folder `shared_dir` already made."""
    return {
        "GWPIPELINES_STANDIN_PYTHON": tool_python(),
        "PYTHONPATH": site_packages(),  # for tests' own scripts run as plan steps
        "STANDIN_SITE_PACKAGES": site_packages(),  # for the stand-in, even where PYTHONPATH is overridden
        "STANDIN_STATE_DIR": str(shared_state),
    }
