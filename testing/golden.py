"""Golden files: expected output kept in `tests/golden/`, compared byte for byte.

Run with `GWPIPELINES_UPDATE_GOLDENS=1` to rewrite them after an intended change, then review the diff.
Commits made from the live template get new shas whenever the template changes; `commits` names them so a golden
holds `<head>` rather than a sha, and only a change in what is printed shows up as a diff.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping

from testing import GOLDEN_DIR


def with_placeholders(text: str, commits: Mapping[str, str]) -> str:
    """Each full sha, then its 12-character short form, replaced by `<name>`."""
    for name, sha in commits.items():
        text = text.replace(sha, f"<{name}>").replace(sha[:12], f"<{name}>")
    return text


def assert_golden(name: str, actual: str, commits: Mapping[str, str] | None = None) -> None:
    actual = with_placeholders(actual, commits or {})
    path = GOLDEN_DIR / name
    if os.environ.get("GWPIPELINES_UPDATE_GOLDENS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual)
        return
    assert path.exists(), f"{path} is missing: run the tests with GWPIPELINES_UPDATE_GOLDENS=1 and review it"
    expected = path.read_text()
    if actual != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), str(path), "actual"))
        raise AssertionError(f"output differs from {path}:\n{diff}")
