"""What every contract test checks of a command's output: JSON alone on stdout, one line on stderr for an error,
and the types DESIGN.md's "Command-line contract" lists, key by key."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from testing import ROOT
from testing.cli import Result


def is_sha(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 40 and all(c in "0123456789abcdef" for c in value)


def only_json(res: Result) -> Any:
    """stdout is one JSON document and nothing else (json.loads refuses anything before or after it)."""
    assert res.out.strip(), f"nothing on stdout; stderr: {res.err}"
    return json.loads(res.out)


def one_error_line(res: Result, code: int, *words: str) -> str:
    """A refusal: the exit code, nothing on stdout, exactly one line on stderr naming what and where."""
    assert res.code == code, (res.code, res.out, res.err)
    assert res.out == "", res.out
    lines = res.err.splitlines()
    assert len(lines) == 1, res.err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def keys(value: dict[str, Any], expected: list[str], harmless_extra: tuple[str, ...] = ()) -> None:
    """Every key the contract lists is there, in its order; any other key is one we chose to allow."""
    present = [k for k in value if k in expected]
    assert present == expected, (list(value), expected)
    extra = set(value) - set(expected)
    assert extra <= set(harmless_extra), extra


def subprocess_run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, input_text: str | None = None
) -> Result:
    """The CLI as a separate process: what a child process (git, terragrunt) writes to fd 1 would show up here,
    where the in-process runner only sees Python's sys.stdout."""
    proc = subprocess.run(
        [sys.executable, "-m", "gwpipelines", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})},
        input=input_text,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)
