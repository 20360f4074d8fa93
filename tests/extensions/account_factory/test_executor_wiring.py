"""How the executor wires account jobs: whose role they assume, who sees the account factory's token, and where the
baseline pull request goes."""

from __future__ import annotations

from pathlib import Path

from gwpipelines import config, executor
from gwpipelines.models import Action, ChangeType, Job

CONFIG = """
core:
  live_repo: acme/infrastructure-live
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


def instance(cfg: config.PipelineConfig, name: str) -> config.Instance:
    return next(i for i in cfg.instances if i.name == name)


def test_account_jobs_assume_the_management_accounts_role(tmp_path: Path) -> None:
    factory = instance(load(tmp_path), "account-factory")
    assert factory.cls.role_account(factory.config, "sandbox") == "root-org"
    default = instance(load(tmp_path, "core: {}\n"), "account-factory")
    assert default.cls.role_account(default.config, "sandbox") == "management"


def test_only_the_account_factory_sees_its_token(tmp_path: Path) -> None:
    cfg = load(tmp_path)
    assert "FACTORY_TOKEN" in executor.private_env(cfg, but=instance(cfg, "terragrunt"))
    assert "FACTORY_TOKEN" not in executor.private_env(cfg, but=instance(cfg, "account-factory"))


def test_account_jobs_learn_the_live_repo_from_core(tmp_path: Path) -> None:
    cfg = load(tmp_path)
    ctx = executor.Context(repo=tmp_path, results_dir=tmp_path, environ=ENVIRON)

    def env(j: Job) -> dict[str, str]:
        return executor.job_environment(j, None, cfg, ctx, lambda line: None)  # type: ignore[arg-type]

    account_env = env(job(Action.ACCOUNT_PLAN, None, "sandbox"))
    assert account_env["GWPIPELINES_LIVE_REPO"] == "acme/infrastructure-live" and "GITHUB_TOKEN" not in account_env
    assert "GWPIPELINES_LIVE_REPO" not in env(job(Action.PLAN, "non-prod/us-east-1/dev/vpc", "non-prod"))
