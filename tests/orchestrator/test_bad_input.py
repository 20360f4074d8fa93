"""Issue 2's bad input, on the commands that read a repository (`orchestrate`, `dry-run`, `units`): exit code 2
and one line on stderr naming what is wrong and what to do; nothing on stdout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from testing.cli import run
from testing.gitrepo import GitRepo
from tests.contract.contract import one_error_line

UNIT = 'include "root" {\n  path = find_in_parent_folders("root.hcl")\n}\n'


@pytest.fixture
def live(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "live")
    repo.write("root.hcl", "locals {}\n")
    repo.write("accounts.yml", 'acct:\n  id: "111111111111"\n  email: acct@example.com\n')
    repo.write("acct/dev/app/terragrunt.hcl", UNIT)
    repo.commit("initial")
    return repo


def bad(*args: str) -> str:
    return one_error_line(run(*args), 2)


@pytest.mark.parametrize("command", ["orchestrate", "dry-run"])
def test_a_folder_that_is_not_a_git_repository(command: str, tmp_path: Path) -> None:
    line = bad(command, "--repo", str(tmp_path), "--base", "a", "--head", "b", "--event", "push")
    assert str(tmp_path) in line and "not a git repository" in line


@pytest.mark.parametrize("command", ["orchestrate", "dry-run", "units"])
def test_a_folder_that_does_not_exist(command: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    refs = ["--base", "a", "--head", "b", "--event", "push"] if command != "units" else []
    line = bad(command, "--repo", str(missing), *refs)
    assert str(missing) in line and "no such directory" in line


@pytest.mark.parametrize("command", ["orchestrate", "dry-run"])
def test_an_unknown_ref_is_named(command: str, live: GitRepo) -> None:
    line = bad(command, "--repo", str(live.path), "--base", "HEAD", "--head", "no-such-branch", "--event", "push")
    assert "unknown ref 'no-such-branch'" in line


@pytest.mark.parametrize("command", ["orchestrate", "dry-run"])
def test_unparseable_hcl_names_file_line_and_what(command: str, live: GitRepo) -> None:
    base = live.head()
    live.write("acct/dev/db/terragrunt.hcl", UNIT + "locals {\n  x = [1, 2\n}\n")
    head = live.commit()
    line = bad(command, "--repo", str(live.path), "--base", base, "--head", head, "--event", "pull_request")
    assert line.startswith("gwpipelines: error: acct/dev/db/terragrunt.hcl:6: "), line


def test_unparseable_hcl_read_by_a_unit_but_unchanged_is_still_an_error(live: GitRepo) -> None:
    """The fast scanner falls back to the full parse for a file it cannot cut: the error is not swallowed."""
    live.write("root.hcl", "locals {\n  x = \n}\n")
    base = live.commit("broken root")
    live.write("README.md", "# docs\n")
    head = live.commit()
    line = bad("orchestrate", "--repo", str(live.path), "--base", base, "--head", head, "--event", "push")
    assert line.startswith("gwpipelines: error: root.hcl:3: "), line


def test_units_names_an_unparseable_file(live: GitRepo) -> None:
    live.write("acct/dev/app/terragrunt.hcl", UNIT + 'inputs = { a = "unterminated }\n')
    line = bad("units", "--repo", str(live.path))
    assert "acct/dev/app/terragrunt.hcl:4" in line and "unterminated string" in line


@pytest.mark.parametrize("command", ["orchestrate", "dry-run"])
def test_malformed_accounts_yml_names_file_line_account_and_field(command: str, live: GitRepo) -> None:
    base = live.head()
    live.write("accounts.yml", 'acct:\n  id: "111111111111"\n  email: not-an-email\n')
    head = live.commit()
    line = bad(command, "--repo", str(live.path), "--base", base, "--head", head, "--event", "push")
    assert "accounts.yml:3" in line and "acct.email" in line and "email address" in line


def shallow_clone_after_an_edit(live: GitRepo, tmp_path: Path) -> tuple[str, Path]:
    """(the commit before the edit, a --depth=1 clone of the edit): the clone does not have that base."""
    base = live.head()
    live.append("acct/dev/app/terragrunt.hcl", "# edit\n")
    live.commit()
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth=1", f"file://{live.path}", str(clone)], check=True)
    return base, clone


def test_shallow_clone_without_the_base_commit(live: GitRepo, tmp_path: Path) -> None:
    base, clone = shallow_clone_after_an_edit(live, tmp_path)
    line = bad("dry-run", "--repo", str(clone), "--base", base, "--head", "HEAD", "--event", "pull_request")
    assert "fetch-depth: 0" in line and f"git fetch --depth=1 origin {base}" in line


def test_shallow_clone_with_the_base_but_not_the_history_between(live: GitRepo, tmp_path: Path) -> None:
    """`git fetch --depth=1 origin <base>` makes the base known but not the merge base a pull request needs."""
    base, clone = shallow_clone_after_an_edit(live, tmp_path)
    subprocess.run(["git", "-C", str(clone), "fetch", "-q", "--depth=1", "origin", base], check=True)
    line = bad("orchestrate", "--repo", str(clone), "--base", base, "--head", "HEAD", "--event", "pull_request")
    assert "no merge base" in line and "shallow" in line and "fetch-depth: 0" in line
