"""Fixtures for the contract tests: the executor tests' stand-in terragrunt and live repos, shared as they are."""

from __future__ import annotations

from tests.executor.conftest import dev_live, standin

__all__ = ["dev_live", "standin"]
