"""scripts/release on a scratch copy of this repository (a real git repo, real commits): the chain of pins, the
tag, the wheel, and init's default afterwards."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gwpipelines import __version__
from testing.actions.workflows import OWN_REPO, ROOT, uses_lines
from tests.workflows.test_pins import pin_findings

pytestmark = pytest.mark.slow
TAG = f"v{__version__}"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """This working tree's files (tracked and new, nothing ignored) committed in a new repository."""
    repo = tmp_path / "gwpipelines"
    listed = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    for rel in filter(None, listed.split("\0")):
        source = ROOT / rel
        if source.is_file():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / rel)
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "the release's code")
    git(repo, "config", "user.name", "t")
    git(repo, "config", "user.email", "t@example.com")
    return repo


def release(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = repo / "scripts" / "release"
    return subprocess.run([sys.executable, str(script), *args], cwd=repo, capture_output=True, text=True)


def own_refs(path: Path) -> list[tuple[str, str]]:
    return [(ref.partition("@")[2], comment) for _, ref, comment in uses_lines(path) if ref.startswith(OWN_REPO)]


def test_release_pins_the_chain_tags_and_builds(scratch: Path) -> None:
    action_sha = git(scratch, "rev-parse", "HEAD")
    done = release(scratch, __version__)
    assert done.returncode == 0, done.stderr
    head = git(scratch, "rev-parse", "HEAD")
    assert git(scratch, "rev-parse", f"{TAG}^{{commit}}") == head
    workflows_sha = git(scratch, "rev-parse", "HEAD~1")
    assert git(scratch, "rev-parse", "HEAD~2") == action_sha
    # The reusable workflows call the action at the release's code; the templates call the reusable workflows at
    # the commit whose workflows do that; every pin carries the tag as its comment and passes the pin rules.
    for name in ("live.yml", "pipelines.yml", "drift.yml"):
        refs = own_refs(scratch / ".github/workflows" / name)
        assert refs and set(refs) == {(action_sha, TAG)}
    callers = [
        scratch / "infrastructure-live-template/.github/workflows/gwpipelines.yml",
        scratch / "infrastructure-live-template/.github/workflows/gwpipelines-drift.yml",
        scratch / "infrastructure-pipelines-template/.github/workflows/pipelines.yml",
    ]
    for caller in callers:
        assert set(own_refs(caller)) == {(workflows_sha, TAG)}
        assert pin_findings(caller) == []
    assert (
        f"/gwpipelines/gwpipelines/{workflows_sha}/schemas/"
        in (scratch / "infrastructure-live-template/accounts.yml").read_text()
    )
    # B and C change only pins: the code at the tag is the code of A.
    changed = git(scratch, "diff", "--name-only", action_sha, head).splitlines()
    assert set(changed) <= {
        ".github/workflows/live.yml",
        ".github/workflows/pipelines.yml",
        ".github/workflows/drift.yml",
        "infrastructure-live-template/.github/workflows/gwpipelines.yml",
        "infrastructure-live-template/.github/workflows/gwpipelines-drift.yml",
        "infrastructure-live-template/accounts.yml",
        "infrastructure-pipelines-template/.github/workflows/pipelines.yml",
        "infrastructure-pipelines-template/pipelines.yml",
        "src/gwpipelines/release.py",
    }
    wheel = scratch / "dist" / f"gwpipelines-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as whl:
        released = whl.read("gwpipelines/release.py").decode()
        assert f'WORKFLOWS_REF = "{workflows_sha}"  # {TAG}' in released
        assert any(n.startswith("gwpipelines/templates/account-baseline/") for n in whl.namelist())
        metadata = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
        assert "License-Expression: Apache-2.0" in whl.read(metadata).decode()
    # init in the released tree defaults to that commit, with the tag as the comment.
    init = subprocess.run(
        [sys.executable, "-c", "import sys; from gwpipelines.cli import main; sys.exit(main())", "init", "live",
         str(scratch.parent / "live"), "--org", "acme"],
        capture_output=True, text=True, env={"PYTHONPATH": str(scratch / "src"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    written = scratch.parent / "live/.github/workflows/gwpipelines.yml"
    assert own_refs(written) == [(workflows_sha, TAG)]


def test_release_refuses_a_dirty_tree_a_wrong_version_and_a_second_run(scratch: Path) -> None:
    wrong = release(scratch, "9.9.9", "--no-build")
    assert wrong.returncode == 2 and "__version__" in wrong.stderr
    (scratch / "README.md").write_text("changed\n")
    dirty = release(scratch, __version__, "--no-build")
    assert dirty.returncode == 2 and "uncommitted" in dirty.stderr
    git(scratch, "checkout", "-q", "README.md")
    assert release(scratch, __version__, "--no-build").returncode == 0
    again = release(scratch, __version__, "--no-build")
    assert again.returncode == 2 and "already exists" in again.stderr
