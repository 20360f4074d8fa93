"""The orchestrator: a git diff between two commits becomes typed infrastructure changes and ordered jobs.

Its one door is `orchestrate()`; `shell` is the I/O around the pure analysis (`terragrunt`, `hcl`, `tree`) and
the pure classification and job planning."""

from gwpipelines.orchestrator.shell import classify, load_side, orchestrate, plan_jobs, repository_root

__all__ = ["classify", "load_side", "orchestrate", "plan_jobs", "repository_root"]
