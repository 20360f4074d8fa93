"""Golden files: expected output kept in `tests/golden/`, compared byte for byte.

Run with `GWPIPELINES_UPDATE_GOLDENS=1` to rewrite them after an intended change, then review the diff.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

GOLDEN_DIR = Path(__file__).parent / "golden"


def assert_golden(name: str, actual: str) -> None:
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
