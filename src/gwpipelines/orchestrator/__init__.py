"""The orchestrator: a git diff between two commits becomes typed infrastructure changes and ordered jobs.

Its one door is `orchestrate()`. `shell` is the I/O (refs, diff, the two `sides` with the `cache` and `parallel`
evaluation) around the pure analysis (`terragrunt`, `hcl`, `tree`), classification (`classify`) and job
planning (`jobs`)."""

from gwpipelines.orchestrator.classify import classify
from gwpipelines.orchestrator.jobs import plan_jobs
from gwpipelines.orchestrator.shell import orchestrate, repository_root
from gwpipelines.orchestrator.sides import load_side

__all__ = ["classify", "load_side", "orchestrate", "plan_jobs", "repository_root"]
