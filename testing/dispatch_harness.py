"""A live repo and a pipelines repo on the local GitHub server, and a pipelines workflow that "runs" the jobs it is
sent: each run uploads the `gwpipelines-results` artifact with a results.json in the `execute` JSON shape."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gwpipelines.github.client import GitHub, RetryPolicy, token_auth
from testing import STANDIN_BIN, standin
from testing.cli import Result, run
from testing.github_server import GitHubServer
from testing.github_server.model import Dispatch, RunScript

LIVE = "acme/infrastructure-live"
PIPELINES = "acme/infrastructure-pipelines"
WORKFLOW = "pipelines.yml"
FAST = RetryPolicy(attempts=4, backoff=0.01, max_wait=0.05, deadline=30.0)


@dataclass
class Pipelines:
    """The pipelines workflow's behaviour: per-unit outcome, plan summary and log; run conclusion from them."""

    server: GitHubServer
    fail_units: set[str] = field(default_factory=set)
    log: Callable[[dict[str, Any]], str] = lambda job: "Plan: 1 to add, 0 to change, 0 to destroy.\n"
    polls: int = 1
    script: Callable[[Dispatch], RunScript | None] = lambda d: None
    seen: list[list[dict[str, Any]]] = field(default_factory=list)
    # With a live checkout: unit jobs really run, `gwpipelines execute` with the stand-in terragrunt in `work`, so
    # each job reports its own plan summary, resources and log (account jobs keep the scripted result).
    live: Path | None = None
    work: Path | None = None
    state: Path | None = None  # the stand-in's state folder, shared with the plan tools' separate OS user

    def __post_init__(self) -> None:
        self.server.on_dispatch = self.run

    def run(self, dispatch: Dispatch) -> RunScript:
        jobs = json.loads(dispatch.inputs["jobs"])
        self.seen.append(jobs)
        special = self.script(dispatch)
        if special is not None:
            return special
        executed = self.execute([j for j in jobs if j["unit"]]) if self.live else {}
        results = [executed.get(j["id"]) or self.result(j) for j in jobs]
        failed = any(r["status"] == "failed" for r in results)
        return RunScript(
            conclusion="failure" if failed else "success",
            polls=self.polls,
            failing_job="execute" if failed else None,
            failing_step="Run gwpipelines execute" if failed else None,
            files={"results.json": json.dumps({"results": results}).encode()},
        )

    def execute(self, jobs: list[dict[str, Any]], *, faults: bool = True) -> dict[str, dict[str, Any]]:
        """What the pipelines workflow's execute step publishes for these jobs (a separate process, as on a runner)."""
        assert self.live is not None and self.work is not None
        if not jobs:
            return {}
        if self.state is None:  # plans run the stand-in as a separate OS user: it must reach its state
            self.state = Path(standin.env(self.work / "standin-state")["STANDIN_STATE_DIR"])
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "STANDIN_"))}
        env |= {"PATH": f"{STANDIN_BIN}{os.pathsep}{env['PATH']}", **standin.env_for(self.state)}
        # A unit in fail_units fails the way a denied apply (or plan) does: the tool exits 1 with AWS's message.
        failing = self.fail_units if faults else set()
        env["STANDIN_FAULTS"] = json.dumps({u: {"mode": "fail", "message": "AccessDenied"} for u in failing})
        done = subprocess.run(
            [sys.executable, "-m", "gwpipelines", "execute", "--repo", str(self.live), "--jobs-file", "-",
             "--results-dir", str(self.work / "results"), "--format", "json"],
            input=json.dumps(jobs), capture_output=True, text=True, env=env, check=False,
        )  # fmt: skip
        assert done.returncode in (0, 1), done.stderr
        return {r["id"]: r for r in json.loads(done.stdout)["results"]}

    def apply_all(self, ref: str, branch: str) -> None:
        """Every unit of `branch` (at `ref`) applied, in dependency order: the live infrastructure before a change."""
        assert self.live is not None
        git = ["git", "-C", str(self.live)]
        current = subprocess.run([*git, "rev-parse", "--abbrev-ref", "HEAD"], capture_output=True, text=True).stdout
        subprocess.run([*git, "checkout", "-q", branch], check=True)
        try:
            graph = subprocess.run(
                [sys.executable, "-m", "gwpipelines", "graph", "--repo", str(self.live), "--format", "json"],
                capture_output=True, text=True, check=True,
            ).stdout  # fmt: skip
        finally:
            subprocess.run([*git, "checkout", "-q", current.strip()], check=True)
        deps = {u["path"]: list(u["dependencies"]) for u in json.loads(graph)["units"]}
        ordered: list[str] = []
        while len(ordered) < len(deps):
            ordered += [
                u for u in sorted(deps) if u not in ordered and all(d in ordered or d not in deps for d in deps[u])
            ]
        jobs = [
            {"id": f"apply:{u}", "unit": u, "action": "apply", "ref": ref, "account": u.split("/")[0],
             "change_types": ["ModuleAdded"], "wave": 0, "needs": [f"apply:{d}" for d in deps[u] if d in deps]}
            for u in ordered
        ]  # fmt: skip
        failed = [r["id"] for r in self.execute(jobs, faults=False).values() if r["status"] != "succeeded"]
        assert not failed, failed

    def result(self, job: dict[str, Any]) -> dict[str, Any]:
        failed = job["unit"] in self.fail_units
        return {
            "id": job["id"],
            "unit": job["unit"],
            "action": job["action"],
            "status": "failed" if failed else "succeeded",
            "summary": {"add": 0 if failed else 1, "change": 0, "destroy": 0, "replace": 0},
            "outputs": {},
            "log": "Error: creating resource: AccessDenied\n" if failed else self.log(job),
            "seconds": 1.5,
        }


def setup(server: GitHubServer, *, pr: int = 7, head: str = "a" * 40, base: str = "b" * 40) -> None:
    server.add_repo(LIVE)
    server.add_repo(PIPELINES, private=True)
    server.add_workflow(PIPELINES, WORKFLOW, inputs=("correlation_id", "jobs", "live_repo", "pr"))
    server.add_pull(LIVE, pr, head_sha=head, base_sha=base, head_ref="change")


def dispatch(tmp_path: Path, jobs_input: Any, *extra: str) -> Result:
    """`gwpipelines dispatch` into the harness repos, polling fast and unthrottled; `jobs_input` (the orchestrate
    JSON or a list of jobs) goes in as a file."""
    jobs_file = tmp_path / "orchestrate.json"
    jobs_file.write_text(json.dumps(jobs_input, indent=2))
    return run("dispatch", "--jobs-file", str(jobs_file), "--live-repo", LIVE, "--pipelines-repo", PIPELINES,
               "--workflow", WORKFLOW, "--poll-interval", "0.01", "--no-throttle", *extra)  # fmt: skip


def client(
    server: GitHubServer, token_env: str = "GITHUB_TOKEN", sleep: Callable[[float], None] | None = None, **policy: Any
) -> GitHub:
    return GitHub(
        token_auth("test-token"),
        api_url=server.url,
        token_env=token_env,
        throttle=False,
        timeout=2,
        policy=RetryPolicy(**{**FAST.__dict__, **policy}),
        **({"sleep": sleep} if sleep else {}),
    )


def normalise(text: str, server: GitHubServer) -> str:
    """Golden-stable text: the server's port, run ids and correlation ids vary between runs."""
    text = text.replace(server.url, "http://api.test")
    text = re.sub(r"/actions/runs/\d+", "/actions/runs/RUN", text)
    text = re.sub(r"/job/\d+", "/job/JOB", text)
    text = re.sub(r"\b\d\d:\d\d:\d\d\.\d{3}\b", "HH:MM:SS.mmm", text)  # the tools' log timestamps
    return re.sub(r"\b[0-9a-f]{12}-wave", "CID-wave", text)


class FakeClock:
    """Simulated time for the dispatcher (its `clock` and `sleep`) and the GitHub server (`server.clock`): sleeping
    moves it on at once."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
