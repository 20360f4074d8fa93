"""What every IaC tool of a job runs with: automation mode, a per-job provider cache, and TG_TF_PATH honoured when
the extension does not set tf_path; through the terragrunt extension and the stand-in, and as units."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from gwpipelines.extensions import loader, tool_env
from gwpipelines.extensions.base import Step
from testing.executor_fixtures import Standin


def run_unit(tmp_path: Path, settings: dict[str, str], env: dict[str, str]) -> list[str]:
    checkout = tmp_path / "checkout"
    (checkout / "unit").mkdir(parents=True)
    (checkout / ".git").mkdir()
    (checkout / "unit" / "terragrunt.hcl").write_text('terraform {\n  source = "../modules/x"\n}\n')
    cls = loader.load("terragrunt")
    lines: list[str] = []
    step = Step("plan", "unit", "non-prod", checkout, {**os.environ, **env}, lines.append, 30)
    ext = cls("terragrunt", cls.Config(name="terragrunt", **settings), "unit")
    ext.initialize(step)
    outcome = ext.execute(step)
    ext.cleanup()
    assert outcome.ok, lines
    return lines


def test_tg_tf_path_is_honoured_unless_tf_path_is_set(tmp_path: Path, standin: Standin) -> None:
    lines = run_unit(tmp_path / "a", {}, {"TG_TF_PATH": "terraform", "RUNNER_TEMP": str(tmp_path)})
    assert any("--tf-path terraform" in line for line in lines), lines
    lines = run_unit(tmp_path / "b", {"tf_path": "tofu"}, {"TG_TF_PATH": "terraform", "RUNNER_TEMP": str(tmp_path)})
    assert any("--tf-path tofu" in line for line in lines) and not any("terraform --" in x for x in lines)
    env = {k: v for k, v in os.environ.items() if k != "TG_TF_PATH"} | {"RUNNER_TEMP": str(tmp_path)}
    lines = run_unit(tmp_path / "c", {}, env)
    assert any("--tf-path tofu" in line for line in lines), lines


def test_defaults_automation_mode_and_one_provider_cache_per_job(tmp_path: Path) -> None:
    tofu = tool_env.defaults({"RUNNER_TEMP": str(tmp_path)}, tf_path="tofu")
    cache = tmp_path / tool_env.CACHE_DIR
    assert tofu == {"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "TF_PLUGIN_CACHE_DIR": str(cache)}
    assert cache.is_dir()  # OpenTofu ignores a cache directory that does not exist
    # Terraform's plugin cache is unsafe for parallel inits: Terragrunt's provider cache server instead.
    terraform = tool_env.defaults({"RUNNER_TEMP": str(tmp_path)}, tf_path="/usr/local/bin/terraform")
    assert terraform["TG_PROVIDER_CACHE"] == "1" and "TF_PLUGIN_CACHE_DIR" not in terraform
    # The operator's own cache settings win: nothing is added next to them.
    assert tool_env.defaults({"TF_PLUGIN_CACHE_DIR": "/c"}, tf_path="tofu") == tool_env.AUTOMATION


def test_a_command_step_runs_in_automation_mode(tmp_path: Path) -> None:
    cls = loader.load("command")
    script = "import json, os; print(json.dumps({k: os.environ.get(k) for k in ('TF_IN_AUTOMATION', 'TF_INPUT')}))"
    config = cls.Config(name="c", argv=[sys.executable, "-c", script], outputs_from_stdout=True)
    (tmp_path / "unit").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    step = Step("plan", "unit", None, tmp_path, env, lambda _: None, 30)
    ext = cls("c", config, "unit")
    ext.initialize(step)
    assert ext.execute(step).ok
    assert json.loads(json.dumps(ext.get_output_data())) == {"TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}
    ext.cleanup()
