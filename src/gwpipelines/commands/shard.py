"""`gwpipelines shard --jobs-file F [--config pipelines.yml] [--durations FILE]`: a pipelines run's legs.

The pipelines workflow's first job runs it (no pull-request code has run yet) to fan one run's jobs out over
`core.max_runners_per_wave` runners per account (see gwpipelines.shards). The jobs are validated as `execute` will
validate them again; the durations file (`{unit: seconds}` from earlier runs' results) only weighs the balance, so
a file that cannot be read or makes no sense is a warning, never a failure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from gwpipelines import shards
from gwpipelines.commands._options import emit_json, format_option, log, repo_option
from gwpipelines.commands._results import config_option, load_config, stdin_text
from gwpipelines.errors import UserError
from gwpipelines.executor import gate

MAX_DURATIONS_BYTES = 4_000_000  # 20,000 unit paths with their seconds take well under 2 MB


@click.command("shard")
@repo_option  # every command takes --repo (DESIGN.md); the legs depend on the jobs alone, not on a checkout
@format_option("json", "text", default="json")
@click.option("--jobs-file", required=True, help="A JSON file of jobs (a list, or orchestrate's output); - for stdin.")
@config_option
@click.option(
    "--durations",
    "durations_file",
    default=None,
    envvar="GWPIPELINES_DURATIONS",  # how the pipelines workflow passes it through the composite action
    help="A JSON file {unit: seconds} of earlier runs (or $GWPIPELINES_DURATIONS); missing: balance by count.",
)
def command(repo: str, fmt: str, jobs_file: str, config_path: str | None, durations_file: str | None) -> None:
    """Split a run's jobs across runners: one leg per account and shard."""
    if jobs_file == "-":
        text, source = stdin_text(), "stdin"
    else:
        try:
            text, source = Path(jobs_file).read_text(), jobs_file
        except OSError as e:
            raise UserError(f"{jobs_file}: cannot read the jobs file: {e.strerror}") from None
    jobs = gate.parse(text, source)
    n = load_config(config_path).core.max_runners_per_wave
    legs = shards.legs(jobs, n, _durations(durations_file) if durations_file else None)
    if fmt == "json":
        emit_json({"legs": [leg.to_json() for leg in legs]})
    else:
        for leg in legs:
            click.echo(f"{leg.leg}: {len(leg.jobs)} job(s): {' '.join(leg.jobs)}")


def _durations(path: str) -> dict[str, float]:
    data: Any = None
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_DURATIONS_BYTES + 1)
        if len(raw) > MAX_DURATIONS_BYTES:
            log(f"warning: {path}: over {MAX_DURATIONS_BYTES} bytes; ignored, the jobs are balanced by count")
            return {}
        data = json.loads(raw)
    except FileNotFoundError:
        return {}  # no run has saved durations yet
    except (OSError, ValueError, RecursionError) as e:
        log(f"warning: {path}: not a readable JSON file ({type(e).__name__}); ignored, the jobs are balanced by count")
        return {}
    kept, why = shards.durations(data)
    if why:
        log(f"warning: {path}: {why}")
    return kept
