"""How the executor wires account jobs: whose role they assume, and who sees the account factory's token."""

from __future__ import annotations

from pathlib import Path

from gwpipelines import config, executor
from gwpipelines.models import Action, ChangeType, Job

CONFIG = """
authentication:
  accounts:
    root-org: {account_id: "123456789012", plan_role: org-plan, apply_role: org-apply}
    non-prod: {account_id: "111122223333", plan_role: p, apply_role: a}
account_factory:
  - name: account-factory
    management_account: root-org
    github_token_env: FACTORY_TOKEN
"""
ENVIRON = {"FACTORY_TOKEN": "ghs_secret", "GITHUB_TOKEN": "ghs_executor", "PATH": "/usr/bin"}


def load(tmp_path: Path, text: str = CONFIG) -> config.PipelineConfig:
    path = tmp_path / "pipelines.yml"
    path.write_text(text)
    return config.load(path)


def job(action: Action, unit: str | None, account: str | None) -> Job:
    return Job(f"{action}:{unit or account}", unit, action, "0" * 40, account, (ChangeType.ACCOUNT_ADDED,))


def environment(tmp_path: Path, cfg: config.PipelineConfig, j: Job) -> dict[str, str]:
    ctx = executor.Context(repo=tmp_path, results_dir=tmp_path, environ=ENVIRON)
    return executor.job_environment(j, cfg, ctx, lambda line: None)  # type: ignore[arg-type]


def test_account_jobs_assume_the_management_accounts_role(tmp_path: Path) -> None:
    cfg = load(tmp_path)
    assert executor.role_account(job(Action.ACCOUNT_CREATE, None, "sandbox"), cfg) == "root-org"
    assert executor.role_account(job(Action.ACCOUNT_PLAN, None, "sandbox"), cfg) == "root-org"
    assert executor.role_account(job(Action.APPLY, "non-prod/us-east-1/dev/vpc", "non-prod"), cfg) == "non-prod"


def test_default_management_account_name(tmp_path: Path) -> None:
    cfg = load(tmp_path, "core: {}\n")
    assert executor.role_account(job(Action.ACCOUNT_PLAN, None, "sandbox"), cfg) == "management"


def test_only_account_jobs_see_the_factory_token(tmp_path: Path) -> None:
    cfg = load(tmp_path, CONFIG.split("authentication:")[0] + "account_factory:" + CONFIG.split("account_factory:")[1])
    unit_env = environment(tmp_path, cfg, job(Action.PLAN, "non-prod/us-east-1/dev/vpc", None))
    account_env = environment(tmp_path, cfg, job(Action.ACCOUNT_PLAN, None, None))
    assert "FACTORY_TOKEN" not in unit_env and unit_env["PATH"] == "/usr/bin"
    assert account_env["FACTORY_TOKEN"] == "ghs_secret"
    assert "GITHUB_TOKEN" not in unit_env and "GITHUB_TOKEN" not in account_env


def test_account_jobs_learn_the_live_repo_from_core(tmp_path: Path) -> None:
    cfg = load(tmp_path, "core:\n  live_repo: acme/infrastructure-live\n")
    assert environment(tmp_path, cfg, job(Action.ACCOUNT_PLAN, None, None))["GWPIPELINES_LIVE_REPO"] == (
        "acme/infrastructure-live"
    )
    assert "GWPIPELINES_LIVE_REPO" not in environment(tmp_path, cfg, job(Action.PLAN, "a/b", None))
