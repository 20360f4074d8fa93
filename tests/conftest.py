from __future__ import annotations

from pathlib import Path

import pytest

from testing.gitrepo import GitRepo

pytest_plugins = [
    "pytester",
    "testing.github_fixtures",
    "testing.aws_fixtures",
    "testing.executor_fixtures",
    "testing.account_fixtures",
    "testing.dispatch_fixtures",
]


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    return GitRepo.init(tmp_path / "live")
