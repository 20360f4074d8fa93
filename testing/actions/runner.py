"""Runs our GitHub workflows on this machine, step by step from their YAML, for the end-to-end tests.

`run:` steps are executed with bash exactly as written, with the environment their `env:` evaluates to and the
runner's files (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP, GITHUB_EVENT_PATH...). `uses:` of gwpipelines'
own action runs the steps of action.yml the same way. What cannot run here is stood in for, each faithful to the
contract the workflow relies on:

- actions/checkout: a `git clone` of the local repository registered for `repository`, at `ref`, into `path`
  (full history with fetch-depth 0, else that depth); no credentials are ever written into it.
- actions/setup-python and the action's install steps: this interpreter, where gwpipelines is installed from this
  very checkout (the action would `pip install` its own path).
- actions/upload-artifact / download-artifact: an in-memory artifact store per workflow run (names are unique, as
  in v4, so two uploads under one name fail the job).
- actions/cache/restore and save: an in-memory cache shared by the runner's runs, scoped by ref
  (testing/actions/cache.py).
- jdx/mise-action: nothing; the stand-in terragrunt is already on PATH.

A reusable workflow (`uses: gwpipelines/gwpipelines/.github/workflows/X.yml@...`) is read from this checkout.
"""

from __future__ import annotations

import fnmatch
import hashlib
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from testing.actions.cache import CacheStore, lines
from testing.actions.expressions import Evaluator, condition, interpolate
from testing.actions.workflows import ACTION, OWN_REPO, ROOT, load

STATUS_FUNCTIONS = ("always(", "success(", "failure(", "cancelled(")


@dataclass
class StepLog:
    job: str
    name: str
    outcome: str  # success, failure, skipped
    stdout: str = ""
    stderr: str = ""


@dataclass
class JobResult:
    result: str
    outputs: dict[str, Any] = field(default_factory=dict)


@dataclass
class WorkflowRun:
    jobs: dict[str, JobResult]
    artifacts: dict[str, dict[str, bytes]]
    log: list[StepLog]
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def conclusion(self) -> str:
        return "failure" if any(j.result == "failure" for j in self.jobs.values()) else "success"

    def text(self) -> str:
        return "\n".join(f"[{s.job}] {s.name}: {s.outcome}\n{s.stdout}{s.stderr}" for s in self.log)


@dataclass
class Runner:
    """One machine that runs workflows: local git repos stand for GitHub repositories."""

    root: Path
    repos: dict[str, Path]  # OWNER/NAME -> a local git repository
    env: dict[str, str] = field(default_factory=dict)  # the runner's own environment (PATH, GITHUB_API_URL, ...)
    oidc_env: dict[str, str] = field(default_factory=dict)  # ACTIONS_ID_TOKEN_REQUEST_*: jobs with id-token write
    # Called before each job that may request an OIDC token, with what GitHub puts into the token for it: the job's
    # `environment` (or None) and `job_workflow_ref` (the reusable workflow's own ref when the job is in one).
    on_oidc_job: Callable[[str | None, str], None] | None = None
    caches: CacheStore = field(default_factory=CacheStore)
    _count: itertools.count[int] = field(default_factory=itertools.count)

    def run(
        self,
        workflow: Path | dict[str, Any],
        *,
        github: dict[str, Any],
        inputs: Mapping[str, Any] | None = None,
        secrets: Mapping[str, str] | None = None,
    ) -> WorkflowRun:
        data = load(workflow) if isinstance(workflow, Path) else workflow
        run = WorkflowRun(jobs={}, artifacts={}, log=[])
        self._run_jobs(data, run, github, self._inputs(data, inputs or {}), dict(secrets or {}))
        return run

    # -- jobs -----------------------------------------------------------------------------------------------------

    def _inputs(self, data: dict[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
        on = data.get("on") or {}
        declared = {}
        for trigger in ("workflow_call", "workflow_dispatch"):
            spec = on.get(trigger) if isinstance(on, dict) else None
            declared.update((spec or {}).get("inputs") or {})
        unknown = set(given) - set(declared)
        if unknown:
            raise ValueError(f"inputs not declared by the workflow: {sorted(unknown)}")
        values = {name: spec.get("default") for name, spec in declared.items()}
        for name, spec in declared.items():
            if spec.get("required") and name not in given:
                raise ValueError(f"required input {name} missing")
        values.update(given)
        return {
            k: ("" if v is None and declared[k].get("type", "string") == "string" else v) for k, v in values.items()
        }

    def _run_jobs(
        self,
        data: dict[str, Any],
        run: WorkflowRun,
        github: dict[str, Any],
        inputs: dict[str, Any],
        secrets: dict[str, str],
    ) -> None:
        pending = dict(data["jobs"])
        while pending:
            ready = [j for j, spec in pending.items() if all(n in run.jobs for n in _list(spec.get("needs")))]
            if not ready:
                raise ValueError(f"jobs with unmet needs: {sorted(pending)}")
            for job_id in ready:
                spec = pending.pop(job_id)
                run.jobs[job_id] = self._job(job_id, spec, run, github, inputs, secrets)

    def _job(
        self,
        job_id: str,
        spec: dict[str, Any],
        run: WorkflowRun,
        github: dict[str, Any],
        inputs: dict[str, Any],
        secrets: dict[str, str],
    ) -> JobResult:
        needs = {n: {"result": run.jobs[n].result, "outputs": run.jobs[n].outputs} for n in _list(spec.get("needs"))}
        contexts = {"github": github, "inputs": inputs, "secrets": secrets, "needs": needs, "env": {}, "vars": {}}
        all_ok = all(n["result"] == "success" for n in needs.values())
        ev = self._evaluator(contexts, ok=all_ok, workspace=self.root)
        if not self._condition(spec.get("if"), ev, ok=all_ok):
            run.log.append(StepLog(job_id, "(job)", "skipped"))
            return JobResult("skipped")
        if "uses" in spec:
            return self._call(job_id, spec, run, github, ev)
        matrix_spec = interpolate((spec.get("strategy") or {}).get("matrix"), ev) or {}
        combos = _combinations(matrix_spec)
        results = []
        for matrix in combos:
            results.append(self._job_instance(job_id, spec, run, {**contexts, "matrix": matrix}))
        result = "failure" if any(r.result == "failure" for r in results) else "success"
        return JobResult(result, results[-1].outputs if results else {})

    def _call(
        self, job_id: str, spec: dict[str, Any], run: WorkflowRun, github: dict[str, Any], ev: Evaluator
    ) -> JobResult:
        """A job that calls a reusable workflow of gwpipelines: its jobs run as part of this run."""
        uses = spec["uses"]
        name, _, _ = uses.partition("@")
        if not name.startswith(f"{OWN_REPO}/.github/workflows/"):
            raise ValueError(f"cannot run reusable workflow {uses}")
        callee = load(ROOT / ".github" / "workflows" / Path(name).name)
        inputs = self._inputs(callee, interpolate(spec.get("with") or {}, ev))
        secrets = {k: str(v) for k, v in interpolate(spec.get("secrets") or {}, ev).items()}
        inner = WorkflowRun(jobs={}, artifacts=run.artifacts, log=run.log)
        version = uses.partition("@")[2]
        ref = version if len(version) == 40 else f"refs/tags/{version}"
        self._run_jobs(callee, inner, {**github, "job_workflow_ref": f"{name}@{ref}"}, inputs, secrets)
        outputs_spec = callee["on"]["workflow_call"].get("outputs") or {}
        jobs_ctx = {j: {"result": r.result, "outputs": r.outputs} for j, r in inner.jobs.items()}
        out_ev = self._evaluator({"jobs": jobs_ctx, "inputs": inputs, "github": github}, ok=True, workspace=self.root)
        outputs = {k: interpolate(v.get("value"), out_ev) for k, v in outputs_spec.items()}
        result = "failure" if any(r.result == "failure" for r in inner.jobs.values()) else "success"
        for inner_id, r in inner.jobs.items():
            run.jobs[f"{job_id} / {inner_id}"] = r
        return JobResult(result, outputs)

    def _job_instance(self, job_id: str, spec: dict[str, Any], run: WorkflowRun, contexts: dict[str, Any]) -> JobResult:
        n = next(self._count)
        workspace = self.root / f"job-{n}-{job_id}" / "workspace"
        temp = workspace.parent / "runner-temp"
        workspace.mkdir(parents=True)
        temp.mkdir()
        event_path = workspace.parent / "event.json"
        event_path.write_text(json.dumps(contexts["github"].get("event", {})))
        job_env = dict(self.env)
        github = contexts["github"]
        job_env |= {
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(workspace),
            "RUNNER_TEMP": str(temp),
            "GITHUB_EVENT_PATH": str(event_path),
            "GITHUB_EVENT_NAME": str(github.get("event_name", "")),
            "GITHUB_REPOSITORY": str(github.get("repository", "")),
            "GITHUB_SHA": str(github.get("sha", "")),
            "GITHUB_REF": str(github.get("ref", "")),
            "GITHUB_ACTOR": str(github.get("actor", "")),
            "GITHUB_RUN_ID": str(github.get("run_id", "1")),
        }
        if (spec.get("permissions") or {}).get("id-token") == "write":
            job_env |= self.oidc_env
            if self.on_oidc_job is not None:
                ev = self._evaluator(contexts, ok=True, workspace=workspace)
                environment = interpolate(spec.get("environment"), ev) or None
                default_ref = f"{github.get('repository')}/.github/workflows/?@{github.get('ref')}"
                self.on_oidc_job(environment, str(github.get("job_workflow_ref") or default_ref))
        job = _Job(self, job_id, workspace, temp, job_env, run)
        ok = job.steps(spec.get("steps", []), contexts)
        ev = self._evaluator({**contexts, "steps": job.steps_ctx}, ok=ok, workspace=workspace)
        outputs = {k: interpolate(v, ev) for k, v in (spec.get("outputs") or {}).items()}
        return JobResult("success" if ok else "failure", outputs)

    # -- expressions ----------------------------------------------------------------------------------------------

    def _evaluator(self, contexts: dict[str, Any], *, ok: bool, workspace: Path) -> Evaluator:
        return Evaluator(
            contexts,
            {
                "always": lambda: True,
                "success": lambda: ok,
                "failure": lambda: not ok,
                "cancelled": lambda: False,
                "hashFiles": lambda *patterns: _hash_files(workspace, patterns),
            },
        )

    @staticmethod
    def _condition(text: Any, ev: Evaluator, *, ok: bool) -> bool:
        if text is None:
            return ok
        if isinstance(text, str) and not any(f in text for f in STATUS_FUNCTIONS):
            return ok and condition(text, ev)
        return condition(text, ev)


@dataclass
class _Job:
    runner: Runner
    job_id: str
    workspace: Path
    temp: Path
    env: dict[str, str]
    run: WorkflowRun
    steps_ctx: dict[str, Any] = field(default_factory=dict)

    def steps(self, steps: list[dict[str, Any]], contexts: dict[str, Any], *, action_path: Path | None = None) -> bool:
        ok = True
        for index, step in enumerate(steps):
            ctx = {**contexts, "steps": self.steps_ctx, "runner": {"temp": str(self.temp), "os": "Linux"}}
            ev = self.runner._evaluator(ctx, ok=ok, workspace=self.workspace)
            name = str(step.get("name") or step.get("uses") or step.get("id") or f"step {index}")
            if not Runner._condition(step.get("if"), ev, ok=ok):
                self._record(step, "skipped", {})
                self.run.log.append(StepLog(self.job_id, name, "skipped"))
                continue
            env = {**self.env, **{k: _text(v) for k, v in interpolate(step.get("env") or {}, ev).items()}}
            if action_path is not None:
                env["GITHUB_ACTION_PATH"] = str(action_path)
            if "run" in step:
                outcome, outputs, log = self._shell(step, env, ev)
            else:
                outcome, outputs, log = self._uses(step, env, ev, contexts)
            self._record(step, outcome, outputs)
            self.run.log.append(StepLog(self.job_id, name, outcome, *log))
            ok = ok and outcome == "success"
        return ok

    def _record(self, step: dict[str, Any], outcome: str, outputs: dict[str, str]) -> None:
        if step.get("id"):
            self.steps_ctx[step["id"]] = {"outcome": outcome, "conclusion": outcome, "outputs": outputs}

    def _shell(
        self, step: dict[str, Any], env: dict[str, str], ev: Evaluator
    ) -> tuple[str, dict[str, str], tuple[str, str]]:
        output = self.temp / f"output-{next(self.runner._count)}"
        output.touch()
        summary = self.temp / "summary.md"
        env = {**env, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
        cwd = self.workspace / str(interpolate(step.get("working-directory", "."), ev))
        script = step["run"]  # executed as written: expressions in it would not be evaluated by bash
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
        )
        return ("success" if done.returncode == 0 else "failure"), read_outputs(output), (done.stdout, done.stderr)

    def _uses(
        self, step: dict[str, Any], env: dict[str, str], ev: Evaluator, contexts: dict[str, Any]
    ) -> tuple[str, dict[str, str], tuple[str, str]]:
        uses = str(step["uses"])
        name = uses.partition("@")[0]
        with_ = {k: _text(v) for k, v in interpolate(step.get("with") or {}, ev).items()}
        if name == OWN_REPO:
            return self._composite(with_, contexts, env)
        if name == "actions/checkout":
            return self._checkout(with_, contexts["github"])
        if name == "actions/setup-python":
            return "success", {"python-path": sys.executable, "python-version": "3.11"}, ("", "")
        if name == "actions/upload-artifact":
            return self._upload(with_)
        if name == "actions/download-artifact":
            return self._download(with_)
        if name in ("actions/cache/restore", "actions/cache/save"):
            return self._cache(name, with_, contexts["github"])
        if name == "jdx/mise-action":
            return "success", {}, ("", "")
        raise ValueError(f"no stand-in for {uses}")

    def _composite(
        self, with_: dict[str, str], contexts: dict[str, Any], env: dict[str, str]
    ) -> tuple[str, dict[str, str], tuple[str, str]]:
        action = load(ACTION)
        declared = action["inputs"]
        unknown = set(with_) - set(declared)
        if unknown:
            raise ValueError(f"action inputs not declared in action.yml: {sorted(unknown)}")
        defaults_ev = self.runner._evaluator(contexts, ok=True, workspace=self.workspace)
        inputs = {k: _text(interpolate(spec.get("default", ""), defaults_ev)) for k, spec in declared.items()}
        inputs |= with_
        # The calling step's `env:` reaches the action's steps, as on GitHub (a composite is one step of the job).
        inner = _Job(self.runner, self.job_id, self.workspace, self.temp, env, self.run)
        steps = [s if s.get("id") != "venv" else {**s, "run": _INSTALLED} for s in action["runs"]["steps"]]
        ok = inner.steps(steps, {**contexts, "inputs": inputs}, action_path=ROOT)
        out_ev = self.runner._evaluator({**contexts, "steps": inner.steps_ctx}, ok=ok, workspace=self.workspace)
        outputs = {k: _text(interpolate(v["value"], out_ev)) for k, v in action["outputs"].items()}
        return ("success" if ok else "failure"), outputs, ("", "")

    def _checkout(self, with_: dict[str, str], github: dict[str, Any]) -> tuple[str, dict[str, str], tuple[str, str]]:
        repository = with_.get("repository") or str(github["repository"])
        source = self.runner.repos[repository]
        dest = self.workspace / with_.get("path", ".")
        if dest.exists() and any(dest.iterdir()):
            raise ValueError(f"checkout into a non-empty {dest}")
        depth = int(with_.get("fetch-depth", "1") or 0)
        ref = with_.get("ref") or str(github.get("sha") or "")
        clone = ["git", "clone", "-q", "--no-checkout"] + (["--depth", str(depth)] if depth else [])
        done = subprocess.run([*clone, source.resolve().as_uri(), str(dest)], capture_output=True, text=True)
        if done.returncode == 0 and ref:
            fetch = ["git", "-C", str(dest), "fetch", "-q", "origin", ref] + (["--depth", str(depth)] if depth else [])
            subprocess.run(fetch, capture_output=True, text=True)
            done = subprocess.run(
                ["git", "-C", str(dest), "checkout", "-q", "--detach", ref], capture_output=True, text=True
            )
        elif done.returncode == 0:
            done = subprocess.run(["git", "-C", str(dest), "checkout", "-q"], capture_output=True, text=True)
        if with_.get("persist-credentials", "true") != "false":
            raise ValueError(f"checkout of {repository} would keep its token in .git/config")
        return ("success" if done.returncode == 0 else "failure"), {}, (done.stdout, done.stderr)

    def _cache(
        self, name: str, with_: dict[str, str], github: dict[str, Any]
    ) -> tuple[str, dict[str, str], tuple[str, str]]:
        store, ref, key = self.runner.caches, str(github.get("ref") or ""), with_["key"]
        if name == "actions/cache/save":
            return "success", {}, (store.save(self.workspace, ref, key, lines(with_["path"])), "")
        text, outputs = store.restore(self.workspace, ref, key, lines(with_.get("restore-keys", "")))
        return "success", outputs, (text, "")

    def _upload(self, with_: dict[str, str]) -> tuple[str, dict[str, str], tuple[str, str]]:
        name, path = with_.get("name", "artifact"), self.workspace / with_["path"]
        if name in self.run.artifacts:
            return "failure", {}, ("", f"an artifact named {name} already exists in this run\n")
        if not path.exists():
            if with_.get("if-no-files-found", "warn") == "error":
                return "failure", {}, ("", f"no files at {path}\n")
            return "success", {}, ("", "")
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        base = path.parent if path.is_file() else path
        self.run.artifacts[name] = {str(p.relative_to(base)): p.read_bytes() for p in files}
        return "success", {"artifact-id": str(len(self.run.artifacts))}, ("", "")

    def _download(self, with_: dict[str, str]) -> tuple[str, dict[str, str], tuple[str, str]]:
        dest = self.workspace / with_.get("path", ".")
        pattern = with_.get("pattern") or with_.get("name") or "*"
        for name, files in self.run.artifacts.items():
            if fnmatch.fnmatchcase(name, pattern):
                for rel, data in files.items():
                    target = dest / name / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
        return "success", {"download-path": str(dest)}, ("", "")


# The action's install steps make a venv and pip-install the action's own checkout into it (tests/actions/
# test_install.py runs them for real); here gwpipelines is already installed from this checkout into the interpreter
# running the tests, so the step that finds the venv names that interpreter and reports it ready.
_INSTALLED = f'printf "python=%s\\nready=true\\n" "{sys.executable}" >> "$GITHUB_OUTPUT"'


def _list(value: Any) -> list[str]:
    return [] if value is None else [value] if isinstance(value, str) else list(value)


def _text(value: Any) -> str:
    from testing.actions.expressions import to_string

    return to_string(value)


def _combinations(matrix: dict[str, Any]) -> list[dict[str, Any]]:
    if not matrix:
        return [{}]
    keys = [k for k in matrix if k not in ("include", "exclude")]
    # A matrix of `include` entries alone is just those entries (itertools.product of nothing is one empty combo).
    combos = [dict(zip(keys, values, strict=True)) for values in itertools.product(*(matrix[k] for k in keys))]
    return (combos if keys else []) + list(matrix.get("include") or [])


def read_outputs(path: Path) -> dict[str, str]:
    """`$GITHUB_OUTPUT` as the runner reads it: `name<<DELIMITER` ... `DELIMITER`, or `name=value`."""
    outputs, lines = {}, path.read_text().splitlines()
    i = 0
    while i < len(lines):
        name, sep, delimiter = lines[i].partition("<<")
        if sep and "=" not in name:
            end = lines.index(delimiter, i + 1)
            outputs[name] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        key, _, value = lines[i].partition("=")
        outputs[key] = value
        i += 1
    return outputs


def _hash_files(workspace: Path, patterns: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    found = False
    for pattern in patterns:
        for path in sorted(workspace.glob(pattern)):
            if path.is_file():
                digest.update(path.read_bytes())
                found = True
    return digest.hexdigest() if found else ""


def clean_env() -> dict[str, str]:
    """The runner's environment: this machine's, minus anything GitHub- or AWS-specific from outside the test."""
    drop = ("GITHUB_", "ACTIONS_", "AWS_", "GWP_", "RUNNER_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env
