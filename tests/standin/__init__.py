"""The stand-in terragrunt/tofu (see terragrunt.py) and how tests point the executor at it.

Plan runs start their tools as a separate, unprivileged OS identity (gwpipelines.executor.sandbox), so the stand-in
must be runnable and its state folder (its "remote backend", shared by plans and applies) writable by any user:
`env()` gives the environment for that."""

from __future__ import annotations

import stat
import subprocess
import sys
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
    """`path` (created) writable by every user, and its ancestors passable (x only): test temp trees are 0700."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o777)
    for parent in path.parents:
        mode = parent.stat().st_mode
        if mode & stat.S_IXOTH:
            break
        parent.chmod(mode | stat.S_IXGRP | stat.S_IXOTH)
    return path


def env(state: Path) -> dict[str, str]:
    """The variables that run the stand-in with `state` as its state folder (BIN must be first on PATH too)."""
    return {
        "GWPIPELINES_STANDIN_PYTHON": tool_python(),
        "PYTHONPATH": site_packages(),  # for tests' own scripts run as plan steps
        "STANDIN_SITE_PACKAGES": site_packages(),  # for the stand-in, even where PYTHONPATH is overridden
        "STANDIN_STATE_DIR": str(shared_dir(state)),
    }
