"""The actions/cache stand-in keeps the scoping the workflows rely on: a pull request's run restores its own entries
and the default branch's, never another branch's; keys are immutable; restore-keys match as prefixes, newest first."""

from __future__ import annotations

from pathlib import Path

from testing.actions.cache import DEFAULT_BRANCH, CacheStore


def _save(store: CacheStore, tmp: Path, ref: str, key: str, text: str) -> str:
    ws = tmp / f"save-{key}-{ref.replace('/', '_')}"
    (ws / "d").mkdir(parents=True, exist_ok=True)
    (ws / "d" / "f").write_text(text)
    return store.save(ws, ref, key, ["d"])


def _restore(store: CacheStore, tmp: Path, ref: str, key: str, prefixes: list[str]) -> tuple[str | None, str]:
    ws = tmp / f"restore-{len(list(tmp.iterdir()))}"
    ws.mkdir()
    _, outputs = store.restore(ws, ref, key, prefixes)
    f = ws / "d" / "f"
    return (f.read_text() if f.exists() else None), outputs["cache-hit"]


def test_scopes_prefixes_and_immutable_keys(tmp_path: Path) -> None:
    store = CacheStore()
    _save(store, tmp_path, DEFAULT_BRANCH, "k-1", "main one")
    _save(store, tmp_path, DEFAULT_BRANCH, "k-2", "main two")
    _save(store, tmp_path, "refs/heads/other", "k-3", "other branch")
    assert "already" in _save(store, tmp_path, DEFAULT_BRANCH, "k-2", "overwritten?")
    pr = "refs/pull/7/merge"
    assert _restore(store, tmp_path, pr, "k-9", ["k-"]) == ("main two", "false")  # newest main entry
    assert _restore(store, tmp_path, pr, "k-1", ["k-"]) == ("main one", "true")
    _save(store, tmp_path, pr, "k-4", "the pull request's own")
    assert _restore(store, tmp_path, pr, "k-9", ["k-"]) == ("the pull request's own", "false")
    assert _restore(store, tmp_path, DEFAULT_BRANCH, "k-9", ["k-"]) == ("main two", "false")
    assert _restore(store, tmp_path, "refs/heads/third", "k-3", []) == (None, "false")


def test_a_path_that_matches_nothing_saves_nothing(tmp_path: Path) -> None:
    store = CacheStore()
    assert "do(es) not exist" in store.save(tmp_path, DEFAULT_BRANCH, "k", ["missing"])
    assert store.entries == []
