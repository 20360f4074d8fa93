"""The composite action's `drift` command (issue 17): its command line, and its job summary of drifted units."""

from __future__ import annotations

import json
from pathlib import Path

from gwpipelines.github import action


def test_drift_maps_inputs_to_the_command_line(tmp_path: Path) -> None:
    inputs = action.Inputs(
        command="drift",
        repo="live",
        config="pipelines/pipelines.yml",
        live_repo="acme/live",
        pipelines_repo="acme/pipelines",
        paths="prod/**\n non-prod/us-east-1/dev ",
    )
    [call] = action.calls_for(inputs, tmp_path)
    assert call.argv == (
        "drift", "--repo", "live", "--config", "pipelines/pipelines.yml", "--live-repo", "acme/live",
        "--pipelines-repo", "acme/pipelines", "--workflow", "pipelines.yml", "--ref", "main",
        "--path", "prod/**", "--path", "non-prod/us-east-1/dev", "--format", "json",
    )  # fmt: skip
    assert call.output == tmp_path / "drift.json"


def test_drift_needs_both_repositories(tmp_path: Path) -> None:
    import pytest

    from gwpipelines.errors import UserError

    with pytest.raises(UserError, match="`pipelines-repo` is required for command `drift`"):
        action.calls_for(action.Inputs(command="drift", live_repo="acme/live"), tmp_path)


def test_the_job_summary_lists_every_drifted_unit(tmp_path: Path) -> None:
    out = tmp_path / "drift.json"
    drifted = [{"unit": "prod/vpc", "resources": ["~ aws_vpc.main"], "issue_url": "https://github.test/i/3"}]
    out.write_text(json.dumps({"drifted": drifted, "clean": ["a", "b"], "failed": [], "closed_issue_urls": ["u"]}))
    inputs = action.Inputs(command="drift", live_repo="acme/live", pipelines_repo="acme/pipelines")
    outputs, summary = action.report(inputs, [action.Call(("drift",), out)], 0)
    assert outputs["status"] == "success"
    assert "1 drifted, 2 without drift, 0 not checked" in summary
    # The unit is a code span and the resource escaped text: both come from a plan a pull request may have shaped.
    assert "| `prod/vpc` | \\~ aws\\_vpc\\.main | https://github.test/i/3 |" in summary and "Issue closed" in summary
