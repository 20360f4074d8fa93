"""Pytest plugin: the `github_server` fixture (a local GitHub API held to GitHub's OpenAPI description)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testing.github_server import GitHubServer


@pytest.fixture
def github_server() -> Iterator[GitHubServer]:
    """A fresh server per test; any request or response that breaks GitHub's description fails the test."""
    server = GitHubServer().start()
    try:
        yield server
    finally:
        server.stop()
    if server.violations:
        pytest.fail(
            "the GitHub test server saw requests/responses that break GitHub's OpenAPI description:\n"
            + "\n".join(server.violations),
            pytrace=False,
        )
