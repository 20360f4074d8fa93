"""Where jobs run and what they leave: a detached worktree of the live repo per commit, and the results folder
(one result file and one log per job)."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from gwpipelines import git
from gwpipelines.errors import GitError
from gwpipelines.github.actions import Runner
from gwpipelines.models.results import JobResult


@contextmanager
def checkouts(repo: Path, refs: list[str]) -> Iterator[dict[str, Path]]:
    """A detached worktree of the live repo per commit, removed afterwards: each job sees its commit's files only."""
    root = Path(tempfile.mkdtemp(prefix="gwpipelines-checkouts-"))
    trees: dict[str, Path] = {}
    try:
        for ref in refs:
            path = root / ref[:12]
            git.run(repo, "worktree", "add", "--detach", "--force", "--quiet", str(path), ref)
            trees[ref] = path
        yield trees
    finally:
        for path in trees.values():
            with suppress(GitError):
                git.run(repo, "worktree", "remove", "--force", str(path))
        shutil.rmtree(root, ignore_errors=True)
        git.run(repo, "worktree", "prune")


def default_results_dir(environ: Mapping[str, str] = os.environ) -> Path:
    base = Runner.from_mapping(environ).temp
    return Path(base) / "gwpipelines-results" if base else Path("gwpipelines-results")


def prepare_results_dir(results_dir: Path) -> Path:
    """The results folder with its `logs/`; returns the logs folder."""
    logs = results_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    return logs


def safe_name(job_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", job_id)[:200]


def log_path(results_dir: Path, job_id: str) -> Path:
    return results_dir / "logs" / f"{safe_name(job_id)}.log"


def write_result_file(results_dir: Path, result: JobResult, detail: Mapping[str, Any]) -> Path:
    path = results_dir / f"{safe_name(result.id)}.json"
    data = {**result.to_json(), **detail}
    data.pop("log", None)  # the whole log is at log_path
    path.write_text(json.dumps(data, indent=2) + "\n")
    return path


def now() -> str:
    stamp = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp)) + f".{int(stamp * 1000) % 1000:03d}Z"
