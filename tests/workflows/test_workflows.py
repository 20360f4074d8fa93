"""The reusable workflows' contract and security properties (DESIGN.md, Security model), read from the YAML, and
the pipelines workflow's own validation step executed as the runner would execute it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gwpipelines.trust_policy import APPLY_ENVIRONMENT, FACTORY_PLAN_ENVIRONMENT, PLAN_ENVIRONMENT_PREFIX
from testing.actions.workflows import ACTION, PIPELINES_TEMPLATE, REUSABLE, load

LIVE = load(REUSABLE / "live.yml")
PIPELINES = load(REUSABLE / "pipelines.yml")
SHA_A = "a" * 40
SHA_B = "b" * 40


def checkouts(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        s.get("with", {})
        for job in workflow["jobs"].values()
        for s in job.get("steps", [])
        if str(s.get("uses", "")).startswith("actions/checkout@")
    ]


def test_no_workflow_grants_anything_at_the_top_level() -> None:
    for workflow in (LIVE, PIPELINES, load(PIPELINES_TEMPLATE / ".github/workflows/pipelines.yml")):
        assert workflow["permissions"] == {}
        assert all("permissions" in job for job in workflow["jobs"].values())


def test_the_live_side_has_no_cloud_credentials_and_the_history_the_diff_needs() -> None:
    jobs = LIVE["jobs"]
    assert all("id-token" not in job["permissions"] for job in jobs.values())
    assert jobs["gwpipelines"]["permissions"] == {"contents": "read", "pull-requests": "write", "issues": "write"}
    assert jobs["status"]["permissions"] == {}
    [checkout] = checkouts(LIVE)
    assert checkout["fetch-depth"] == 0 and checkout["persist-credentials"] is False
    secrets = LIVE["on"]["workflow_call"]["secrets"]
    assert list(secrets) == ["PIPELINES_DISPATCH_TOKEN"]


def test_the_pipelines_side_takes_exactly_the_dispatch_contract() -> None:
    assert PIPELINES["run-name"] == "gwpipelines ${{ inputs.correlation_id }}"
    dispatch = PIPELINES["on"]["workflow_dispatch"]["inputs"]
    required = [name for name, spec in dispatch.items() if spec.get("required")]
    assert required == ["correlation_id", "jobs", "live_repo"]
    assert all(spec.get("default") is not None for name, spec in dispatch.items() if name not in required)
    assert set(dispatch) == set(PIPELINES["on"]["workflow_call"]["inputs"])
    # Never a dispatch input: where jobs holding an OIDC token run is not for the dispatcher to pick.
    assert {job["runs-on"] for job in PIPELINES["jobs"].values()} == {"ubuntu-latest"}
    assert "runner" not in dispatch
    template = load(PIPELINES_TEMPLATE / ".github/workflows/pipelines.yml")
    assert list(template["on"]["workflow_dispatch"]["inputs"]) == ["correlation_id", "jobs", "live_repo", "pr"]
    assert template["run-name"] == PIPELINES["run-name"]


def test_only_the_execute_job_may_request_an_oidc_token_and_it_never_keeps_a_git_token() -> None:
    jobs = PIPELINES["jobs"]
    assert [name for name, job in jobs.items() if job["permissions"].get("id-token") == "write"] == ["execute"]
    assert jobs["execute"]["permissions"] == {"contents": "read", "id-token": "write"}
    assert all(c["persist-credentials"] is False for c in checkouts(PIPELINES))
    live = next(c for c in checkouts(PIPELINES) if c.get("repository"))
    assert live["repository"] == "${{ needs.prepare.outputs.live-repo }}"  # validated, never the raw input
    assert live["ref"] == "${{ needs.prepare.outputs.ref }}"
    assert live["token"] == "${{ secrets.LIVE_REPO_READ_TOKEN || github.token }}"


def test_applies_queue_per_leg_and_are_never_cancelled() -> None:
    execute = PIPELINES["jobs"]["execute"]
    assert execute["concurrency"]["cancel-in-progress"] is False
    # The leg: the account itself with one runner per account (the group of old), `<account>-<shard>` with more.
    assert "matrix.leg" in execute["concurrency"]["group"]
    assert "inputs.live_repo" not in execute["concurrency"]["group"]  # the validated value only
    assert execute["strategy"]["matrix"] == "${{ fromJSON(needs.prepare.outputs.legs) }}"
    # The environment the apply role's trust policy names (trust_policy.APPLY_ENVIRONMENT) for applies; for plans,
    # the account's own plan environment, the only one its plan role trusts (trust_policy.plan_environment).
    assert execute["environment"] == (
        f"${{{{ needs.prepare.outputs.mode == 'apply' && '{APPLY_ENVIRONMENT}' || "
        f"matrix.account == '_account-factory' && '{FACTORY_PLAN_ENVIRONMENT}' || "
        f"format('{PLAN_ENVIRONMENT_PREFIX}{{0}}', matrix.account) }}}}"
    )


def test_the_account_factory_token_reaches_only_account_create_legs_of_apply_runs() -> None:
    execute = PIPELINES["jobs"]["execute"]
    steps_with_it = [s for s in execute["steps"] if "ACCOUNT_FACTORY_TOKEN" in json.dumps(s)]
    [step] = steps_with_it
    assert step["env"]["GWPIPELINES_ACCOUNT_FACTORY_TOKEN"] == (
        "${{ needs.prepare.outputs.mode == 'apply' && matrix.account == '_account-factory' "
        "&& secrets.ACCOUNT_FACTORY_TOKEN || '' }}"
    )


def test_the_results_artifact_is_published_even_when_a_job_failed() -> None:
    status = PIPELINES["jobs"]["status"]
    assert status["if"] == "always()" and set(status["needs"]) == {"prepare", "execute"}
    published = [s for s in status["steps"] if s.get("with", {}).get("name") == "gwpipelines-results"]
    assert [s["with"]["path"] for s in published] == ["results.json"]
    keep = next(s for s in PIPELINES["jobs"]["execute"]["steps"] if "upload-artifact" in str(s.get("uses")))
    assert keep["if"].startswith("always()")


def test_the_live_side_passes_the_dispatch_knobs_and_can_dry_run() -> None:
    inputs = LIVE["on"]["workflow_call"]["inputs"]
    assert {
        "runner",
        "dry-run",
        "batch",
        "max-parallel-runs",
        "timeout",
        "poll-interval",
        "new-comment-per-push",
    } <= set(inputs)
    job = LIVE["jobs"]["gwpipelines"]
    assert job["runs-on"] == "${{ inputs.runner }}"
    steps = {s.get("id"): s for s in job["steps"]}
    assert steps["dry-run"]["if"] == "inputs.dry-run" and steps["dry-run"]["with"]["command"] == "dry-run"
    assert "!inputs.dry-run" in steps["dispatch"]["if"]  # a dry run dispatches nothing and uses no token
    for knob in ("batch", "max-parallel-runs", "timeout", "poll-interval", "new-comment-per-push"):
        assert steps["dispatch"]["with"][knob] == "${{ inputs." + knob + " }}"
    assert set(LIVE["on"]["workflow_call"]["outputs"]) == {"status", "counts", "changed-units"}


def test_every_input_given_to_the_action_is_one_it_declares() -> None:
    declared = set(load(ACTION)["inputs"])
    for workflow in (LIVE, PIPELINES):
        for job in workflow["jobs"].values():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("gwpipelines/gwpipelines@"):
                    assert set(step["with"]) <= declared, set(step["with"]) - declared


def test_the_templates_call_the_reusable_workflows_with_declared_inputs_and_secrets() -> None:
    from testing.actions.workflows import LIVE_TEMPLATE

    for caller, callee in (
        (LIVE_TEMPLATE / ".github/workflows/gwpipelines.yml", LIVE),
        (PIPELINES_TEMPLATE / ".github/workflows/pipelines.yml", PIPELINES),
    ):
        [job] = load(caller)["jobs"].values()
        spec = callee["on"]["workflow_call"]
        assert set(job["with"]) <= set(spec["inputs"])
        assert {n for n, i in spec["inputs"].items() if i.get("required")} <= set(job["with"])
        assert set(job.get("secrets", {})) <= set(spec.get("secrets", {}))
        # A called workflow gets no more than its caller's permissions.
        needed = {p for j in callee["jobs"].values() for p, v in j["permissions"].items() if v == "write"}
        assert needed <= {p for p, v in job["permissions"].items() if v == "write"}


# -- the pipelines workflow's validation step, executed ---------------------------------------------------------------


def prepare(
    jobs: Any, config: str = "pipelines.yml", tmp: Path | None = None, live_repo: str = "acme/infrastructure-live"
) -> tuple[int, dict[str, str], str]:
    step = next(s for s in PIPELINES["jobs"]["prepare"]["steps"] if s.get("id") == "jobs")
    assert step["env"] == {
        "JOBS": "${{ inputs.jobs }}",
        "CONFIG": "${{ inputs.config }}",
        "LIVE_REPO": "${{ inputs.live_repo }}",
    }
    assert tmp is not None
    output = tmp / "output"
    output.write_text("")
    env = {**os.environ, "JOBS": jobs if isinstance(jobs, str) else json.dumps(jobs), "CONFIG": config}
    env["LIVE_REPO"] = live_repo
    env["GITHUB_OUTPUT"] = str(output)
    env["RUNNER_TEMP"] = str(tmp)
    done = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return done.returncode, outputs, done.stdout


def job(action: str, ref: str = SHA_A, account: str | None = "non-prod") -> dict[str, Any]:
    return {"id": f"{action}:x", "unit": "non-prod/x", "action": action, "ref": ref, "account": account}


def test_prepare_picks_the_head_commit_the_accounts_and_the_mode(tmp_path: Path) -> None:
    jobs = [job("plan-destroy", SHA_B), job("plan", SHA_A, "prod"), job("plan", SHA_A)]
    jobs.append(job("plan", SHA_A, None))
    code, outputs, _ = prepare(jobs, tmp=tmp_path)
    assert code == 0
    assert outputs == {
        "ref": SHA_A,
        "accounts": '["non-prod","none","prod"]',
        "mode": "plan",
        "live-repo": "acme/infrastructure-live",
        "file": str(tmp_path / "gwpipelines-jobs.json"),
    }
    assert json.loads((tmp_path / "gwpipelines-jobs.json").read_text()) == jobs  # what `gwpipelines shard` reads
    code, outputs, _ = prepare([job("destroy", SHA_B), job("apply", SHA_A)], tmp=tmp_path)
    assert code == 0 and outputs["mode"] == "apply" and outputs["ref"] == SHA_A
    # The factory's jobs, whatever account they name, get a leg of their own (the management account's roles).
    code, outputs, _ = prepare([job("apply", SHA_A), job("account-create", SHA_A, "sandbox")], tmp=tmp_path)
    assert code == 0 and outputs["accounts"] == '["_account-factory","non-prod"]'
    code, outputs, _ = prepare([job("plan"), job("account-plan", SHA_A, "sandbox")], tmp=tmp_path)
    assert code == 0 and outputs["accounts"] == '["_account-factory","non-prod"]' and outputs["mode"] == "plan"
    code, outputs, _ = prepare([job("destroy", SHA_B)], tmp=tmp_path)
    assert code == 0 and outputs["ref"] == SHA_B


@pytest.mark.parametrize(
    ("jobs", "config", "error"),
    [
        ([job("plan"), job("apply")], "pipelines.yml", "may not mix plans with applies"),
        ([job("plan", "main")], "pipelines.yml", "ref is not a 40-hex commit"),
        ([job("plan", SHA_A + "\nmode=apply")], "pipelines.yml", "ref is not a 40-hex commit"),
        ([job("plan", account="../x")], "pipelines.yml", "an account name is not"),
        ([], "pipelines.yml", "not a non-empty JSON list"),
        ("{not json", "pipelines.yml", "not a non-empty JSON list"),
        ([job("plan")], "../live/pipelines.yml", "config: must name a YAML file"),
    ],
)
def test_prepare_refuses_what_cannot_be_a_job(tmp_path: Path, jobs: Any, config: str, error: str) -> None:
    code, outputs, stdout = prepare(jobs, config, tmp=tmp_path)
    assert code == 2 and error in stdout and "mode" not in outputs


def test_prepare_trims_the_live_repo_and_refuses_what_is_not_owner_name(tmp_path: Path) -> None:
    code, outputs, _ = prepare([job("plan")], tmp=tmp_path, live_repo=" acme/infrastructure-live \n")
    assert code == 0 and outputs["live-repo"] == "acme/infrastructure-live"
    for bad in ("acme", "acme/live/x", "acme/live-${{x}}", "../live", "acme/..", "a b/c", ""):
        code, outputs, stdout = prepare([job("plan")], tmp=tmp_path, live_repo=bad)
        assert code == 2 and "live_repo: not a GitHub OWNER/NAME" in stdout, bad


@pytest.mark.parametrize("runners", [1, 2])
def test_each_leg_selects_its_jobs_and_the_factory_leg_takes_the_account_jobs(tmp_path: Path, runners: int) -> None:
    """The execute job's selection, executed: for each leg `gwpipelines shard` names, exactly that leg's jobs."""
    from testing.cli import run

    step = next(s for s in PIPELINES["jobs"]["execute"]["steps"] if s.get("id") == "select")
    assert step["env"]["SHARDS"] == "${{ needs.prepare.outputs.shards }}"  # the prepare job's: no leg's own
    jobs = [
        {**job("plan", account=account), "id": f"plan:{unit}", "unit": unit}
        for unit, account in (("non-prod/x", "non-prod"), ("prod/x", "prod"), ("x", None), ("non-prod/y", "non-prod"))
    ]
    jobs.append({**job("account-plan", account="sandbox"), "id": "account-plan:sandbox", "unit": None})
    _, outputs, _ = prepare(jobs, tmp=tmp_path)
    config = tmp_path / "pipelines.yml"
    config.write_text(f"core:\n  max_runners_per_wave: {runners}\n")
    sharded = run("shard", "--jobs-file", outputs["file"], "--config", str(config))
    assert sharded.code == 0, sharded.err
    picked: dict[str, list[str]] = {}
    for leg in sharded.json()["legs"]:
        output = tmp_path / f"select-{leg['leg']}"
        output.write_text("")
        env = {**os.environ, "JOBS": json.dumps(jobs), "SHARDS": sharded.out, "LEG": leg["leg"]}
        env |= {"RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(output)}
        done = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        selected = json.loads(Path(output.read_text().strip().split("=", 1)[1]).read_text())
        assert [j["id"] for j in selected] == leg["jobs"]
        picked[leg["leg"]] = [f"{j['action']}/{j['account']}" for j in selected]
    if runners == 1:
        assert picked == {
            "_account-factory": ["account-plan/sandbox"],
            "non-prod": ["plan/non-prod", "plan/non-prod"],
            "none": ["plan/None"],
            "prod": ["plan/prod"],
        }
    else:  # non-prod's two plans on two runners
        assert picked == {
            "_account-factory-1": ["account-plan/sandbox"],
            "non-prod-1": ["plan/non-prod"],
            "non-prod-2": ["plan/non-prod"],
            "none-1": ["plan/None"],
            "prod-1": ["plan/prod"],
        }


def test_the_legs_come_from_the_job_that_runs_no_pull_request_code() -> None:
    jobs = PIPELINES["jobs"]
    prepare_job = jobs["prepare"]
    assert prepare_job["permissions"] == {"contents": "read"}
    assert not any(c.get("repository") for job in (prepare_job,) for c in checkouts({"jobs": {"p": job}}))
    shard = next(s for s in prepare_job["steps"] if s.get("id") == "shard")
    assert shard["with"]["command"] == "shard" and shard["with"]["config"] == "pipelines/${{ inputs.config }}"
    uploads = [
        (name, s["with"]["name"])
        for name, job in jobs.items()
        for s in job["steps"]
        if "upload-artifact" in str(s.get("uses"))
    ]
    assert ("prepare", "gwpipelines-shards") in uploads
    assert [n for n, artifact in uploads if artifact == "gwpipelines-shards"] == ["prepare"]
    assert ("execute", "gwpipelines-results-${{ matrix.leg }}") in uploads
    # The durations are restored where the legs are computed, saved by the status job under the run's own key.
    caches = {(name, str(s["uses"]).split("@")[0]): s["with"] for name, job in jobs.items() for s in job["steps"]
              if str(s.get("uses", "")).startswith("actions/cache/")}  # fmt: skip
    assert caches[("prepare", "actions/cache/restore")]["restore-keys"] == "gwpipelines-durations-"
    assert caches[("status", "actions/cache/save")]["key"] == "gwpipelines-durations-${{ github.run_id }}"


# -- the status job's merge and durations, executed --------------------------------------------------------------------


def status_step(name: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    step = next(s for s in PIPELINES["jobs"]["status"]["steps"] if s.get("name") == name)
    output = workdir / "output"
    output.write_text("")
    env = {**os.environ, "GITHUB_OUTPUT": str(output)}
    return subprocess.run(["bash", "-e", "-c", step["run"]], cwd=workdir, env=env, capture_output=True, text=True)


def write(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value if isinstance(value, str) else json.dumps(value))


def result(job_id: str, seconds: Any = 10, status: str = "succeeded") -> dict[str, Any]:
    return {"id": job_id, "unit": job_id.partition(":")[2], "action": "plan", "status": status, "seconds": seconds}


def test_the_status_job_merges_from_each_leg_only_its_own_jobs(tmp_path: Path) -> None:
    legs = [
        {"leg": "dev-1", "jobs": ["plan:a", "plan:b"]},
        {"leg": "dev-2", "jobs": ["plan:c"]},
        {"leg": "dev-3", "jobs": ["plan:d"]},
    ]
    write(tmp_path / "shards/gwpipelines-shards/shards.json", {"legs": legs})
    write(tmp_path / "parts/gwpipelines-results-dev-1/results.json", {"results": [result("plan:a"), result("plan:b")]})
    # dev-2 ran pull-request code: its file also claims dev-1's job (and a job of no leg); only its own is merged.
    forged = [result("plan:c"), {**result("plan:a"), "status": "failed"}, result("plan:zz"), "junk"]
    write(tmp_path / "parts/gwpipelines-results-dev-2/results.json", {"results": forged})
    write(tmp_path / "parts/gwpipelines-results-dev-3/results.json", "{not json")  # a leg's file: a warning
    done = status_step("Merge them into results.json", tmp_path)
    assert done.returncode == 0, done.stderr
    merged = json.loads((tmp_path / "results.json").read_text())["results"]
    assert [(r["id"], r["status"]) for r in merged] == [
        ("plan:a", "succeeded"),
        ("plan:b", "succeeded"),
        ("plan:c", "succeeded"),
    ]
    assert "gwpipelines-results-dev-3: results.json is not valid" in done.stderr


def test_the_status_job_saves_bounded_clamped_durations(tmp_path: Path) -> None:
    old = {"a": 50, "kept": 7, "bad": "soon", "neg": -3, "x" * 2000: 1}
    write(tmp_path / "gwpipelines-durations/durations.json", old)
    now = [
        result("plan:a", 12.5),
        result("plan:b", 10**9),
        result("plan:c", -1),
        result("plan:d", "x"),
        result("plan:e", 3, "failed"),
    ]
    write(tmp_path / "results.json", {"results": now})
    done = status_step("Add this run's durations", tmp_path)
    assert done.returncode == 0, done.stderr
    saved = json.loads((tmp_path / "gwpipelines-durations/durations.json").read_text())
    # This run's succeeded units first (clamped to [0, 6 h]), then the older ones it did not run; junk dropped.
    assert saved == {"a": 12.5, "b": 21600, "c": 0, "kept": 7, "neg": 0}
    assert (tmp_path / "output").read_text() == "units=5\n"
    # A cache entry that is no JSON object, and one over the bound: a fresh start, at most 20,000 units kept.
    write(tmp_path / "gwpipelines-durations/durations.json", "[1, 2")
    assert status_step("Add this run's durations", tmp_path).returncode == 0
    assert json.loads((tmp_path / "gwpipelines-durations/durations.json").read_text()) == {
        "a": 12.5,
        "b": 21600,
        "c": 0,
    }
    write(tmp_path / "gwpipelines-durations/durations.json", {f"u{i}": 1 for i in range(20_050)})
    assert status_step("Add this run's durations", tmp_path).returncode == 0
    bounded = json.loads((tmp_path / "gwpipelines-durations/durations.json").read_text())
    assert len(bounded) == 20_000 and list(bounded)[:3] == ["a", "b", "c"]
