"""Drive an extension through its whole lifecycle in a few lines, the way the executor does: for extension
authors' tests (and ours). The extension is checked as the loader checks it, its config validated from plain
settings, then constructed, initialized, executed, asked for its outputs and cleaned up (always).

    from gwpipelines.extensions.testing import drive
    done = drive(MyExtension, checkout=tmp_path, unit="app", action="plan", settings={"max_destroy": 0})
    assert done.outcome.ok, done.log
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gwpipelines.extensions import loader
from gwpipelines.extensions.base import Extension, ExtensionConfig, ExtensionError, Outcome, Step


@dataclass
class Driven:
    """What one lifecycle produced: the outcome, the output data (empty when it failed) and every log line."""

    outcome: Outcome
    outputs: dict[str, Any]
    log: list[str] = field(default_factory=list)
    cleaned_up: bool = False


def drive(
    cls: type[Extension],
    *,
    checkout: Path,
    unit: str | None = "unit",
    action: str = "plan",
    account: str | None = None,
    settings: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    inputs: Mapping[str, Mapping[str, Any]] | None = None,
    name: str = "under-test",
    timeout_seconds: int = 60,
) -> Driven:
    """Run `action` of `unit` with `cls`; `env` defaults to this process's environment. An `ExtensionError` from
    `initialize`/`execute` becomes a failed outcome, as in the executor; any other exception propagates (a test
    wants to see the bug)."""
    loader.check(name, cls, f"{cls.__module__}:{cls.__qualname__}")
    config: ExtensionConfig = cls.Config.model_validate({"name": name, **(settings or {})})
    lines: list[str] = []
    step = Step(
        action,
        unit,
        account,
        checkout,
        dict(os.environ if env is None else env),
        lines.append,
        timeout_seconds,
        inputs=dict(inputs or {}),
    )
    ext = cls(name, config, unit)
    driven = Driven(Outcome(ok=False, message="not run"), {}, lines)
    try:
        ext.initialize(step)
        driven.outcome = ext.execute(step)
        driven.outputs = ext.get_output_data() if driven.outcome.ok else {}
    except ExtensionError as e:
        driven.outcome = Outcome(ok=False, message=str(e))
    finally:
        ext.cleanup()
        driven.cleaned_up = True
    return driven
