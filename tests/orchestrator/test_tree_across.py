"""tree.across: a commit's listing derived from the other commit's and the raw diff equals what `git ls-tree`
lists, both ways, for every kind of change (add, edit, delete, rename, copy, a file turned into a symlink)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gwpipelines import git
from gwpipelines.errors import GitError
from gwpipelines.orchestrator import tree
from testing.gitrepo import GitRepo


def test_across_equals_ls_tree_both_ways(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "live")
    for i in range(6):
        repo.write(f"a/u{i}/terragrunt.hcl", f"locals {{ i = {i} }}\n# {str(i) * 200}\n")
    repo.write("data/shared.json", '{"k": 1}\n')
    repo.write("link-target.txt", "t\n")
    repo.write("plain.txt", "p\n")
    base = repo.commit("base")
    repo.write("a/u0/terragrunt.hcl", "locals { i = 100 }\n")  # edit
    repo.delete("a/u1")  # delete (git may pair it with the copy below as a rename)
    repo.delete("data/shared.json")  # delete
    repo.move("a/u2", "b/u2")  # rename
    repo.write("a/u7/terragrunt.hcl", repo.read("a/u3/terragrunt.hcl"))  # a copy: git lists it as added
    repo.write("new.hcl", "locals {}\n")  # add
    (repo.path / "plain.txt").unlink()
    os.symlink("link-target.txt", repo.path / "plain.txt")  # type change
    head = repo.commit("head")
    diff = git.diff(repo.path, base, head)
    assert {e.status for e in diff} >= {"A", "M", "D", "R"}
    # `across` works on git's listings; a diff with a symbolic link in it is never taken across (the orchestrator
    # lists both commits then, since a link is read as what it leads to: see test_read_semantics).
    assert [e.new for e in diff if e.symlink] == ["plain.txt"]
    at_base, at_head = _listing(repo.path, base), _listing(repo.path, head)
    assert tree.across(tree.Tree(dict(at_base), lambda p: {}), diff, forward=True) == at_head
    assert tree.across(tree.Tree(dict(at_head), lambda p: {}), diff, forward=False) == at_base


def _listing(repo: Path, commit: str) -> dict[str, str]:
    return {p: oid for p, (mode, oid) in git.ls_tree(repo, commit).items() if mode != "160000"}


def test_ls_tree_reads_odd_paths_and_refuses_a_listing_it_cannot_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = GitRepo.init(tmp_path / "live")
    odd = ["a b/tab\there/terragrunt.hcl", "line\nbreak.hcl", "ünï/côdé.hcl"]
    for path in odd:
        repo.write(path, "x\n")
    head = repo.commit("odd paths")
    assert sorted(git.ls_tree(repo.path, head)) == sorted(odd)
    real = git.run
    # A record the listing's pattern does not read (here: a mode that is not octal) is an error, never a file gone.
    monkeypatch.setattr(git, "run", lambda *a: real(*a).replace(b"100644", b"1006x4", 1))
    with pytest.raises(GitError, match="unreadable listing at byte 0"):
        git.ls_tree(repo.path, head)
