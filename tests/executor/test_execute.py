"""`gwpipelines execute` and `gwpipelines run` end to end: real git repos from the live template, the stand-in
terragrunt on PATH, results as JSON and files."""

from __future__ import annotations

import json
from pathlib import Path

from gwpipelines import markdown
from testing.cli import run
from testing.executor_fixtures import (
    FAST_CONFIG,
    Standin,
    commit_change,
    execute,
    execute_job,
    job,
    result_file,
    results_by_id,
    write_config,
)
from testing.gitrepo import GitRepo

PREVIOUS = "HEAD~1"  # dev_live: the commit before the units were added
DEV = "non-prod/us-east-1/dev"
DEV_UNITS = [f"{DEV}/{c}" for c in ("app", "bastion", "mysql", "redis", "vpc")]


def run_push(repo: GitRepo, tmp_path: Path, base: str, name: str, *extra: str):  # type: ignore[no-untyped-def]
    config = write_config(tmp_path / "pipelines.yml", FAST_CONFIG)
    return run(
        "run",
        "--repo",
        str(repo.path),
        "--base",
        base,
        "--head",
        "main",
        "--event",
        "push",
        "--config",
        str(config),
        "--results-dir",
        str(tmp_path / name),
        "--format",
        "json",
        *extra,
    )


def test_first_push_applies_every_unit_in_dependency_order(dev_live: GitRepo, tmp_path: Path, standin: Standin):
    res = run_push(dev_live, tmp_path, PREVIOUS, "results")
    assert res.code == 0, res.err
    results = results_by_id(res)
    assert sorted(results) == sorted(f"apply:{u}" for u in DEV_UNITS)
    assert all(r["status"] == "succeeded" for r in results.values()), results
    assert standin.applied() == DEV_UNITS
    app = results[f"apply:{DEV}/app"]
    assert app["summary"] == {"add": 2, "change": 0, "destroy": 0, "replace": 0}
    # The stand-in refuses an apply whose dependency has no outputs (mocks are for plan only): that the app was
    # applied at all proves its dependencies ran first; the timestamps show it too.
    files = {u: result_file(tmp_path / "results", f"apply:{u}") for u in DEV_UNITS}
    for dep in ("vpc", "mysql", "redis"):
        assert files[f"{DEV}/{dep}"]["finished_at"] <= files[f"{DEV}/app"]["started_at"]
    assert files[f"{DEV}/vpc"]["finished_at"] <= files[f"{DEV}/mysql"]["started_at"]
    # Outputs come from `output -json` of the applied unit: what its dependents declared as mocks, for real now.
    vpc_outputs = results[f"apply:{DEV}/vpc"]["outputs"]
    assert set(vpc_outputs) >= {"id", "vpc_id", "private_subnets"}
    assert vpc_outputs["vpc_id"].startswith("vpc-") and vpc_outputs["vpc_id"] != "vpc-0123456789abcdef0"
    assert "Apply complete! Resources: 2 added" in app["log"]
    assert Path(files[f"{DEV}/app"]["log_path"]).read_text().count("$ terragrunt run") == 4


def test_a_unit_failing_mid_apply_skips_its_dependents_only(dev_live: GitRepo, tmp_path: Path, standin: Standin):
    standin.faults({f"{DEV}/mysql": {"command": "apply", "mode": "fail", "message": "AccessDenied: not allowed"}})
    res = run_push(dev_live, tmp_path, PREVIOUS, "results")
    assert res.code == 1
    assert "1 job(s) failed: apply:non-prod/us-east-1/dev/mysql" in res.err
    results = results_by_id(res)
    assert len(results) == 5  # every job reported
    status = {i: r["status"] for i, r in results.items()}
    assert status == {
        f"apply:{DEV}/vpc": "succeeded",
        f"apply:{DEV}/redis": "succeeded",
        f"apply:{DEV}/bastion": "succeeded",
        f"apply:{DEV}/mysql": "failed",
        f"apply:{DEV}/app": "skipped",
    }
    assert results[f"apply:{DEV}/app"]["failure"] == f"dependency apply:{DEV}/mysql failed"
    assert "AccessDenied" in results[f"apply:{DEV}/mysql"]["log"]
    assert results[f"apply:{DEV}/mysql"]["failure"].startswith("terragrunt: apply failed (exit 1)")
    assert standin.state(f"{DEV}/app") is None


def test_pull_request_plans_then_merge_applies(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    assert run_push(dev_live, tmp_path, PREVIOUS, "initial").code == 0
    base = dev_live.head()
    head = commit_change(dev_live)
    config = write_config(tmp_path / "pipelines.yml", FAST_CONFIG)
    common = ["--config", str(config), "--format", "json", "--repo", str(dev_live.path)]
    plan = run(
        "run", "--base", base, "--head", head, "--event", "pull_request", "--results-dir", str(tmp_path / "p"), *common
    )
    assert plan.code == 0, plan.err
    results = results_by_id(plan)
    assert results[f"plan-destroy:{DEV}/bastion"]["summary"]["destroy"] == 2
    assert results[f"plan:{DEV}/sqs"]["summary"]["add"] == 2
    assert results[f"plan:{DEV}/mysql"]["summary"]["change"] == 1
    assert "~ terraform_data.config" in results[f"plan:{DEV}/mysql"]["log"]
    # A plan changes nothing.
    assert standin.applied() == DEV_UNITS
    # Applying the pull request's head before it is merged is refused.
    early = run("run", "--base", base, "--head", head, "--event", "push", "--results-dir", str(tmp_path / "x"), *common)
    assert early.code == 2 and "not on the default branch" in early.err
    dev_live.git("checkout", "-q", "main")
    dev_live.git("merge", "-q", "--ff-only", "change")
    apply = run(
        "run", "--base", base, "--head", "main", "--event", "push", "--results-dir", str(tmp_path / "a"), *common
    )
    assert apply.code == 0, apply.err
    results = results_by_id(apply)
    assert results[f"destroy:{DEV}/bastion"]["status"] == "succeeded"
    assert standin.state(f"{DEV}/bastion")["resources"] == []  # type: ignore[index]
    assert standin.state(f"{DEV}/sqs") is not None
    assert results[f"apply:{DEV}/mysql"]["summary"] == {"add": 0, "change": 1, "destroy": 0, "replace": 0}


def test_transient_failures_are_retried_up_to_max_attempts(dev_live: GitRepo, tmp_path: Path, standin: Standin):
    standin.faults({f"{DEV}/vpc": {"command": "plan", "mode": "transient", "times": 1}})
    config = write_config(tmp_path / "pipelines.yml", FAST_CONFIG)
    vpc = json.dumps(job(f"{DEV}/vpc", "plan", dev_live.head()))
    res = execute(dev_live.path, tmp_path / "r1", "--job", vpc, "--config", str(config))
    assert res.code == 0, res.err
    detail = result_file(tmp_path / "r1", f"plan:{DEV}/vpc")
    assert detail["instances"] == [{"name": "terragrunt", "ok": True, "attempts": 2, "message": ""}]
    assert "attempt 2/2 after a transient failure" in res.json()["results"][0]["log"]
    # Failing more often than max_attempts allows: failed, after exactly max_attempts attempts.
    standin.faults({f"{DEV}/vpc": {"command": "plan", "mode": "transient", "times": 5}})
    (standin.state_dir / DEV / "vpc" / ".transient-plan").unlink()
    res = execute(dev_live.path, tmp_path / "r2", "--job", vpc, "--config", str(config))
    assert res.code == 1
    assert "transient provider download error" in res.json()["results"][0]["failure"]
    assert result_file(tmp_path / "r2", f"plan:{DEV}/vpc")["instances"][0]["attempts"] == 2


def test_a_real_error_is_not_retried(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    standin.faults({f"{DEV}/vpc": {"command": "plan", "mode": "fail"}})
    res = execute_job(dev_live, tmp_path / "r", f"{DEV}/vpc", "plan")
    assert res.code == 1
    assert result_file(tmp_path / "r", f"plan:{DEV}/vpc")["instances"][0]["attempts"] == 1


def test_a_hanging_tool_is_stopped_at_the_timeout(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    standin.faults({"*": {"command": "plan", "mode": "hang", "seconds": 60}})
    config = write_config(tmp_path / "p.yml", FAST_CONFIG.replace("timeout_seconds: 60", "timeout_seconds: 2"))
    res = execute_job(dev_live, tmp_path / "r", f"{DEV}/vpc", "plan", "--config", str(config))
    assert res.code == 1
    result = res.json()["results"][0]
    assert result["failure"] == "terragrunt: plan timed out" and result["seconds"] < 30
    assert "timed out after 2s and was stopped" in result["log"]


def test_huge_and_binary_output_is_bounded_and_readable(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    standin.faults(
        {
            f"{DEV}/vpc": {"command": "plan", "mode": "huge", "bytes": 3_000_000},
            f"{DEV}/redis": {"command": "plan", "mode": "nonutf8"},
        }
    )
    jobs = [job(f"{DEV}/vpc", "plan", dev_live.head()), job(f"{DEV}/redis", "plan", dev_live.head())]
    res = execute(dev_live.path, tmp_path / "r", "--job", json.dumps(jobs))
    assert res.code == 0, res.err
    vpc, redis = res.json()["results"]
    assert len(vpc["log"]) <= 20_100 and vpc["log"].startswith("[...]")
    assert Path(result_file(tmp_path / "r", vpc["id"])["log_path"]).stat().st_size > 3_000_000
    assert "caf\ufffd" in redis["log"] and "\x1b[" not in redis["log"] and "red" in redis["log"]


def test_step_summary_in_actions(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    summary = tmp_path / "summary.md"
    standin.monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    standin.faults({f"{DEV}/redis": {"command": "plan", "mode": "fail"}})
    jobs = [job(f"{DEV}/vpc", "plan", dev_live.head()), job(f"{DEV}/redis", "plan", dev_live.head())]
    assert execute(dev_live.path, tmp_path / "r", "--job", json.dumps(jobs)).code == 1
    text = summary.read_text()
    assert f"| `plan:{DEV}/vpc` | ✅ succeeded | 2 | 0 | 0 | 0 |" in text
    assert f"`plan:{DEV}/redis`: {markdown.text('terragrunt: plan failed (exit 1)')}" in text


def test_results_json_shape(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    res = execute_job(dev_live, tmp_path / "r", f"{DEV}/vpc", "plan")
    (result,) = res.json()["results"]
    assert list(result) == ["id", "unit", "action", "status", "summary", "outputs", "log", "seconds"]
    assert result["outputs"] == {}  # a plan publishes no outputs
    text = run(
        "execute",
        "--repo",
        str(dev_live.path),
        "--results-dir",
        str(tmp_path / "t"),
        "--job",
        json.dumps(job(f"{DEV}/vpc", "plan", dev_live.head())),
        "--format",
        "text",
    )
    assert text.code == 0 and f"succeeded plan:{DEV}/vpc  +2 ~0 -0 ±0" in text.out


def test_a_cancelled_run_stops_its_tools_and_cleans_up(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    """The runner cancels with SIGTERM: the tool (in its own session) is stopped, the worktrees removed."""
    import os
    import signal
    import subprocess
    import sys
    import time

    standin.faults({"*": {"command": "plan", "mode": "hang", "seconds": 120}})
    one = json.dumps(job(f"{DEV}/vpc", "plan", dev_live.head()))
    argv = [sys.executable, "-m", "gwpipelines", "execute", "--repo", str(dev_live.path), "--job", one]
    proc = subprocess.Popen(
        [*argv, "--results-dir", str(tmp_path / "r")], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    pid_file = standin.state_dir / DEV / "vpc" / ".hang-pid"
    deadline = time.monotonic() + 60
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pid_file.exists(), proc.stderr.read() if proc.poll() is not None else "the tool never started"
    tool = int(pid_file.read_text())
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    time.sleep(0.2)
    try:
        os.kill(tool, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive, "the tool outlived the cancelled run"
    assert dev_live.git("worktree", "list").count("\n") == 0  # only the main working tree is left


def test_a_plan_json_over_8_mib_is_streamed_to_its_file_and_the_unit_is_applied(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    """Issue 13 item 7: `show -json` output is streamed to a file, never cut at the in-memory capture limit."""
    from gwpipelines.extensions.process import MAX_CAPTURE

    standin.faults({f"{DEV}/vpc": {"command": "show", "mode": "huge", "bytes": MAX_CAPTURE + 1_000_000}})
    config = write_config(tmp_path / "pipelines.yml", FAST_CONFIG)
    vpc = json.dumps(job(f"{DEV}/vpc", "apply", dev_live.head()))
    res = execute(dev_live.path, tmp_path / "r", "--job", vpc, "--config", str(config))
    assert res.code == 0, res.err
    (result,) = res.json()["results"]
    assert result["summary"]["add"] == 2
    assert standin.state(f"{DEV}/vpc") is not None
