"""Exit codes 0/1/2/3 and where the words go: bad input is exit 2 with one line on stderr naming the file, line or
field, and nothing on stdout (a script reading the JSON gets nothing half-written); a bug is exit 3, one line
pointing at the saved traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from testing.cli import run
from testing.executor_fixtures import FAST_CONFIG, Standin
from testing.gitrepo import GitRepo
from tests.contract.contract import one_error_line, only_json

DEV = "non-prod/us-east-1/dev"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    r = GitRepo.init(tmp_path / "live")
    r.write("app/terragrunt.hcl", "inputs = {}\n")
    r.commit("initial")
    return r


@pytest.mark.parametrize("command", ["orchestrate", "dry-run", "run"])
def test_an_unknown_ref_is_exit_2_naming_it(repo: GitRepo, command: str) -> None:
    args = ["--repo", str(repo.path), "--base", "no-such-branch", "--head", "HEAD", "--event", "push"]
    one_error_line(run(command, *args, "--format", "json"), 2, "no-such-branch")


@pytest.mark.parametrize("command", ["units", "graph", "orchestrate"])
def test_an_unparseable_file_is_exit_2_naming_file_and_line(repo: GitRepo, command: str) -> None:
    base = repo.head()
    repo.write("app/terragrunt.hcl", 'inputs = {\n  name = "app"\n  size = \n}\n')
    repo.commit("broken")
    extra = ["--base", base, "--head", "HEAD", "--event", "pull_request"] if command == "orchestrate" else []
    line = one_error_line(run(command, "--repo", str(repo.path), *extra, "--format", "json"), 2, "app/terragrunt.hcl:")
    assert line.split("app/terragrunt.hcl:")[1].split(":")[0].isdigit()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("orchestrate", "--head", "HEAD", "--event", "push"), ("--base",)),
        (("orchestrate", "--base", "HEAD", "--head", "HEAD", "--event", "merge"), ("--event",)),
        (("orchestrate", "--base", "HEAD", "--head", "HEAD", "--event", "push", "--format", "yaml"), ("--format",)),
        (("graph", "--format", "svg"), ("--format",)),
        (("units", "--no-such-flag"), ("--no-such-flag",)),
        (("no-such-command",), ("no-such-command",)),
    ],
)
def test_usage_errors_are_exit_2_on_one_line(repo: GitRepo, args: tuple[str, ...], words: tuple[str, ...]) -> None:
    one_error_line(run(*args[:1], "--repo", str(repo.path), *args[1:]), 2, *words)


def test_a_directory_that_is_no_repository_is_exit_2(tmp_path: Path) -> None:
    args = ("--base", "HEAD", "--head", "HEAD", "--event", "push")
    one_error_line(run("orchestrate", "--repo", str(tmp_path), *args), 2, str(tmp_path))
    one_error_line(run("units", "--repo", str(tmp_path / "missing")), 2, "--repo")


def test_a_bad_config_is_exit_2_naming_the_key(dev_live: GitRepo, tmp_path: Path, standin: Standin) -> None:
    config = tmp_path / "pipelines.yml"
    config.write_text(FAST_CONFIG + "  paralelism: 3\n")
    args = ("--repo", str(dev_live.path), "--base", "HEAD", "--head", "HEAD", "--event", "push")
    one_error_line(run("run", *args, "--config", str(config)), 2, "pipelines.yml", "paralelism")
    one_error_line(run("config", "validate", str(config), "--format", "json"), 2, "pipelines.yml", "paralelism")


def test_run_exits_1_when_a_job_failed_and_still_prints_the_results(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    base = dev_live.head()
    dev_live.append(f"{DEV}/vpc/terragrunt.hcl", "\n# touched\n")
    dev_live.append(f"{DEV}/redis/terragrunt.hcl", "\n# touched\n")
    dev_live.commit()
    standin.faults({f"{DEV}/redis": {"command": "plan", "mode": "fail", "message": "AccessDenied"}})
    config = tmp_path / "pipelines.yml"
    config.write_text(FAST_CONFIG)
    res = run(
        "run", "--repo", str(dev_live.path), "--base", base, "--head", "HEAD", "--event", "pull_request",
        "--config", str(config), "--results-dir", str(tmp_path / "r"), "--format", "json",
    )  # fmt: skip
    assert res.code == 1
    status = {r["id"]: r["status"] for r in only_json(res)["results"]}
    assert status == {f"plan:{DEV}/vpc": "succeeded", f"plan:{DEV}/redis": "failed"}


def test_a_bug_is_exit_3_with_one_line_and_the_traceback_saved(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    from gwpipelines import orchestrator

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("an unexpected key")

    monkeypatch.setattr(orchestrator, "orchestrate", broken)
    res = run("orchestrate", "--repo", str(repo.path), "--base", "HEAD", "--head", "HEAD", "--event", "push")
    line = one_error_line(res, 3, "this is a bug", "KeyError")
    saved = Path(line.rsplit("traceback saved to ", 1)[1])
    try:
        assert "an unexpected key" in saved.read_text()
    finally:
        saved.unlink()


def test_success_is_exit_0_with_nothing_on_stderr(repo: GitRepo) -> None:
    for args in (("units",), ("graph",), ("orchestrate", "--base", "HEAD~0", "--head", "HEAD", "--event", "push")):
        res = run(*args[:1], "--repo", str(repo.path), *args[1:], "--format", "json")
        assert res.code == 0 and res.err == "", res.err
        json.loads(res.out)


def test_run_push_of_an_unmerged_commit_is_one_line_and_runs_nothing(
    dev_live: GitRepo, tmp_path: Path, standin: Standin
) -> None:
    base = dev_live.head()
    dev_live.git("checkout", "-q", "-b", "feature")
    dev_live.append(f"{DEV}/vpc/terragrunt.hcl", "\n# not merged\n")
    head = dev_live.commit()
    args = ("--repo", str(dev_live.path), "--base", base, "--head", "HEAD", "--event", "push")
    one_error_line(run("run", *args, "--results-dir", str(tmp_path / "r"), "--format", "json"), 2, head[:12], "main")
    assert standin.applied() == [] and not (tmp_path / "r").exists()
