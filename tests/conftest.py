from __future__ import annotations

from pathlib import Path

import pytest

from tests.gitrepo import GitRepo

pytest_plugins = ["pytester", "tests.github_fixtures", "tests.aws_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
LIVE_TEMPLATE = ROOT / "infrastructure-live-template"


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    return GitRepo.init(tmp_path / "live")
