"""The two-repository world of the end-to-end tests: a live repository and a pipelines repository, both real git
repositories made from the templates (the pipelines one by `gwpipelines init`), a runner that executes their
workflows from the YAML, the stand-in terragrunt, and AWS/OIDC from the test servers."""

from __future__ import annotations

import itertools
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from testing import STANDIN_BIN, standin
from testing.actions.runner import Runner, WorkflowRun, clean_env
from testing.actions.workflows import LIVE_TEMPLATE, load
from testing.cli import orchestrate_json, run
from testing.gitrepo import GitRepo
from testing.webhooks import examples

ROOT = Path(__file__).resolve().parents[2]
LIVE_REPO = "acme/infrastructure-live"
PIPELINES_REPO = "acme/infrastructure-pipelines"
DEV = "non-prod/us-east-1/dev"
DEV_UNITS = [f"{DEV}/{c}" for c in ("app", "bastion", "mysql", "redis", "vpc")]
ZERO = "0" * 40


@dataclass
class World:
    tmp: Path
    live: GitRepo
    pipelines: GitRepo
    runner: Runner
    state: Path
    _runs: itertools.count[int] = field(default_factory=itertools.count)

    @classmethod
    def make(cls, tmp: Path, aws_env: dict[str, str], account_id: str = "111122223333") -> World:
        # The live template, cut to the non-prod account's dev environment to keep the run short: five units with
        # the real dependency graph (app needs vpc, mysql, redis; mysql, redis and bastion need vpc).
        src = tmp / "live-src"
        shutil.copytree(LIVE_TEMPLATE, src)
        shutil.rmtree(src / "prod")
        shutil.rmtree(src / "non-prod" / "us-east-1" / "qa")
        # accounts.yml names the accounts jobs run in (a job's account is its unit's top folder, if listed there).
        accounts = yaml.safe_load((src / "accounts.yml").read_text())
        (src / "accounts.yml").write_text(yaml.safe_dump({"non-prod": accounts["non-prod"]}, sort_keys=False))
        live = GitRepo.from_tree(src, tmp / "live", message="Initial import of infrastructure-live")
        init = run(
            "init", "pipelines", str(tmp / "pipelines-src"), "--org", "acme", "--accounts", f"non-prod={account_id}"
        )
        assert init.code == 0, init.err
        pipelines = GitRepo.from_tree(tmp / "pipelines-src", tmp / "pipelines", message="gwpipelines init pipelines")
        state = tmp / "standin-state"
        state.mkdir()
        env = clean_env()
        env["PATH"] = f"{STANDIN_BIN}{os.pathsep}{env['PATH']}"
        env |= standin.env(state)  # plans run the stand-in as a separate OS user: it must reach its state
        # The runner reaches AWS (moto) through the endpoints; it has no AWS keys of its own: credentials come only
        # from the OIDC token, which only a job with `id-token: write` can request.
        env |= {k: v for k, v in aws_env.items() if k.startswith("AWS_ENDPOINT_URL") or k.endswith("REGION")}
        oidc = {k: v for k, v in aws_env.items() if k.startswith("ACTIONS_ID_TOKEN_REQUEST_")}
        runner = Runner(tmp / "runner", {LIVE_REPO: live.path, PIPELINES_REPO: pipelines.path}, env=env, oidc_env=oidc)
        return cls(tmp, live, pipelines, runner, state)

    def unit_jobs(self, base: str, head: str, event: str) -> list[dict[str, Any]]:
        """The jobs of the change, without account jobs (the account factory has its own end-to-end tests): from
        the empty tree, accounts.yml itself is new, and its accounts would be created."""
        return [j for j in self.orchestrate(base, head, event)["jobs"] if not str(j["action"]).startswith("account-")]

    def orchestrate(self, base: str, head: str, event: str) -> dict[str, Any]:
        return orchestrate_json(self.live.path, base, head, event)

    def pipelines_run(self, inputs: dict[str, Any]) -> WorkflowRun:
        """The pipelines repository's workflow, run as GitHub runs a workflow_dispatch on its main branch."""
        workflow = self.pipelines.path / ".github" / "workflows" / "pipelines.yml"
        github = {
            "event_name": "workflow_dispatch",
            "event": {"inputs": inputs, "ref": "refs/heads/main"},
            "repository": PIPELINES_REPO,
            "sha": self.pipelines.head(),
            "ref": "refs/heads/main",
            "token": "ghs_pipelines_run_token",
            "actor": "gwpipelines-bot",
            "run_id": str(4242 + next(self._runs)),  # each run its own, as on GitHub (the durations cache's key)
        }
        return self.runner.run(load(workflow), github=github, inputs=inputs, secrets={"LIVE_REPO_READ_TOKEN": "ghs_r"})

    def applied(self) -> list[str]:
        return sorted(
            str(p.parent.relative_to(self.state))
            for p in self.state.rglob("terraform.tfstate")
            if json.loads(p.read_text()).get("resources")
        )


def results(run: WorkflowRun) -> dict[str, dict[str, Any]]:
    """The `gwpipelines-results` artifact's results.json, by job id."""
    data = json.loads(run.artifacts["gwpipelines-results"]["results.json"])
    return {r["id"]: r for r in data["results"]}


def pull_request_event(base: str, head: str, number: int) -> dict[str, Any]:
    """A real `pull_request` webhook payload (opened), its shas and repository rewritten to the test repos."""
    payload = next(p for p in examples("pull_request") if p["action"] == "opened")
    payload["number"] = payload["pull_request"]["number"] = number
    payload["pull_request"]["base"]["sha"], payload["pull_request"]["head"]["sha"] = base, head
    payload["pull_request"]["base"]["ref"], payload["pull_request"]["head"]["ref"] = "main", "change"
    for repo in (
        payload["repository"],
        payload["pull_request"]["base"]["repo"],
        payload["pull_request"]["head"]["repo"],
    ):
        repo["full_name"], repo["name"], repo["default_branch"] = LIVE_REPO, LIVE_REPO.split("/")[1], "main"
        repo["owner"]["login"] = LIVE_REPO.split("/")[0]
    return payload


def push_event(before: str, after: str) -> dict[str, Any]:
    """A real `push` webhook payload to the default branch, rewritten to the test repo."""
    payload = next(p for p in examples("push") if p["ref"].startswith("refs/heads/") and not p.get("deleted"))
    payload.update(ref="refs/heads/main", before=before, after=after, created=False, deleted=False, forced=False)
    repo = payload["repository"]
    repo["full_name"], repo["name"], repo["default_branch"] = LIVE_REPO, LIVE_REPO.split("/")[1], "main"
    if isinstance(repo.get("owner"), dict):
        repo["owner"]["login"] = repo["owner"]["name"] = LIVE_REPO.split("/")[0]
    return payload
