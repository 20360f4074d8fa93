"""Run the `gwpipelines` CLI in-process, as a user would from a shell: exit code, stdout, stderr."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gwpipelines.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def run(*args: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as e:
            code = int(e.code or 0)
    return Result(code, out.getvalue(), err.getvalue())


def orchestrate_json(repo: Path, base: str, head: str, event: str) -> dict[str, Any]:
    """`orchestrate --format json` of a change, which must succeed: its answer."""
    res = run("orchestrate", "--repo", str(repo), "--base", base, "--head", head, "--event", event, "--format", "json")
    assert res.code == 0, res.err
    data: dict[str, Any] = res.json()
    return data
