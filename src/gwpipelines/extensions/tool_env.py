"""The environment every IaC tool of a job runs with, whichever extension starts it: automation mode (no prompts,
no "next, run terraform apply" hints), and one provider cache per job so that units do not each download the same
providers. A value the job's environment or the extension's `env` already sets wins: these are defaults."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from gwpipelines.github.actions import Runner

AUTOMATION = {"TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}
CACHE_DIR = "gwpipelines-provider-cache"
_CACHE_KEYS = ("TF_PLUGIN_CACHE_DIR", "TG_PROVIDER_CACHE", "TG_PROVIDER_CACHE_DIR")


def defaults(job_env: Mapping[str, str], *, tf_path: str) -> dict[str, str]:
    """What to add to `job_env` for a run of `tf_path` (tofu, terraform, or a path to one)."""
    env = dict(AUTOMATION)
    if any(key in job_env for key in _CACHE_KEYS):
        return env
    cache = Path(Runner.from_mapping(job_env).temp or tempfile.gettempdir()) / CACHE_DIR
    cache.mkdir(parents=True, exist_ok=True)
    if Path(tf_path).name.startswith("terraform"):
        # Terraform's plugin cache is not safe for concurrent `init` (units run in parallel): Terragrunt's provider
        # cache server is.
        env |= {"TG_PROVIDER_CACHE": "1", "TG_PROVIDER_CACHE_DIR": str(cache)}
    else:
        # OpenTofu >= 1.10 shares TF_PLUGIN_CACHE_DIR safely between concurrent runs (mise.toml pins a newer one).
        env["TF_PLUGIN_CACHE_DIR"] = str(cache)
    return env


def tf_path(job_env: Mapping[str, str], configured: str | None, default: str) -> str:
    """The binary Terragrunt runs: the extension's `tf_path` when set, else `TG_TF_PATH` from the job's environment
    (Terragrunt's own variable, e.g. set by the runner image), else the default."""
    return configured or job_env.get("TG_TF_PATH") or default
