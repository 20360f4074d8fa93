"""Fixtures for the dispatch tests (the contract tests share them through tests/contract/conftest.py)."""

from __future__ import annotations

import pytest

from testing.github_server import GitHubServer


@pytest.fixture
def env(github_server: GitHubServer, monkeypatch: pytest.MonkeyPatch) -> GitHubServer:
    """The local GitHub server, with the environment `gwpipelines dispatch` reads pointed at it."""
    monkeypatch.setenv("GITHUB_API_URL", github_server.url)
    monkeypatch.setenv("PIPELINES_DISPATCH_TOKEN", "dispatch-token")
    monkeypatch.setenv("GITHUB_TOKEN", "live-token")
    return github_server
