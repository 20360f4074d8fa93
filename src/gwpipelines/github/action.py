"""The composite action's main step (`python -m gwpipelines.github.action`, see action.yml).

It reads the action's inputs from `GWP_*` environment variables (action.yml passes every input through `env:`,
never through the script text), maps them to the `gwpipelines` command line, runs it, and speaks to the Actions
runner through `actions`: step outputs, the job summary, `::group::` log folding and `::add-mask::` for the tokens.
The exit code is the command's, so a workflow sees 1 for a failed job and 2 for bad input; the outputs are written
first either way, so `if: always()` steps can still publish results.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gwpipelines import markdown
from gwpipelines.errors import UserError
from gwpipelines.github import actions
from gwpipelines.orchestrator.matrix import from_json_jobs

COMMANDS = ("orchestrate", "dispatch", "execute", "run", "drift", "dry-run", "shard")
# GitHub keeps at most 1 MB of outputs per job: a bigger value is left empty, with a warning, and the file holds it.
OUTPUT_LIMIT = 900_000
STATUS_BY_EXIT = {0: "success", 1: "failure"}


@dataclass(frozen=True)
class Inputs:
    command: str
    repo: str = "."
    base: str = ""
    head: str = ""
    event: str = ""
    jobs: str = ""
    jobs_file: str = ""
    config: str = ""
    live_repo: str = ""
    pipelines_repo: str = ""
    workflow: str = "pipelines.yml"
    ref: str = "main"
    pr: str = ""
    sha: str = ""
    dispatch_token: str = ""
    github_token: str = ""
    paths: str = ""  # drift: unit globs, one per line or space-separated
    plan_dependents: str = ""
    ignore: str = ""
    # dispatch's knobs, passed to the CLI only when given (its defaults stay the CLI's).
    batch: str = ""
    max_parallel_runs: str = ""
    timeout: str = ""
    poll_interval: str = ""
    new_comment_per_push: str = ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Inputs:
        values = {
            name: environ[f"GWP_{name.upper()}"].strip()
            for name in cls.__dataclass_fields__
            if environ.get(f"GWP_{name.upper()}", "").strip()
        }
        inputs = cls(**values)
        if inputs.command not in COMMANDS:
            raise UserError(f"action input `command`: {inputs.command!r} is not one of {', '.join(COMMANDS)}")
        return inputs


@dataclass(frozen=True)
class Call:
    """One run of the CLI: its arguments, and the file its JSON stdout is kept in."""

    argv: tuple[str, ...]
    output: Path


def calls_for(inputs: Inputs, workdir: Path) -> list[Call]:
    """The `gwpipelines` command lines for the inputs (pure: files are named, not written)."""
    c = inputs.command
    if c == "orchestrate":
        diff = ("--repo", inputs.repo, *_required(inputs, "base", "head", "event"), *_orchestrate_options(inputs))
        # One run: the matrix output is derived from its JSON (orchestrator.matrix.from_json_jobs).
        return [Call(("orchestrate", *diff, "--format", "json"), workdir / "orchestrate.json")]
    if c == "dispatch":
        argv = [
            "dispatch",
            "--jobs-file",
            str(jobs_file(inputs, workdir)),
            *_required(inputs, "live_repo", "pipelines_repo"),
            "--workflow",
            inputs.workflow,
            "--ref",
            inputs.ref,
        ]
        if inputs.pr:
            argv += ["--pr", inputs.pr]
        elif inputs.sha:
            argv += ["--sha", inputs.sha]
        return [Call((*argv, *_dispatch_knobs(inputs), "--format", "json"), workdir / "dispatch.json")]
    if c == "dry-run":
        diff = ("--repo", inputs.repo, *_required(inputs, "base", "head", "event"))
        return [Call(("dry-run", *diff, "--format", "json"), workdir / "dry-run.json")]
    config = ["--config", inputs.config] if inputs.config else []
    if c == "drift":
        return [Call(tuple(drift_argv(inputs, config)), workdir / "drift.json")]
    if c == "shard":  # a pipelines run's legs (gwpipelines.shards); durations: $GWPIPELINES_DURATIONS, if set
        shard = ("shard", "--jobs-file", str(jobs_file(inputs, workdir)), *config, "--format", "json")
        return [Call(shard, workdir / "shard.json")]
    if c == "execute":
        argv = ["execute", "--repo", inputs.repo, "--jobs-file", str(jobs_file(inputs, workdir)), *config]
        argv += ["--pr", inputs.pr] if inputs.pr else []
        # The executor refuses jobs from another live repository than pipelines.yml's core.live_repo.
        argv += ["--live-repo", inputs.live_repo] if inputs.live_repo else []
    else:
        argv = ["run", "--repo", inputs.repo, *_required(inputs, "base", "head", "event"), *config]
        # Single-repo mode reports in process, like the dispatcher: the sticky comment (--pr) or issues (push).
        argv += ["--live-repo", inputs.live_repo] if inputs.live_repo else []
        argv += ["--pr", inputs.pr] if inputs.pr and inputs.live_repo else []
    return [Call((*argv, "--format", "json"), workdir / "results.json")]


def drift_argv(inputs: Inputs, config: list[str]) -> list[str]:
    """Every unit at the tip (or those `paths` covers) planned in the pipelines repo; drift issues in the live one."""
    argv = ["drift", "--repo", inputs.repo, *config, *_required(inputs, "live_repo", "pipelines_repo")]
    argv += ["--workflow", inputs.workflow, "--ref", inputs.ref]
    for glob in inputs.paths.split():
        argv += ["--path", glob]
    argv += ["--poll-interval", inputs.poll_interval] if inputs.poll_interval else []
    return [*argv, "--format", "json"]


def _orchestrate_options(inputs: Inputs) -> list[str]:
    """`plan-dependents` and `ignore` (one glob a line) as orchestrate's flags."""
    argv = ["--plan-dependents"] if inputs.plan_dependents.lower() == "true" else []
    for glob in inputs.ignore.splitlines():
        argv += ["--ignore", glob.strip()] if glob.strip() else []
    return argv


def _dispatch_knobs(inputs: Inputs) -> list[str]:
    """The optional dispatch inputs as CLI flags; the CLI validates the values (exit 2 naming the flag)."""
    argv: list[str] = []
    for name in ("batch", "max_parallel_runs", "timeout", "poll_interval"):
        if getattr(inputs, name):
            argv += [f"--{name.replace('_', '-')}", getattr(inputs, name)]
    if inputs.new_comment_per_push not in ("", "false", "true"):
        raise UserError(f"action input `new-comment-per-push`: {inputs.new_comment_per_push!r} is not true or false")
    return [*argv, "--new-comment-per-push"] if inputs.new_comment_per_push == "true" else argv


def counts(data: Any) -> dict[str, int]:
    """Jobs by action (orchestrate, dry-run) or results by status (execute, run), for the `counts` output."""
    found: dict[str, int] = {}
    if isinstance(data, dict):
        items = data.get("results") if isinstance(data.get("results"), list) else data.get("jobs")
        key = "status" if isinstance(data.get("results"), list) else "action"
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and isinstance(item.get(key), str):
                found[item[key]] = found.get(item[key], 0) + 1
    return dict(sorted(found.items()))


def changed_units(data: Any) -> list[str]:
    """The units the change touches (orchestrate, dry-run) or the jobs ran on (execute, run), sorted."""
    if not isinstance(data, dict):
        return []
    items = [*(data.get("changes") or []), *(data.get("jobs") or []), *(data.get("results") or [])]
    return sorted({i["unit"] for i in items if isinstance(i, dict) and isinstance(i.get("unit"), str)})


def _required(inputs: Inputs, *names: str) -> list[str]:
    argv: list[str] = []
    for name in names:
        value = getattr(inputs, name)
        flag = name.replace("_", "-")
        if not value:
            raise UserError(f"action input `{flag}` is required for command `{inputs.command}`")
        argv += [f"--{flag}", value]
    return argv


def jobs_file(inputs: Inputs, workdir: Path) -> Path:
    if inputs.jobs_file:
        return Path(inputs.jobs_file)
    if inputs.jobs:
        return workdir / "jobs-input.json"
    raise UserError(f"action input `jobs` or `jobs-file` is required for command `{inputs.command}`")


def needs_event(inputs: Inputs) -> bool:
    """orchestrate/run with none of base, head and event given: they come from the workflow's event payload."""
    return inputs.command in ("orchestrate", "run", "dry-run") and not (inputs.base or inputs.head or inputs.event)


def with_event(inputs: Inputs, event: Any) -> Inputs:
    """The inputs completed from `gwpipelines event --format json` (base, head, event)."""
    if not isinstance(event, dict) or not all(isinstance(event.get(k), str) for k in ("base", "head", "event")):
        raise UserError("the workflow's event gave no base, head and event: pass the `base`, `head` and `event` inputs")
    return dataclasses.replace(inputs, base=event["base"], head=event["head"], event=event["event"])


# -- the Actions runner ------------------------------------------------------------------------------------------------


def set_outputs(values: Mapping[str, str], environ: Mapping[str, str]) -> None:
    """The step's outputs (see `actions.Runner.set_outputs`)."""
    actions.Runner.from_mapping(environ).set_outputs(values)


# Commands that fold their own log (one group per job): a group around them would nest, which the runner cannot show.
SELF_FOLDING = frozenset({"execute", "run"})


def run_cli(call: Call, env: Mapping[str, str]) -> int:
    """The CLI as a subprocess: a renamed flag fails here as it would for a user. stdout (JSON) goes to a file,
    stderr (progress) to the log, folded."""
    with contextlib.ExitStack() as stack:
        if call.argv[0] not in SELF_FOLDING:
            stack.enter_context(actions.group(f"gwpipelines {call.argv[0]}"))
        with open(call.output, "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "gwpipelines", *call.argv], stdout=out, env=dict(env))
            with _forwarding_signals(proc):
                code = proc.wait()
    return code


@contextlib.contextmanager
def _forwarding_signals(proc: subprocess.Popen[bytes]) -> Iterator[None]:
    """A cancelled workflow step signals this wrapper (SIGINT, then SIGTERM): pass each on to the CLI and keep
    waiting, so that it stops its tools gracefully and cleans up instead of being orphaned."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def forward(signum: int, frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text() or "null")
    except (OSError, json.JSONDecodeError):
        return None


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


# -- outputs and summary per command ---------------------------------------------------------------------------------


def report(inputs: Inputs, calls: Sequence[Call], code: int) -> tuple[dict[str, str], str]:
    """The step outputs and the job summary for a finished command."""
    status = STATUS_BY_EXIT.get(code, "error")
    outputs = {"status": status, "json-file": str(calls[0].output)}
    data = _load(calls[0].output)
    outputs |= {
        "counts": _compact(counts(data)),
        "changed-units": _bounded("changed-units", _compact(changed_units(data))),
    }
    title = f"### gwpipelines {inputs.command}: {status}\n"
    if inputs.command == "dry-run":
        comment = data.get("comment") if isinstance(data, dict) else None
        return outputs, title + (comment if isinstance(comment, str) else "")
    if inputs.command == "orchestrate":
        jobs = data.get("jobs", []) if isinstance(data, dict) else []
        jobs_path = calls[0].output.with_name("jobs.json")
        jobs_path.write_text(_compact(jobs))
        matrix = from_json_jobs([j for j in jobs if isinstance(j, dict)]) if isinstance(jobs, list) else None
        outputs |= {
            "jobs": _bounded("jobs", _compact(jobs)),
            "jobs-file": str(jobs_path),
            "has-jobs": "true" if jobs else "false",
            "matrix": _bounded("matrix", _compact(matrix if isinstance(matrix, dict) else {"include": []})),
        }
        return outputs, title + _jobs_table(data if isinstance(data, dict) else {})
    if inputs.command == "drift":
        return outputs, title + _drift_table(data if isinstance(data, dict) else {})
    if inputs.command == "shard":
        return outputs, title + f"{len(data.get('legs') or []) if isinstance(data, dict) else 0} leg(s)."
    if inputs.command == "dispatch":
        if isinstance(data, dict):
            outputs["comment-url"] = str(data.get("comment_url") or "")
        return outputs, title + _runs_table(data if isinstance(data, dict) else {})
    outputs["results-file"] = str(calls[0].output)
    return outputs, title + _results_table(data if isinstance(data, dict) else {})


def _bounded(name: str, value: str) -> str:
    if len(value) <= OUTPUT_LIMIT:
        return value
    actions.command("warning", f"gwpipelines: output `{name}` is {len(value)} characters, over GitHub's limit; it is "
                    "left empty: use the `jobs-file` output instead")  # fmt: skip
    return ""


def _cell(value: Any) -> str:
    """A table cell: a pull request (or a tool it ran) wrote it, so it is inert text (no link, mention, HTML, cell)."""
    return markdown.table_text("" if value is None else value)


def _path(value: Any) -> str:
    """A unit path or account name: a code span, shown exactly and never linked."""
    return "-" if value is None else markdown.table_code(value)


def _jobs_table(data: Mapping[str, Any]) -> str:
    changes, jobs = data.get("changes", []), data.get("jobs", [])
    lines = [f"{len(changes)} change(s), {len(jobs)} job(s), {len(data.get('ignored', []))} ignored file(s)."]
    if jobs:
        lines += ["", "| wave | action | unit | account |", "|---|---|---|---|"]
        lines += [
            f"| {_cell(j.get('wave'))} | {_cell(j.get('action'))} | {_path(j.get('unit'))} | "
            f"{_path(j.get('account'))} |"
            for j in jobs
        ]
    lines += [f"> {markdown.text(w)}" for w in data.get("warnings", [])]
    return "\n".join(lines)


def _runs_table(data: Mapping[str, Any]) -> str:
    runs = data.get("runs", [])
    lines = ["| run | jobs | conclusion |", "|---|---|---|"] if runs else []
    lines += [
        f"| [{_cell(r.get('run_id'))}]({r.get('html_url')}) | {len(r.get('jobs', []))} | {_cell(r.get('conclusion'))} |"
        for r in runs
    ]
    if data.get("comment_url"):
        lines.append(f"\nPull-request comment: {data['comment_url']}")
    lines += [f"Issue opened: {url}" for url in data.get("issue_urls", [])]
    return "\n".join(lines)


def _drift_table(data: Mapping[str, Any]) -> str:
    drifted = data.get("drifted", [])
    lines = [f"{len(drifted)} drifted, {len(data.get('clean', []))} without drift, {len(data.get('failed', []))} "
             "not checked (plan failed)."]  # fmt: skip
    if drifted:
        lines += ["", "| drifted unit | resources | issue |", "|---|---|---|"]
        lines += [
            f"| {_path(d.get('unit'))} | {_cell(', '.join(d.get('resources') or []))} | {d.get('issue_url') or '-'} |"
            for d in drifted
        ]
    lines += [f"Issue closed (drift resolved): {url}" for url in data.get("closed_issue_urls", [])]
    return "\n".join(lines)


def _results_table(data: Mapping[str, Any]) -> str:
    results = data.get("results", [])
    if not results:
        return "No results."
    lines = ["| unit | action | status | add | change | destroy | seconds |", "|---|---|---|---|---|---|---|"]
    for r in results:
        s = r.get("summary") or {}
        lines.append(
            f"| {_path(r.get('unit'))} | {_cell(r.get('action'))} | {_cell(r.get('status'))} | "
            f"{_cell(s.get('add', 0))} | {_cell(s.get('change', 0))} | {_cell(s.get('destroy', 0))} | "
            f"{_cell(r.get('seconds', ''))} |"
        )
    problems = [f"- {markdown.code(r.get('id'))}: {markdown.text(r['failure'])}" for r in results if r.get("failure")]
    if problems:
        lines += ["", "#### Problems", *problems]
    outputs = [
        f"| {markdown.table_code(r.get('unit') or r.get('id'))} | {markdown.table_code(inst)} | "
        f"{markdown.table_code(name)} | {markdown.table_code(_compact(value))} |"
        for r in results
        for inst, values in (r.get("outputs_by_instance") or {}).items()
        if isinstance(values, dict)
        for name, value in values.items()
    ]
    if outputs:
        lines += ["", "#### Outputs", "", "| unit | instance | output | value |", "|---|---|---|---|", *outputs]
    return "\n".join(lines)


def workdir_for(command: str, runner: actions.Runner) -> Path:
    base = Path(runner.temp or tempfile.gettempdir()) / "gwpipelines"
    path = base / command
    path.mkdir(parents=True, exist_ok=True)
    return path


def main(environ: Mapping[str, str] | None = None) -> int:
    environ = dict(os.environ if environ is None else environ)
    runner = actions.Runner.from_mapping(environ)
    try:
        inputs = Inputs.from_env(environ)
        # This step runs inside Actions by definition: mask before anything else can print the tokens.
        actions.add_mask([inputs.dispatch_token, inputs.github_token])
        workdir = workdir_for(inputs.command, runner)
        # This step writes the job's one summary (below); the executor inside it must not add a second one.
        env = {k: v for k, v in environ.items() if not k.startswith("GWP_") and k != "GITHUB_STEP_SUMMARY"}
        tokens = {"PIPELINES_DISPATCH_TOKEN": inputs.dispatch_token, "GITHUB_TOKEN": inputs.github_token}
        env |= {name: token for name, token in tokens.items() if token}
        if needs_event(inputs):
            event = Call(("event", "--repo", inputs.repo, "--format", "json"), workdir / "event.json")
            code = run_cli(event, env)
            if code != 0:
                runner.set_outputs({"status": STATUS_BY_EXIT.get(code, "error")})
                return code
            inputs = with_event(inputs, _load(event.output))
        calls = calls_for(inputs, workdir)
        if inputs.jobs and not inputs.jobs_file and inputs.command in ("dispatch", "execute", "shard"):
            jobs_file(inputs, workdir).write_text(inputs.jobs)
    except UserError as e:
        actions.error(f"gwpipelines: {markdown.one_line(str(e))}")
        runner.set_outputs({"status": "error"})
        return 2
    code = 0
    for call in calls:
        code = run_cli(call, env)
        if code != 0:
            break
    outputs, summary = report(inputs, calls, code)
    runner.set_outputs(outputs)
    runner.append_summary(summary)
    return code


if __name__ == "__main__":
    sys.exit(main())
