"""Hostile YAML in accounts.yml (a pull request writes it) and pipelines.yml is refused at once, with its line."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from gwpipelines import accounts, config
from gwpipelines.errors import ParseError
from testing.cli import run
from testing.gitrepo import GitRepo

# The classic "billion laughs": about 0.4 KB that expands to 10^9 strings once anything walks it.
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n" for i in range(8)
)
DEEP = "sandbox:\n  email: a@example.com\n  tags: " + "[" * 200 + "]" * 200 + "\n"


def test_an_alias_bomb_in_accounts_yml_is_refused_quickly_naming_the_line() -> None:
    assert len(BOMB) < 450
    start = time.monotonic()
    with pytest.raises(ParseError) as refused:
        accounts.parse(BOMB, "accounts.yml")
    assert time.monotonic() - start < 2
    assert str(refused.value).startswith("accounts.yml:2: YAML aliases")


def test_deep_nesting_is_refused_not_a_crash() -> None:
    with pytest.raises(ParseError, match=r"accounts.yml:3: nested deeper than 32 levels"):
        accounts.parse(DEEP, "accounts.yml")


def test_an_alias_in_pipelines_yml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pipelines.yml"
    path.write_text("core: &c\n  live_repo: acme/live\nother: *c\n")
    with pytest.raises(ParseError, match=r"pipelines.yml:3: YAML aliases"):
        config.load(path)


def test_orchestrate_refuses_an_alias_bomb_in_a_pull_request(git_repo: GitRepo) -> None:
    git_repo.write("dev/app/terragrunt.hcl", "")
    git_repo.write("accounts.yml", "dev:\n  id: '111111111111'\n  email: dev@example.com\n")
    base = git_repo.commit("base")
    git_repo.write("accounts.yml", BOMB)
    head = git_repo.commit("a hostile accounts.yml")
    start = time.monotonic()
    done = run("orchestrate", "--repo", str(git_repo.path), "--base", base, "--head", head, "--event", "pull_request")
    assert time.monotonic() - start < 10
    assert done.code == 2, done.err
    assert len(done.err.strip().splitlines()) == 1
    assert "accounts.yml:2: YAML aliases (*name) are not allowed" in done.err


def test_a_key_twice_in_pipelines_yml_is_refused_naming_the_second(tmp_path: Path) -> None:
    path = tmp_path / "pipelines.yml"
    path.write_text("core:\n  max_runners_per_wave: 3\n  steps: [terragrunt]\n  max_runners_per_wave: 1\n")
    done = run("config", "validate", str(path))
    assert done.code == 2
    assert done.err.strip().splitlines() == [
        f"gwpipelines: error: {path}:4: key 'max_runners_per_wave' is defined twice; keep one entry"
    ]


def test_an_account_twice_in_accounts_yml_is_refused() -> None:
    text = "dev:\n  id: '111111111111'\n  email: a@example.com\ndev:\n  id: '222222222222'\n  email: b@example.com\n"
    with pytest.raises(ParseError, match=r"accounts.yml:4: account 'dev' is defined twice; keep one entry"):
        accounts.parse(text, "accounts.yml")


def test_the_same_key_in_different_mappings_is_fine(tmp_path: Path) -> None:
    text = (
        "dev:\n  id: '111111111111'\n  email: a@example.com\n  tags: {id: x, email: y}\n"
        "prod:\n  id: '222222222222'\n  email: b@example.com\n  tags: {id: x}\n"
    )
    assert sorted(accounts.parse(text, "accounts.yml")) == ["dev", "prod"]
    path = tmp_path / "pipelines.yml"
    path.write_text("command:\n  - name: a\n    argv: [echo]\n  - name: b\n    argv: [echo]\ncore:\n  steps: [a, b]\n")
    assert [i.name for i in config.load(path).instances if i.name in "ab"] == ["a", "b"]
