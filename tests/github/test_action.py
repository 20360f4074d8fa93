"""The composite action's main step (`python -m gwpipelines.github.action`): inputs -> CLI flags, outputs, job summary,
log groups, masks and exit codes, run as action.yml runs it (environment variables in, files out)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from gwpipelines import markdown
from gwpipelines.errors import UserError
from gwpipelines.github.action import Inputs, calls_for, changed_units, counts, set_outputs
from testing import LIVE_TEMPLATE
from testing.actions.runner import read_outputs
from testing.actions.workflows import ACTION, load
from testing.cli import orchestrate_json, run
from testing.gitrepo import GitRepo
from testing.webhooks import examples

SHA = "0123456789abcdef0123456789abcdef01234567"


def run_step(tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
    """Runs the action's step with the environment action.yml gives it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GWP_")}
    env |= {k if k.isupper() else f"GWP_{k.upper()}": v for k, v in inputs.items()}
    output, summary, temp = tmp_path / "output", tmp_path / "summary", tmp_path / "runner-temp"
    output.touch()
    temp.mkdir(exist_ok=True)
    env |= {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(temp)}
    done = subprocess.run([sys.executable, "-m", "gwpipelines.github.action"], env=env, capture_output=True, text=True)
    return done, read_outputs(output), summary.read_text() if summary.exists() else ""


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> tuple[GitRepo, str, str]:
    repo = GitRepo.from_tree(LIVE_TEMPLATE, tmp_path_factory.mktemp("action") / "live")
    base = repo.head()
    repo.append("_envcommon/redis.hcl", "\n# redis 7.2\n")
    return repo, base, repo.commit("redis 7.2")


def test_orchestrate_outputs_the_jobs_the_cli_computes(tmp_path: Path, live: tuple[GitRepo, str, str]) -> None:
    repo, base, head = live
    done, outputs, summary = run_step(
        tmp_path, command="orchestrate", repo=str(repo.path), base=base, head=head, event="pull_request"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    expected = orchestrate_json(repo.path, base, head, "pull_request")
    assert outputs["status"] == "success" and outputs["has-jobs"] == "true"
    assert json.loads(outputs["jobs"]) == expected["jobs"]
    assert json.loads(Path(outputs["jobs-file"]).read_text()) == expected["jobs"]
    assert json.loads(Path(outputs["json-file"]).read_text()) == expected
    units = sorted(j["unit"] for j in expected["jobs"])
    assert len(units) == 4 and all(u.endswith("/redis") for u in units)
    matrix = json.loads(outputs["matrix"])
    assert sorted(j["unit"] for entry in matrix["include"] for j in entry["jobs"]) == units
    assert "### gwpipelines orchestrate: success" in summary
    assert all(f"| {markdown.table_code(u)} |" in summary for u in units)
    assert "::group::gwpipelines orchestrate" in done.stdout and "::endgroup::" in done.stdout


def test_orchestrate_takes_base_and_head_from_a_real_pull_request_event(
    tmp_path: Path, live: tuple[GitRepo, str, str]
) -> None:
    repo, base, head = live
    payload = next(p for p in examples("pull_request") if p["action"] == "opened")
    payload["pull_request"]["base"]["sha"], payload["pull_request"]["head"]["sha"] = base, head
    event = tmp_path / "event.json"
    event.write_text(json.dumps(payload))
    done, outputs, _ = run_step(
        tmp_path,
        command="orchestrate",
        repo=str(repo.path),
        GITHUB_EVENT_PATH=str(event),
        GITHUB_EVENT_NAME="pull_request",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    orchestration = json.loads(Path(outputs["json-file"]).read_text())
    assert (orchestration["base"], orchestration["head"], orchestration["event"]) == (base, head, "pull_request")
    assert {j["action"] for j in json.loads(outputs["jobs"])} == {"plan"}


def test_a_change_with_no_jobs_says_so(tmp_path: Path, live: tuple[GitRepo, str, str]) -> None:
    repo, _, head = live
    done, outputs, _ = run_step(
        tmp_path, command="orchestrate", repo=str(repo.path), base=head, head=head, event="push"
    )
    assert done.returncode == 0
    assert outputs["has-jobs"] == "false" and json.loads(outputs["jobs"]) == []


def test_bad_input_is_exit_2_with_one_error_line(tmp_path: Path, live: tuple[GitRepo, str, str]) -> None:
    repo, base, _ = live
    done, outputs, _ = run_step(tmp_path, command="orchestrate", repo=str(repo.path), base=base, event="push")
    assert done.returncode == 2 and outputs["status"] == "error"
    assert done.stdout.strip() == "::error::gwpipelines: action input `head` is required for command `orchestrate`"
    done, outputs, _ = run_step(tmp_path, command="deploy")
    assert done.returncode == 2
    assert "`command`: 'deploy' is not one of orchestrate, dispatch, execute, run" in done.stdout
    # An unknown ref is the CLI's own bad input: its exit code and message come through, the status says error.
    done, outputs, summary = run_step(
        tmp_path, command="orchestrate", repo=str(repo.path), base="no-such-ref", head="HEAD", event="push"
    )
    assert done.returncode == 2 and outputs["status"] == "error" and "no-such-ref" in done.stderr
    assert "orchestrate: error" in summary


def test_tokens_are_masked_before_anything_else_is_printed(tmp_path: Path) -> None:
    done, _, _ = run_step(tmp_path, command="dispatch", dispatch_token="ghs_secret1", github_token="ghs_secret2")
    lines = done.stdout.splitlines()
    assert lines[:2] == ["::add-mask::ghs_secret1", "::add-mask::ghs_secret2"]
    assert done.returncode == 2  # no jobs given: refused before any request


def test_inputs_map_to_the_documented_flags(tmp_path: Path) -> None:
    dispatch = Inputs(
        command="dispatch", jobs_file="jobs.json", live_repo="acme/live", pipelines_repo="acme/pipes", pr="7", sha=SHA
    )
    assert calls_for(dispatch, tmp_path)[0].argv == (
        "dispatch", "--jobs-file", "jobs.json", "--live-repo", "acme/live", "--pipelines-repo", "acme/pipes",
        "--workflow", "pipelines.yml", "--ref", "main", "--pr", "7", "--format", "json",
    )  # fmt: skip
    push = Inputs(command="dispatch", jobs='[{"id": "a"}]', live_repo="acme/live", pipelines_repo="acme/p", sha=SHA)
    assert calls_for(push, tmp_path)[0].argv[-4:] == ("--sha", SHA, "--format", "json")
    execute = Inputs(
        command="execute", repo="live", jobs="[]", config="pipelines/pipelines.yml", pr="12", live_repo="acme/live"
    )
    call = calls_for(execute, tmp_path)[0]
    assert call.argv == (
        "execute", "--repo", "live", "--jobs-file", str(tmp_path / "jobs-input.json"),
        "--config", "pipelines/pipelines.yml", "--pr", "12", "--live-repo", "acme/live", "--format", "json",
    )  # fmt: skip
    assert call.output == tmp_path / "results.json"
    local = Inputs(command="run", base="a", head="b", event="push")
    assert calls_for(local, tmp_path)[0].argv == (
        "run", "--repo", ".", "--base", "a", "--head", "b", "--event", "push", "--format", "json",
    )  # fmt: skip
    reported = Inputs(command="run", base="a", head="b", event="pull_request", live_repo="acme/live", pr="3")
    assert calls_for(reported, tmp_path)[0].argv[-6:] == ("--live-repo", "acme/live", "--pr", "3", "--format", "json")


def test_the_dispatch_knobs_reach_the_cli_only_when_given(tmp_path: Path) -> None:
    base = {"command": "dispatch", "jobs_file": "j.json", "live_repo": "a/l", "pipelines_repo": "a/p", "pr": "7"}
    plain = calls_for(Inputs(**base), tmp_path)[0].argv
    assert not {"--batch", "--max-parallel-runs", "--timeout", "--poll-interval", "--new-comment-per-push"} & set(plain)
    knobs = Inputs(**base, batch="account", max_parallel_runs="2", timeout="600", poll_interval="3",
                   new_comment_per_push="true")  # fmt: skip
    assert calls_for(knobs, tmp_path)[0].argv[-11:] == (
        "--batch", "account", "--max-parallel-runs", "2", "--timeout", "600", "--poll-interval", "3",
        "--new-comment-per-push", "--format", "json",
    )  # fmt: skip
    assert "--new-comment-per-push" not in calls_for(Inputs(**base, new_comment_per_push="false"), tmp_path)[0].argv
    with pytest.raises(UserError, match="new-comment-per-push"):
        calls_for(Inputs(**base, new_comment_per_push="yes"), tmp_path)
    dry = Inputs(command="dry-run", base="a", head="b", event="push")
    assert calls_for(dry, tmp_path)[0].argv == (
        "dry-run", "--repo", ".", "--base", "a", "--head", "b", "--event", "push", "--format", "json",
    )  # fmt: skip


def test_counts_and_changed_units_outputs() -> None:
    orchestrated = {
        "changes": [{"type": "ModuleChanged", "unit": "a"}, {"type": "AccountAdded", "unit": None}],
        "jobs": [
            {"unit": "a", "action": "plan"},
            {"unit": "b", "action": "plan"},
            {"unit": "c", "action": "plan-destroy"},
        ],
    }
    assert counts(orchestrated) == {"plan": 2, "plan-destroy": 1}
    assert changed_units(orchestrated) == ["a", "b", "c"]
    results = {"results": [{"unit": "a", "status": "failed"}, {"unit": "b", "status": "succeeded"}]}
    assert counts(results) == {"failed": 1, "succeeded": 1} and changed_units(results) == ["a", "b"]
    assert counts(None) == {} and changed_units("x") == []


def test_every_cli_flag_the_action_uses_exists() -> None:
    """A renamed flag in a command must break this test, not a user's pipeline."""
    missing = []
    for command in ("orchestrate", "dispatch", "execute", "run", "dry-run"):
        help_text = run(command, "--help")
        if help_text.code != 0:
            missing.append(command)
            continue
        inputs = Inputs(command=command, base="a", head="b", event="push", jobs="[]", live_repo="o/l",
                        pipelines_repo="o/p", config="c.yml", pr="1", batch="job", max_parallel_runs="1",
                        timeout="9", poll_interval="1", new_comment_per_push="true")  # fmt: skip
        for call in calls_for(inputs, Path("/tmp")):
            for flag in (a for a in call.argv if a.startswith("--")):
                assert flag in help_text.out, f"gwpipelines {command} has no {flag}"
    if missing:
        pytest.skip(f"not on this branch yet: {', '.join(missing)}")


def test_output_values_cannot_end_their_own_entry(tmp_path: Path) -> None:
    out = tmp_path / "out"
    set_outputs({"jobs": "line1\nEOF\nstatus=hijacked", "status": "success"}, {"GITHUB_OUTPUT": str(out)})
    assert read_outputs(out) == {"jobs": "line1\nEOF\nstatus=hijacked", "status": "success"}


def test_action_yml_passes_every_input_to_the_step_and_nothing_else() -> None:
    action = load(ACTION)
    declared = set(action["inputs"])
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "gwpipelines")
    passed = {k.removeprefix("GWP_").lower().replace("_", "-") for k in step["env"] if k.startswith("GWP_")}
    # The Python and the parse cache are the action's own steps' business, not the command's.
    assert passed == declared - {"python-version", "parse-cache", "parse-cache-max-mb"}
    assert {f.replace("_", "-") for f in Inputs.__dataclass_fields__} == passed
    for name, value in step["env"].items():
        if name.startswith("GWP_"):
            input_name = name.removeprefix("GWP_").lower().replace("_", "-")
            assert value == "${{ inputs." + input_name + " }}"


def test_run_plans_or_applies_in_this_repository(tmp_path: Path) -> None:
    """Single-repo mode: `command: run` orchestrates and executes here, with the stand-in terragrunt."""
    from testing.e2e import DEV_UNITS, STANDIN_BIN, World

    world = World.make(tmp_path / "world", {})
    # The change: every unit added to a repository that already had its accounts.yml (so no account is created).
    blob = world.live.git("rev-parse", "HEAD:accounts.yml")
    tree = subprocess.run(
        ["git", "-C", str(world.live.path), "mktree"], input=f"100644 blob {blob}\taccounts.yml\n", text=True,
        capture_output=True, check=True,
    ).stdout.strip()  # fmt: skip
    base = world.live.git("commit-tree", tree, "-m", "accounts only")
    state = tmp_path / "state"
    state.mkdir()
    done, outputs, summary = run_step(
        tmp_path,
        command="run",
        repo=str(world.live.path),
        base=base,
        head=world.live.head(),
        event="push",
        PATH=f"{STANDIN_BIN}{os.pathsep}{os.environ['PATH']}",
        GWPIPELINES_STANDIN_PYTHON=sys.executable,
        STANDIN_STATE_DIR=str(state),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs["status"] == "success"
    applied = json.loads(Path(outputs["results-file"]).read_text())["results"]
    assert sorted(r["unit"] for r in applied if r["status"] == "succeeded") == DEV_UNITS
    assert all(f"| {markdown.table_code(u)} | apply | succeeded |" in summary for u in DEV_UNITS)


def test_outputs_too_big_for_github_are_left_to_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gwpipelines.github import action

    monkeypatch.setattr(action, "OUTPUT_LIMIT", 10)
    assert action._bounded("jobs", "[1]") == "[1]"
    assert action._bounded("jobs", "[" + "1," * 20 + "1]") == ""


HOSTILE = "x <img src=x onerror=alert(1)> [click](https://evil.example) @acme/admins | ``` `"


def test_hostile_text_in_a_summary_is_inert(tmp_path: Path) -> None:
    """Unit paths, warnings and failures are what a pull request (or its plan output) wrote: none of it becomes a
    link, an image, a mention, HTML or another table cell in the job summary."""
    from gwpipelines.github.action import Call, report

    out = tmp_path / "out.json"
    result = {"id": f"plan:{HOSTILE}", "unit": HOSTILE, "action": "plan", "status": "failed", "failure": HOSTILE,
              "summary": {"add": 1, "change": 0, "destroy": 0}, "seconds": HOSTILE}  # fmt: skip
    out.write_text(json.dumps({"results": [result]}))
    _, results_summary = report(Inputs(command="execute"), [Call(("execute",), out)], 1)
    out.write_text(json.dumps({"changes": [], "jobs": [{"id": "plan:x", "wave": 0, "action": "plan", "unit": HOSTILE}],
                               "warnings": [HOSTILE]}))  # fmt: skip
    _, jobs_summary = report(Inputs(command="orchestrate"), [Call(("orchestrate",), out)], 0)
    for summary in (results_summary, jobs_summary):
        # Outside code spans (shown exactly, never rendered), every markup character is escaped.
        prose = summary.replace(markdown.table_code(HOSTILE), "").replace(markdown.code(f"plan:{HOSTILE}"), "")
        for raw in (r"(?<!\\)<img", r"(?<!\\)\]\(https://", "@acme", r"(?<!\\)```"):
            assert not re.search(raw, prose), raw
        rows = [line.replace("\\|", "") for line in summary.splitlines() if line.startswith("|")]
        assert len(rows) >= 3 and all(row.count("|") == rows[0].count("|") for row in rows)  # no cell added
    assert markdown.table_code(HOSTILE) in jobs_summary and markdown.text(HOSTILE) in jobs_summary
    assert markdown.text(HOSTILE) in results_summary
