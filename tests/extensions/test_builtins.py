"""Extensions: the loader (entry points, broken ones named, core version range), one contract test driving every
built-in through its lifecycle, the pip-installed third-party extension, and the command and opentofu extensions."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import pytest

from gwpipelines.extensions import loader
from gwpipelines.extensions.base import Extension, ExtensionConfig, Outcome, Step
from gwpipelines.extensions.testing import drive
from testing.executor_fixtures import TOOL_PYTHON, Standin, execute, execute_job, job, result_file, write_config
from testing.gitrepo import GitRepo

DEV = "non-prod/us-east-1/dev"


class Good(Extension):
    actions: ClassVar[frozenset[str]] = frozenset({"plan"})

    def execute(self, step: Step) -> Outcome:
        return Outcome(ok=True)


class TooNew(Good):
    core_min: ClassVar[str] = "2.0"
    core_max: ClassVar[str] = "3.0"


class NoActions(Extension):
    def execute(self, step: Step) -> Outcome:
        return Outcome(ok=True)


def fake(name: str, target: str) -> metadata.EntryPoint:
    return metadata.EntryPoint(name=name, value=target, group=loader.GROUP)


HERE = "tests.extensions.test_builtins"


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("no_such_module_xyz:Thing", "extension 'x' (no_such_module_xyz:Thing) failed to import: ModuleNotFoundError"),
        (f"{HERE}:fake", "is not a subclass of gwpipelines Extension"),
        (f"{HERE}:TooNew", "supports gwpipelines >=2.0,<3.0, not 0.1.0"),
        (f"{HERE}:NoActions", "declares no actions"),
    ],
)
def test_broken_extensions_fail_at_load_naming_them(target: str, says: str) -> None:
    with pytest.raises(loader.ExtensionLoadError, match=r"extension 'x'") as e:
        loader.load("x", [fake("x", target)])
    assert says in str(e.value)


def test_missing_extension_lists_the_installed_ones() -> None:
    with pytest.raises(loader.ExtensionLoadError, match=r"'nope' is not installed \(installed: .*terragrunt"):
        loader.load("nope")


def test_builtins_and_the_pip_installed_extension_load_through_entry_points() -> None:
    found = loader.discovered()
    assert {"terragrunt", "opentofu", "terraform", "command", "plan-policy"} <= set(found)
    # The third-party package is installed into the environment (scripts/bootstrap), not imported from tests/.
    dist = metadata.distribution("gwpipelines-plan-policy")
    assert any(ep.name == "plan-policy" for ep in dist.entry_points)
    assert loader.load("plan-policy").__module__ == "gwpipelines_plan_policy"
    assert loader.load("x", [fake("x", f"{HERE}:Good")]) is Good


@pytest.mark.parametrize("name", ["terragrunt", "opentofu", "terraform", "command"])
def test_contract_every_builtin_runs_its_lifecycle(name: str, tmp_path: Path, standin: Standin) -> None:
    """One helper drives each built-in through construct -> initialize -> execute -> get_output_data -> cleanup."""
    cls = loader.load(name)
    unit = tmp_path / "checkout" / "unit"
    unit.mkdir(parents=True)
    (tmp_path / "checkout" / ".git").mkdir()
    if name == "terragrunt":
        (unit / "terragrunt.hcl").write_text('terraform {\n  source = "../modules/x"\n}\n')
        settings: dict[str, Any] = {}
    elif name == "command":
        settings = {
            "argv": [TOOL_PYTHON, "-c", "import json; print(json.dumps({'answer': 42}))"],
            "outputs_from_stdout": True,
        }
    else:
        (unit / "main.tf").write_text('resource "terraform_data" "x" {}\noutput "answer" {\n  value = 42\n}\n')
        settings = {}
    done = drive(cls, checkout=tmp_path / "checkout", action="apply", account="non-prod", settings=settings)
    outcome, data, lines = done.outcome, done.outputs, done.log
    assert done.cleaned_up
    assert outcome.ok, lines
    assert outcome.summary.add == (0 if name == "command" else 2 if name == "terragrunt" else 1)
    assert data["answer" if name != "terragrunt" else "id"]


def test_third_party_extension_runs_after_terragrunt_and_can_fail_the_job(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    cfg = write_config(
        tmp_path / "pipelines.yml",
        "core:\n  steps: [terragrunt, policy]\n  execution_defaults: {retry_delay_seconds: 0}\n"
        "plan_policy:\n  - name: policy\n    depends_on: [terragrunt]\n    max_destroy: 1\n",
    )
    sha = dev_live.head()
    ok = execute(
        dev_live.path, tmp_path / "r1", "--config", str(cfg), "--job", json.dumps(job(f"{DEV}/vpc", "plan", sha))
    )
    assert ok.code == 0, ok.err
    (result,) = ok.json()["results"]
    assert result["outputs"] == {"policy_destroyed": 0}
    assert "plan-policy: ok (0 destroyed)" in result["log"]
    # Seed state, then plan its destruction: 2 resources destroyed > max_destroy 1.
    seed = execute(dev_live.path, tmp_path / "r2", "--job", json.dumps(job(f"{DEV}/vpc", "apply", sha)))
    assert seed.code == 0, seed.err
    bad = execute(
        dev_live.path,
        tmp_path / "r3",
        "--config",
        str(cfg),
        "--job",
        json.dumps(job(f"{DEV}/vpc", "plan-destroy", sha)),
    )
    assert bad.code == 1
    (result,) = bad.json()["results"]
    assert result["failure"].startswith("policy: destroys terraform_data.config, terraform_data.source")
    assert result["summary"]["destroy"] == 2  # the plan's numbers are still reported


def test_command_step_reads_the_plan_json(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    script = (
        "import json, os; plan = json.load(open(os.environ['GWPIPELINES_PLAN_JSON'])); "
        "print(json.dumps({'changes': len(plan['resource_changes']), 'unit': os.environ['GWPIPELINES_UNIT']}))"
    )
    cfg = write_config(
        tmp_path / "pipelines.yml",
        "core:\n  steps: [terragrunt, count]\ncommand:\n  - name: count\n    depends_on: [terragrunt]\n"
        f"    outputs_from_stdout: true\n    argv: [{json.dumps(TOOL_PYTHON)}, -c, {json.dumps(script)}]\n",
    )
    res = execute_job(dev_live, tmp_path / "r", f"{DEV}/vpc", "plan", "--config", str(cfg))
    assert res.code == 0, res.err
    assert res.json()["results"][0]["outputs"] == {"changes": 2, "unit": f"{DEV}/vpc"}
    steps = result_file(tmp_path / "r", f"plan:{DEV}/vpc")["instances"]
    assert [s["name"] for s in steps] == ["terragrunt", "count"]


def test_a_failing_step_stops_the_steps_that_depend_on_it(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    standin.faults({f"{DEV}/vpc": {"command": "plan", "mode": "fail"}})
    cfg = write_config(
        tmp_path / "pipelines.yml",
        "core:\n  steps: [terragrunt, after, independent]\ncommand:\n"
        '  - {name: after, depends_on: [terragrunt], argv: ["true"]}\n  - {name: independent, argv: ["true"]}\n',
    )
    res = execute_job(dev_live, tmp_path / "r", f"{DEV}/vpc", "plan", "--config", str(cfg))
    assert res.code == 1
    steps = {s["name"]: s["ok"] for s in result_file(tmp_path / "r", f"plan:{DEV}/vpc")["instances"]}
    assert steps == {"terragrunt": False, "independent": True}  # `after` never ran
    assert "-- after: not run, terragrunt failed" in res.json()["results"][0]["log"]


def test_opentofu_extension_on_a_root_module(live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    cfg = write_config(tmp_path / "pipelines.yml", "core:\n  steps: [opentofu]\n")
    res = execute_job(live, tmp_path / "r", "modules/bastion", "apply", "--config", str(cfg))
    assert res.code == 0, res.err
    (result,) = res.json()["results"]
    assert result["summary"]["add"] >= 1
    assert "$ tofu -chdir=modules/bastion init -input=false -no-color" in result["log"]
    assert set(result["outputs"]) >= {"id"}


def test_an_extension_that_crashes_fails_only_its_job(tmp_path: Path) -> None:
    from gwpipelines.config import Instance
    from gwpipelines.executor.job import run_instance
    from gwpipelines.models import Action, Job

    class Crashy(Good):
        def execute(self, step: Step) -> Outcome:
            raise KeyError("surprise")

    inst = Instance("crashy", Crashy, ExtensionConfig(name="c", max_attempts=1, timeout_seconds=5))
    j = Job("plan:u", "u", Action.PLAN, "a" * 40, None, ())
    lines: list[str] = []
    outcome, outputs = run_instance(inst, j, Step("plan", "u", None, tmp_path, {}, lines.append, 5))
    assert not outcome.ok and "extension 'crashy' crashed: KeyError" in outcome.message and outputs == {}


def test_another_extensions_private_token_is_withheld(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    """The account factory's live-repo token is for it alone: a unit's steps never see it (nor GITHUB_TOKEN)."""
    standin.monkeypatch.setenv("GWPIPELINES_ACCOUNT_FACTORY_TOKEN", "factory-secret")
    standin.monkeypatch.setenv("GITHUB_TOKEN", "live-secret")
    script = (
        "import json, os; print(json.dumps({k: k in os.environ for k in "
        "('GWPIPELINES_ACCOUNT_FACTORY_TOKEN', 'GITHUB_TOKEN', 'STANDIN_STATE_DIR')}))"
    )
    cfg = write_config(
        tmp_path / "pipelines.yml",
        "core:\n  steps: [env]\ncommand:\n  - name: env\n    outputs_from_stdout: true\n"
        f"    argv: [{json.dumps(TOOL_PYTHON)}, -c, {json.dumps(script)}]\n",
    )
    one = json.dumps(job(f"{DEV}/vpc", "plan", dev_live.head()))
    res = execute(dev_live.path, tmp_path / "r", "--config", str(cfg), "--job", one)
    assert res.code == 0, res.err
    assert res.json()["results"][0]["outputs"] == {
        "GWPIPELINES_ACCOUNT_FACTORY_TOKEN": False,
        "GITHUB_TOKEN": False,
        "STANDIN_STATE_DIR": True,
    }


def test_drive_reports_an_extension_error_as_a_failed_outcome_and_always_cleans_up(tmp_path: Path) -> None:
    class Picky(Good):
        cleaned = False

        def initialize(self, step: Step) -> None:
            from gwpipelines.extensions.base import ExtensionError

            raise ExtensionError(f"{step.unit}: no such unit")

        def cleanup(self) -> None:
            Picky.cleaned = True

    done = drive(Picky, checkout=tmp_path, unit="app")
    assert not done.outcome.ok and done.outcome.message == "app: no such unit"
    assert done.outputs == {} and done.cleaned_up and Picky.cleaned
    with pytest.raises(loader.ExtensionLoadError, match="declares no actions"):
        drive(NoActions, checkout=tmp_path)
