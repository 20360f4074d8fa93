"""The sticky pull-request comment: one table row per job, the job DAG as mermaid, per-unit output, warnings and
ignored files; `view` builds the data, `budget` keeps it under GitHub's limit, `split` packs sections into bodies."""

from gwpipelines.dispatcher.comment.budget import render_comment
from gwpipelines.dispatcher.comment.split import LIMIT
from gwpipelines.dispatcher.comment.view import MARKER, View, build_view, job_name

__all__ = ["LIMIT", "MARKER", "View", "build_view", "job_name", "render_comment"]
