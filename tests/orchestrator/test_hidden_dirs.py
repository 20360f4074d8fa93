"""Files under hidden directories belong to no unit (Terragrunt skips them); hidden files stay the unit's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from testing.cli import orchestrate_json
from testing.gitrepo import GitRepo


def orchestrate(repo: GitRepo, base: str) -> dict[str, Any]:
    return orchestrate_json(repo.path, base, "HEAD", "pull_request")


def test_a_root_unit_does_not_own_github_workflows_but_owns_its_other_files(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "live")
    repo.write("terragrunt.hcl", "inputs = {}\n")
    repo.write("app/terragrunt.hcl", 'inputs = { data = file("${get_terragrunt_dir()}/.config/data.json") }\n')
    repo.write("app/.config/data.json", "{}\n")
    repo.write(".github/workflows/live.yml", "on: push\n")
    repo.write("app/.terraform.lock.hcl", "# lock\n")
    base = repo.commit("initial")
    repo.write(".github/workflows/live.yml", "on: pull_request\n")
    repo.write("app/.config/data.json", '{"a": 1}\n')
    repo.write("app/.terraform.lock.hcl", "# lock 2\n")
    repo.write("main.tf", "# root module file\n")
    repo.commit("change")

    data = orchestrate(repo, base)
    by_unit = {(c["type"], c["unit"]): c["files"] for c in data["changes"]}
    # The workflow is nobody's: ignored, never silently dropped.
    assert data["ignored"] == [".github/workflows/live.yml"]
    # The root unit owns its own plain file; the app unit owns its hidden lock file.
    assert by_unit[("ModuleChanged", ".")] == ["main.tf"]
    assert "app/.terraform.lock.hcl" in by_unit[("ModuleChanged", "app")]
    # A file in a hidden directory still changes the unit that reads it.
    assert any("app/.config/data.json" in files and unit == "app" for (_, unit), files in by_unit.items())
    assert {j["unit"] for j in data["jobs"]} == {".", "app"}
