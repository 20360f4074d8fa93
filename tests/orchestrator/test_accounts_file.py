"""accounts.yml as the orchestrator reads it: validated in full when it changed (its entries are compared), only
read for its account names when it did not. Real commits, through the CLI and its JSON, cache on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from testing.cli import orchestrate_json, run
from testing.gitrepo import GitRepo

ACCT = 'acct:\n  id: "111111111111"\n  email: acct@example.com\n'


@pytest.fixture
def live(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "live")
    repo.write("accounts.yml", ACCT)
    repo.write("acct/dev/app/terragrunt.hcl", "")
    repo.commit("initial")
    return repo


def orchestrate(repo: GitRepo, base: str, head: str) -> dict[str, Any]:
    return orchestrate_json(repo.path, base, head, "push")


def test_an_entry_written_differently_but_equal_is_not_a_change(live: GitRepo) -> None:
    """The cache holds the sides of the first run (accounts.yml unchanged there); the second compares the file's
    validated entries: `tags: {}` is the default, so acct did not change; sandbox was added."""
    first = live.head()
    live.write("README.md", "# live\n")
    second = live.commit()
    assert [c["type"] for c in orchestrate(live, first, second)["changes"]] == []
    live.write("accounts.yml", ACCT + "  tags: {}\nsandbox:\n  email: sandbox@example.com\n")
    third = live.commit()
    changes = orchestrate(live, second, third)["changes"]
    assert [(c["type"], c["account"]) for c in changes] == [("AccountAdded", "sandbox")]


def test_a_changed_entry_is_a_change(live: GitRepo) -> None:
    base = live.head()
    live.write("accounts.yml", ACCT + "  region: eu-west-1\n")
    head = live.commit()
    assert [(c["type"], c["account"]) for c in orchestrate(live, base, head)["changes"]] == [("AccountChanged", "acct")]


def test_an_unchanged_file_still_names_the_accounts_of_units(live: GitRepo) -> None:
    base = live.head()
    live.write("acct/dev/app/terragrunt.hcl", "# edit\n")
    head = live.commit()
    data = orchestrate(live, base, head)
    assert [(j["unit"], j["account"]) for j in data["jobs"]] == [("acct/dev/app", "acct")]


def test_a_changed_file_that_is_invalid_is_an_error_even_when_a_side_is_cached(live: GitRepo) -> None:
    base = live.head()
    live.write("README.md", "# live\n")
    middle = live.commit()
    orchestrate(live, base, middle)  # caches both sides
    live.write("accounts.yml", ACCT.replace("acct@example.com", "not-an-email"))
    head = live.commit()
    res = run("orchestrate", "--repo", str(live.path), "--base", middle, "--head", head, "--event", "push")
    assert res.code == 2 and "accounts.yml:3" in res.err and "acct.email" in res.err
