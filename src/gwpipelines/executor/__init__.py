"""The executor: validates each job as hostile, assumes the account's role, runs the extensions, writes results.

Its one door is `execute()`."""

from gwpipelines.executor.runner import Context, default_results_dir, execute, job_environment, private_env

__all__ = ["Context", "default_results_dir", "execute", "job_environment", "private_env"]
