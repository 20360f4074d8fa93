"""Real GitHub webhook payloads from the pinned npm package `@octokit/webhooks-examples` (tests/npm)."""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

from testing import NPM

INDEX = NPM / "node_modules/@octokit/webhooks-examples/api.github.com/index.json"


@functools.cache
def _index() -> dict[str, list[dict[str, Any]]]:
    return {entry["name"]: entry["examples"] for entry in json.loads(INDEX.read_text())}


def examples(event: str) -> list[dict[str, Any]]:
    """Deep copies of every example payload of `event` (tests may edit them)."""
    return copy.deepcopy(_index()[event])
