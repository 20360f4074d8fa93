"""Privilege separation for plan runs (pull-request code): every tool runs as a separate unprivileged OS identity
(a fresh uid/gid per run, so that killing by uid touches nothing else), in its own session, with its own HOME; the
checkouts are handed to it, the results folder and the workflow-command files are not. Before any result is
written, every process of that uid is killed, detached ones included, so none can rewrite results afterwards.

As root the ids are set directly; otherwise `sudo -n` is used when allowed (GitHub-hosted runners). Where neither
is possible (a self-hosted runner without sudo), the run goes on as the executor's own user and says so: a notice
in the job summary and in the execute JSON (`notices`), shown in the pull-request comment."""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gwpipelines.extensions import runas
from gwpipelines.extensions.runas import RunAs
from gwpipelines.github.actions import WORKFLOW_COMMAND_FILES
from gwpipelines.models import MUTATING_ACTIONS, Job

# Workflow-command files: whoever writes them sets the job's env, PATH, outputs and summary.
WORKFLOW_FILES = WORKFLOW_COMMAND_FILES
# Ids no account on a runner uses; one fresh pair per run.
_ID_RANGE = (1_500_000_000, 1_999_999_999)

NO_SEPARATE_USER = (
    "plan tools ran as the executor's own OS user: no separate user is possible on this runner (not root, and "
    "`sudo -n` is not allowed); pull-request code in these plans could read this runner's environment and files"
)
DISABLED = "plan tools ran as the executor's own OS user: core.execution_defaults.isolate_plans is off in pipelines.yml"


@dataclass(frozen=True)
class Sandbox:
    run_as: RunAs
    home: Path
    handed: list[Path] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        return {"HOME": str(self.home), "TMPDIR": str(self.home / "tmp"), "USER": f"gwpipelines-{self.run_as.uid}"}

    def hand_over(self, path: Path) -> None:
        """Give the tool identity a checkout (it writes plan files and caches there); its parent only lets it pass
        through (the executor's own temporary files stay out of reach)."""
        path.parent.chmod(stat.S_IRWXU | stat.S_IXGRP | stat.S_IXOTH)
        _chown_tree(path, self.run_as)
        self.handed.append(path)


def is_plan_run(jobs: list[Job]) -> bool:
    """A batch with no mutating job runs pull-request code (plans of an unmerged commit)."""
    return not any(j.action in MUTATING_ACTIONS for j in jobs)


def can_sudo() -> bool:
    if shutil.which("sudo") is None:
        return False
    done = subprocess.run(["sudo", "-n", "true"], capture_output=True, check=False, timeout=30)
    return done.returncode == 0


def identity(euid: int | None = None, sudo_ok: bool | None = None) -> RunAs | None:
    """A fresh identity to run tools as, or None when this runner cannot provide one."""
    euid = os.geteuid() if euid is None else euid
    uid = _ID_RANGE[0] + secrets.randbelow(_ID_RANGE[1] - _ID_RANGE[0])
    if euid == 0:
        return RunAs(uid, uid, sudo=False)
    if sudo_ok if sudo_ok is not None else can_sudo():
        return RunAs(uid, uid, sudo=True)
    return None


@contextmanager
def for_run(
    jobs: list[Job], enabled: bool, results_dir: Path, environ: Mapping[str, str], notices: list[str]
) -> Iterator[Sandbox | None]:
    """The sandbox of a plan run (None for a run of reviewed code, or when impossible: then a notice is added).
    Tools started meanwhile run as its identity; on exit every process of it is killed."""
    _private(results_dir)
    if not is_plan_run(jobs):
        yield None
        return
    who = identity() if enabled else None
    if who is None:
        notices.append(NO_SEPARATE_USER if enabled else DISABLED)
        yield None
        return
    _protect_workflow_files(environ)
    home = Path(tempfile.mkdtemp(prefix="gwpipelines-tool-home-"))
    (home / "tmp").mkdir()
    box = Sandbox(who, home)
    _chown_tree(home, who)
    runas.set_current(who)
    try:
        yield box
    finally:
        runas.set_current(None)
        who.kill_all()
        _remove(home, who)


def end(box: Sandbox | None) -> None:
    """Kill every process of the sandbox's identity now (before results are written, before the checkouts are
    removed); idempotent."""
    if box is None:
        return
    box.run_as.kill_all()
    if box.run_as.sudo:  # through sudo the executor cannot remove files it does not own: take the checkouts back
        for path in box.handed:
            subprocess.run(
                ["sudo", "-n", "chown", "-R", f"{os.geteuid()}:{os.getegid()}", str(path)], check=False, timeout=300
            )


def _private(path: Path) -> None:
    """The results folder: readable and writable by the executor's user only."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(stat.S_IRWXU)


def _protect_workflow_files(environ: Mapping[str, str]) -> None:
    for name in WORKFLOW_FILES:
        target = environ.get(name)
        if not target:
            continue
        p = Path(target)
        try:
            if p.is_file() and p.stat().st_uid == os.geteuid():
                p.chmod(stat.S_IRUSR | stat.S_IWUSR)
        except OSError:
            continue


def _chown_tree(path: Path, who: RunAs) -> None:
    if who.sudo:
        subprocess.run(["sudo", "-n", "chown", "-R", f"{who.uid}:{who.gid}", str(path)], check=True, timeout=300)
        return
    os.chown(path, who.uid, who.gid)
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(root, name), who.uid, who.gid)


def _remove(path: Path, who: RunAs) -> None:
    if who.sudo:
        subprocess.run(["sudo", "-n", "rm", "-rf", "--", str(path)], check=False, timeout=300)
    else:
        shutil.rmtree(path, ignore_errors=True)
