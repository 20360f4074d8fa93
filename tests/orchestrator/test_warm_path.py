"""The warm path's shortcuts: the code key remembered by the package files' stat, and the refs with their trees
resolved in one git process."""

from __future__ import annotations

from pathlib import Path

from gwpipelines.orchestrator import cache, shell
from testing.gitrepo import GitRepo

compute_code_key = cache.code_key.__wrapped__  # without the per-process memo, to see what each call does


def test_code_key_is_remembered_by_stat_and_equals_the_content_hash(tmp_path: Path) -> None:
    fresh = compute_code_key(None)
    assert compute_code_key(tmp_path) == fresh
    (memo,) = tmp_path.glob("code-*.key")
    assert memo.read_text() == fresh
    memo.write_text("0123456789abcdef")  # what a later run reads instead of hashing every source again
    assert compute_code_key(tmp_path) == "0123456789abcdef"


def test_a_broken_code_key_memo_is_computed_again(tmp_path: Path) -> None:
    compute_code_key(tmp_path)
    (memo,) = tmp_path.glob("code-*.key")
    memo.write_text("not a key")
    assert compute_code_key(tmp_path) == compute_code_key(None)
    assert memo.read_text() == compute_code_key(None)


def test_refs_and_their_trees_come_from_one_rev_parse(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "live")
    repo.write("a/terragrunt.hcl", "")
    base = repo.commit("base")
    repo.write("b/terragrunt.hcl", "")
    head = repo.commit("head")
    root, shas, trees = shell._resolve(repo.path, [head, base])
    assert root.resolve() == repo.path.resolve()
    assert shas == [head, base]
    # The trees come with the refs (git before 2.43 echoes --end-of-options, which once sent every run down
    # the step-by-step path: three more git processes, and one more for the trees).
    assert trees == {head: repo.git("rev-parse", f"{head}^{{tree}}"), base: repo.git("rev-parse", f"{base}^{{tree}}")}
