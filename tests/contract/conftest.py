"""Fixtures for the contract tests: the executor tests' stand-in terragrunt and live repos, and the dispatch tests'
GitHub server environment, shared as they are."""

from __future__ import annotations

from tests.dispatch.conftest import env
from tests.executor.conftest import dev_live, standin

__all__ = ["dev_live", "env", "standin"]
