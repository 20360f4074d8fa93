"""The dry-run demo: a scratch live repo made from infrastructure-live-template/, a realistic pull request on it,
and `gwpipelines dry-run` on that pull request.

The pull request (one branch, one commit on top of `main`) holds one change of each kind a team makes every week:

- `non-prod/us-east-1/qa/env.hcl`: qa gets a bigger database instance class (an env.hcl edit),
- `_envcommon/redis.hcl`: every environment moves to Redis 7.2 (an _envcommon edit),
- `non-prod/us-east-1/dev/bastion/`: dev's bastion host is removed (a deleted unit),
- `non-prod/us-east-1/dev/sqs/`: dev gets a job queue (a new unit),
- `accounts.yml`: a new `sandbox` account is requested (a new account).

Offline and deterministic: fixed author, committer and dates, so the shas are the same on every machine.
`tests/e2e/test_demo.py` builds the same repository with `build_demo_repo` and checks the orchestrator's answer.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent.parent / "infrastructure-live-template"
BRANCH = "qa-db-redis72-sandbox"

# Fixed identities and dates: the same template gives the same shas everywhere, and no user or system git
# config (signing, hooks, default branch, templates) leaks in.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Dana Developer",
    "GIT_AUTHOR_EMAIL": "dana@acme.example.com",
    "GIT_COMMITTER_NAME": "Dana Developer",
    "GIT_COMMITTER_EMAIL": "dana@acme.example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}
BASE_DATE = "2026-01-05T09:00:00+00:00"
HEAD_DATE = "2026-01-06T14:30:00+00:00"

NEW_ACCOUNT = """
sandbox:
  id: "777788889999"
  email: aws+sandbox@acme.example.com
  organizational_unit: sandbox
  region: us-east-1
  tags:
    cost-center: platform
    data-classification: public
"""

NEW_UNIT = """# A queue for the app's background jobs, tried in dev first.
include "root" {
  path = find_in_parent_folders("root.hcl")
}

terraform {
  source = "git::https://github.com/terraform-aws-modules/terraform-aws-sqs.git?ref=v4.2.1"
}

inputs = {
  name                       = "dev-app-jobs"
  visibility_timeout_seconds = 300
  create_dlq                 = true
  redrive_policy = {
    maxReceiveCount = 5
  }
}
"""


def git(repo: Path, *args: str, date: str = BASE_DATE) -> str:
    env = {**os.environ, **GIT_ENV, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    out = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def replace(path: Path, old: str, new: str) -> None:
    """Edit a template file, failing loudly when the template no longer holds the text the demo changes."""
    text = path.read_text()
    if text.count(old) != 1:
        raise SystemExit(f"demo: {path} should contain {old!r} exactly once; update scripts/demo.py")
    path.write_text(text.replace(old, new))


def make_change(repo: Path) -> None:
    """The pull request's content (see the module docstring), as edits to the working tree."""
    replace(
        repo / "non-prod/us-east-1/qa/env.hcl",
        'mysql_instance_class = "db.t4g.small"',
        'mysql_instance_class = "db.t4g.medium"',
    )
    replace(repo / "_envcommon/redis.hcl", 'engine_version       = "7.1"', 'engine_version       = "7.2"')
    shutil.rmtree(repo / "non-prod/us-east-1/dev/bastion")
    (repo / "non-prod/us-east-1/dev/sqs").mkdir()
    (repo / "non-prod/us-east-1/dev/sqs/terragrunt.hcl").write_text(NEW_UNIT)
    with (repo / "accounts.yml").open("a") as f:
        f.write(NEW_ACCOUNT)


def build_demo_repo(dest: Path) -> tuple[str, str]:
    """Create the demo repository in `dest` (which must not exist); return the (base, head) commit shas.

    `main` holds the template; branch `qa-db-redis72-sandbox` holds the change and is checked out.
    """
    shutil.copytree(TEMPLATE, dest, ignore=shutil.ignore_patterns(".terragrunt-cache", ".terraform", "__pycache__"))
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "Initial import of infrastructure-live")
    base = git(dest, "rev-parse", "HEAD")
    git(dest, "checkout", "-q", "-b", BRANCH)
    make_change(dest)
    git(dest, "add", "-A")
    message = "qa: bigger MySQL; Redis 7.2 everywhere; drop dev bastion; dev job queue; sandbox account"
    git(dest, "commit", "-q", "-m", message, date=HEAD_DATE)
    return base, git(dest, "rev-parse", "HEAD")


def gwpipelines_executable() -> str:
    """The `gwpipelines` next to this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "gwpipelines"
    if beside.exists():
        return str(beside)
    found = shutil.which("gwpipelines")
    if found is None:
        raise SystemExit("demo: gwpipelines is not installed; run ./scripts/bootstrap")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--keep", action="store_true", help="keep the scratch repository and print its path")
    parser.add_argument(
        "--event", choices=["pull_request", "push"], default="pull_request", help="the event to simulate"
    )
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="gwpipelines-demo-"))
    repo = scratch / "infrastructure-live"
    try:
        base, head = build_demo_repo(repo)
        print(f"demo: scratch repo {repo}: main={base[:12]}, {BRANCH}={head[:12]}", file=sys.stderr)
        print(f"demo: the pull request {BRANCH} -> main changes:", file=sys.stderr)
        print(git(repo, "diff", "--name-status", "main", BRANCH), file=sys.stderr)
        command = [gwpipelines_executable(), "dry-run", "--repo", str(repo), "--base", "main"]
        command += ["--head", BRANCH, "--event", args.event]
        print("demo: $ " + " ".join(["gwpipelines", *command[1:]]), file=sys.stderr, flush=True)
        return subprocess.run(command, check=False).returncode
    finally:
        if args.keep:
            print(f"demo: kept the scratch repository at {repo}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
