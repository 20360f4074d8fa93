"""The Actions runner as gwpipelines sees it (`github.actions`): one frozen view of the environment, and workflow
commands escaped so that nothing a pull request writes (a file name, a tool's output) can end or forge one."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from gwpipelines import markdown
from gwpipelines.github import actions
from gwpipelines.github.actions import Runner
from testing.cli import run
from testing.gitrepo import GitRepo


def test_the_view_is_read_once_and_empty_outside_actions(tmp_path: Path) -> None:
    assert Runner.from_mapping({}) == Runner()
    env = {"GITHUB_ACTIONS": "true", "GITHUB_API_URL": "https://ghe.example/api/v3/", "RUNNER_TEMP": "/t",
           "GITHUB_TOKEN": " ghs_x ", "GITHUB_STEP_SUMMARY": str(tmp_path / "s")}  # fmt: skip
    runner = Runner.from_mapping(env)
    env["GITHUB_TOKEN"] = "changed later"  # a frozen copy: later changes to the mapping are not seen
    assert (runner.in_actions, runner.api_url, runner.temp, runner.token("GITHUB_TOKEN")) == (
        True, "https://ghe.example/api/v3", "/t", "ghs_x"
    )  # fmt: skip
    assert "ghs_x" not in repr(runner)
    runner.append_summary("## one")
    runner.append_summary("## two\n")
    assert (tmp_path / "s").read_text() == "## one\n\n## two\n\n"


def test_workflow_commands_cannot_be_ended_early_by_their_values() -> None:
    out = io.StringIO()
    actions.error("bad\n::add-mask::x 100%", file="a,b:c.hcl", line=3, stream=out)
    assert out.getvalue() == "::error file=a%2Cb%3Ac.hcl,line=3::bad%0A::add-mask::x 100%25\n"
    out = io.StringIO()
    actions.add_mask(["", "two\nlines"], stream=out)
    assert out.getvalue() == "::add-mask::two\n::add-mask::lines\n"


def test_untrusted_output_is_folded_with_commands_stopped() -> None:
    out = io.StringIO()
    actions.untrusted_group("plan:dev/vpc: succeeded", ["::set-output name=x::y", "::endgroup::", "plain"], stream=out)
    lines = out.getvalue().splitlines()
    token = lines[1].removeprefix("::stop-commands::")
    assert lines[0] == "::group::plan:dev/vpc: succeeded" and len(token) > 20
    assert lines[2:5] == ["::set-output name=x::y", "::endgroup::", "plain"]
    assert lines[5:] == [f"::{token}::", "::endgroup::"]


def test_a_parse_error_is_an_annotation_on_its_file_and_line_inside_actions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo.init(tmp_path / "live")
    repo.write("README.md", "x\n")
    base = repo.commit("readme")
    repo.write("accounts.yml", "dev:\n  id: '111111111111'\n  email: a@example.com\ndev:\n  id: '2'\n")
    head = repo.commit("accounts")
    args = ("orchestrate", "--repo", str(repo.path), "--base", base, "--head", head, "--event", "push")
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    outside = run(*args)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    inside = run(*args)
    assert inside.code == outside.code == 2, inside.err
    [annotation] = [line for line in inside.err.splitlines() if line.startswith("::error ")]
    assert annotation.startswith("::error file=") and ",line=" in annotation and "accounts.yml" in annotation
    assert "::error" not in outside.err


def test_execute_inside_actions_folds_each_units_log_and_lists_outputs_per_instance(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    from testing import LIVE_TEMPLATE, STANDIN_BIN

    live = GitRepo.from_tree(LIVE_TEMPLATE, tmp_path / "live")
    units = ["non-prod/us-east-1/dev/vpc", "non-prod/us-east-1/qa/vpc"]
    jobs = [{"id": f"apply:{u}", "unit": u, "action": "apply", "ref": live.head(), "account": "non-prod",
             "change_types": ["ModuleChanged"], "wave": 0, "needs": []} for u in units]  # fmt: skip
    summary = tmp_path / "summary.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "STANDIN_"))}
    env |= {
        "PATH": f"{STANDIN_BIN}{os.pathsep}{env['PATH']}",
        "GWPIPELINES_STANDIN_PYTHON": sys.executable,
        "STANDIN_STATE_DIR": str(tmp_path / "state"),
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    done = subprocess.run(
        [sys.executable, "-m", "gwpipelines", "execute", "--repo", str(live.path), "--jobs-file", "-",
         "--results-dir", str(tmp_path / "results"), "--format", "json"],
        input=json.dumps(jobs), capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["results"]
    for unit in units:
        # One group per unit holding its own log, with workflow commands stopped inside it.
        start = done.stderr.index(f"::group::apply:{unit}: succeeded\n")
        body = done.stderr[start : done.stderr.index("::endgroup::", start)]
        assert "::stop-commands::" in body and f"== apply:{unit}: apply {unit}" in body
        assert (tmp_path / "results" / "logs").is_dir()  # the unit logs the logs artifact uploads
    text = summary.read_text()
    assert text.count("## gwpipelines") == 1 and "### Outputs" in text
    for r in results:
        for instance, values in r["outputs_by_instance"].items():
            assert all(f"| `{r['unit']}` | `{instance}` | `{k}` |" in text for k in values)


def test_the_action_folds_commands_but_not_those_that_fold_their_own_jobs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    from gwpipelines.github.action import Call, run_cli

    for command, folded in (("orchestrate", True), ("execute", False), ("run", False)):
        assert run_cli(Call((command, "--help"), tmp_path / "out"), dict(os.environ)) == 0
        assert ("::group::gwpipelines " in capsys.readouterr().out) is folded, command


def test_the_action_writes_the_jobs_one_summary_with_problems_and_outputs(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    from testing import LIVE_TEMPLATE, STANDIN_BIN
    from testing.actions.runner import read_outputs

    live = GitRepo.from_tree(LIVE_TEMPLATE, tmp_path / "live")
    units = ["non-prod/us-east-1/dev/vpc", "non-prod/us-east-1/qa/vpc"]
    jobs = [{"id": f"apply:{u}", "unit": u, "action": "apply", "ref": live.head(), "account": "non-prod",
             "change_types": ["ModuleChanged"], "wave": 0, "needs": []} for u in units]  # fmt: skip
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    output.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "STANDIN_", "GWP_"))}
    env |= {
        "PATH": f"{STANDIN_BIN}{os.pathsep}{env['PATH']}",
        "GWPIPELINES_STANDIN_PYTHON": sys.executable,
        "STANDIN_STATE_DIR": str(tmp_path / "state"),
        "STANDIN_FAULTS": json.dumps({units[1]: {"command": "apply", "mode": "fail", "message": "AccessDenied"}}),
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
        "RUNNER_TEMP": str(tmp_path / "temp"),
        "GWP_COMMAND": "execute",
        "GWP_REPO": str(live.path),
        "GWP_JOBS": json.dumps(jobs),
    }
    done = subprocess.run([sys.executable, "-m", "gwpipelines.github.action"], env=env, capture_output=True, text=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert read_outputs(output)["status"] == "failure"
    text = summary.read_text()
    assert text.count("gwpipelines") == 1 and text.startswith("### gwpipelines execute: failure")  # one summary
    assert (
        f"| {markdown.table_code(units[0])} | apply | succeeded |" in text
        and "#### Problems" in text
        and "#### Outputs" in text
    )
    assert f"| `{units[0]}` | `terragrunt` |" in text
