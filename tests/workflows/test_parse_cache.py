"""The action keeps the orchestrator's parse cache between runs (issue 16 item 2): a run of the default branch saves
it, a later pull request's run restores it and saves nothing, `parse-cache: false` does neither, the saved cache
stays under `parse-cache-max-mb`. Run through the local workflow runner, action.yml step by step, with its
actions/cache stand-in (scoped by ref, as GitHub's is: a pull request's run reads its own ref's and the default
branch's entries, and writes only its own)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from testing.actions.cache import DEFAULT_BRANCH
from testing.actions.runner import Runner, WorkflowRun, clean_env
from testing.actions.workflows import LIVE_TEMPLATE
from testing.e2e import LIVE_REPO, pull_request_event, push_event
from testing.gitrepo import GitRepo

PR = 7
PR_REF = f"refs/pull/{PR}/merge"
CACHE = Path(".git") / "gwpipelines"


def workflow(command: str, **with_: str) -> dict[str, Any]:
    """A live repository's job: check out with history, then the action (base, head, event from the payload); a
    command such as "orchestrate,dry-run" runs the action once for each, as live.yml's job does."""
    checkout = {"ref": "${{ github.event.pull_request.head.sha || github.sha }}", "fetch-depth": 0}
    outputs = ("status", "counts", "changed-units", "json-file")
    last = f"gw{command.count(',')}"  # the outputs are the last command's
    return {
        "on": {"push": {}, "pull_request": {}},
        "jobs": {
            "live": {
                "runs-on": "ubuntu-latest",
                "permissions": {"contents": "read"},
                "outputs": {name: "${{ steps." + last + ".outputs." + name + " }}" for name in outputs},
                "steps": [
                    {"uses": "actions/checkout@v7", "with": {**checkout, "persist-credentials": False}},
                    *(
                        {"id": f"gw{i}", "uses": "gwpipelines/gwpipelines@v0.1.0", "with": {"command": c, **with_}}
                        for i, c in enumerate(command.split(","))
                    ),
                ],
            }
        },
    }


class Live:
    def __init__(self, tmp: Path) -> None:
        self.repo = GitRepo.from_tree(LIVE_TEMPLATE, tmp / "live")
        self.runner = Runner(root=tmp / "runner", repos={LIVE_REPO: self.repo.path}, env=clean_env())

    def run(self, event: str, payload: dict[str, Any], sha: str, ref: str, command: str, **with_: str) -> WorkflowRun:
        github = {"event_name": event, "event": payload, "repository": LIVE_REPO, "sha": sha, "ref": ref}
        return self.runner.run(workflow(command, **with_), github=github)

    def push(self, before: str, after: str, command: str = "orchestrate", **with_: str) -> WorkflowRun:
        return self.run("push", push_event(before, after), after, DEFAULT_BRANCH, command, **with_)

    def pull_request(self, base: str, head: str, command: str = "dry-run", **with_: str) -> WorkflowRun:
        return self.run("pull_request", pull_request_event(base, head, PR), head, PR_REF, command, **with_)

    def change(self, text: str) -> str:
        self.repo.append("_envcommon/redis.hcl", f"\n# {text}\n")
        return self.repo.commit(text)

    def tree(self, sha: str) -> str:
        return self.repo.git("rev-parse", f"{sha}^{{tree}}")

    def workspace(self) -> Path:
        """The workspace of the last job run."""
        return max(self.runner.root.glob("job-*/workspace"), key=lambda p: int(p.parent.name.split("-")[1]))


def step(run: WorkflowRun, name: str, nth: int = 0) -> str:
    log = [s for s in run.log if s.name == name][nth]
    return f"{log.outcome}: {log.stdout}{log.stderr}"


def answer(run: WorkflowRun) -> tuple[str, str, str, str]:
    out = run.jobs["live"].outputs
    assert run.conclusion == "success" and out["status"] == "success", run.text()
    return out["counts"], out["changed-units"], Path(out["json-file"]).read_text(), out["status"]


@pytest.fixture
def live(tmp_path: Path) -> Live:
    return Live(tmp_path)


def test_a_push_to_main_saves_and_a_pull_request_restores_it_and_saves_nothing(live: Live) -> None:
    base = live.repo.head()
    main = live.change("redis 7.2")
    pushed = live.push(base, main)
    answer(pushed)
    assert "Cache not found" in step(pushed, "Restore the parse cache")
    assert "Cache saved with key: gwpipelines-parse-Linux-" in step(pushed, "Save the parse cache")
    [entry] = live.runner.caches.entries
    assert entry.scope == DEFAULT_BRANCH and entry.key.endswith(f"-{main}")
    analysed = {name: data for name, data in entry.files.items() if live.tree(main) in Path(name).name}
    assert analysed and all(Path(name).parent == CACHE for name in entry.files)

    live.repo.checkout("-b", "change")
    head = live.change("redis 7.4")
    warm = live.pull_request(main, head)
    assert f"Cache restored from key: {entry.key}" in step(warm, "Restore the parse cache")
    # The pull request's base, main's tree, was analysed by the push run: its entries are those bytes.
    for name, data in analysed.items():
        assert (live.workspace() / name).read_bytes() == data
    assert step(warm, "Save the parse cache").startswith("skipped")
    assert live.runner.caches.entries == [entry]

    cold = live.pull_request(main, head, **{"parse-cache": "false"})
    assert step(cold, "Restore the parse cache").startswith("skipped")
    assert answer(warm) == answer(cold)  # the cache changes how fast, never what
    assert live.runner.caches.entries == [entry]


def test_parse_cache_false_neither_restores_nor_saves(live: Live) -> None:
    base = live.repo.head()
    main = live.change("redis 7.2")
    answer(live.push(base, main))
    off = live.push(main, live.change("redis 7.4"), **{"parse-cache": "false"})
    answer(off)
    assert step(off, "Restore the parse cache").startswith("skipped")
    assert step(off, "Save the parse cache").startswith("skipped")
    assert len(live.runner.caches.entries) == 1


def test_a_run_of_main_never_restores_what_a_pull_request_saved(live: Live, tmp_path: Path) -> None:
    """Pull-request code can save into its own ref's scope: a run of the default branch must not read it."""
    base = live.repo.head()
    live.repo.checkout("-b", "change")
    head = live.change("redis 7.4")
    pr = live.pull_request(base, head)
    key = next(s for s in pr.log if s.name == "Restore the parse cache").stdout.split(": ", 1)[1].split(", ")[0]
    planted = tmp_path / "planted"
    (planted / CACHE).mkdir(parents=True)
    pwned = tmp_path / "pwned"
    (planted / CACHE / "side-planted.pickle").write_bytes(b"cos\nsystem\n(S'touch " + bytes(pwned) + b"'\ntR.")
    assert "saved" in live.runner.caches.save(planted, PR_REF, key.removesuffix(head) + "f" * 40, [str(CACHE)])

    live.repo.checkout("main")
    live.repo.git("merge", "-q", "--ff-only", "change")
    pushed = live.push(base, head)
    answer(pushed)
    assert "Cache not found" in step(pushed, "Restore the parse cache")
    assert not (live.workspace() / CACHE / "side-planted.pickle").exists()
    [saved] = [e for e in live.runner.caches.entries if e.scope == DEFAULT_BRANCH]
    assert not any("planted" in name for name in saved.files) and not pwned.exists()


def test_a_broken_entry_restored_is_ignored(live: Live, tmp_path: Path) -> None:
    base = live.repo.head()
    main = live.change("redis 7.2")
    answer(live.push(base, main))
    [entry] = live.runner.caches.entries
    broken = tmp_path / "broken"
    for name in entry.files:
        (broken / name).parent.mkdir(parents=True, exist_ok=True)
        (broken / name).write_bytes(b"not a pickle")
    live.runner.caches.save(broken, DEFAULT_BRANCH, entry.key + "-broken", [str(CACHE)])
    live.repo.checkout("-b", "change")
    head = live.change("redis 7.4")
    restored = live.pull_request(main, head)
    assert f"Cache restored from key: {entry.key}-broken" in step(restored, "Restore the parse cache")
    assert answer(restored) == answer(live.pull_request(main, head, **{"parse-cache": "false"}))


def test_the_saved_cache_keeps_the_newest_entries_under_the_bound(live: Live, tmp_path: Path) -> None:
    base = live.repo.head()
    main = live.change("redis 7.2")
    answer(live.push(base, main))
    [first] = live.runner.caches.entries
    # An old, big entry in main's cache (restored first, so older than anything the next run writes).
    big = tmp_path / "big"
    (big / CACHE).mkdir(parents=True)
    (big / CACHE / "side-old.pickle").write_bytes(b"\0" * (2 * 1024 * 1024))
    live.runner.caches.save(big, DEFAULT_BRANCH, first.key + "-big", [str(CACHE)])

    pushed = live.push(main, live.change("redis 7.4"), **{"parse-cache-max-mb": "1"})
    answer(pushed)
    assert "1 removed (bound 1 MB)" in step(pushed, "Keep the parse cache under its size bound")
    last = live.runner.caches.entries[-1]
    assert last.scope == DEFAULT_BRANCH and not any("side-old" in name for name in last.files)
    assert sum(len(d) for d in last.files.values()) <= 1024 * 1024
    assert any(live.tree(main) in Path(name).name for name in last.files)  # the newest entries are kept


@pytest.mark.parametrize(("name", "value"), [("parse-cache", "yes please"), ("parse-cache-max-mb", "1e3")])
def test_a_bad_parse_cache_input_fails_the_step_naming_it(live: Live, name: str, value: str) -> None:
    base = live.repo.head()
    run = live.push(base, live.change("redis 7.2"), **{name: value})
    assert run.conclusion == "failure"
    text = step(run, "Where the parse cache lives and whether this run may save it")
    assert text.startswith("failure") and f"action input {name}: not" in text
    assert live.runner.caches.entries == []


def test_a_second_command_in_the_job_neither_restores_nor_saves_again(live: Live) -> None:
    base = live.repo.head()
    run = live.push(base, live.change("redis 7.2"), "orchestrate,dry-run")
    answer(run)
    assert step(run, "Save the parse cache", 0).startswith("success")
    assert step(run, "Restore the parse cache", 1).startswith("skipped")
    assert step(run, "Save the parse cache", 1).startswith("skipped")
    assert len(live.runner.caches.entries) == 1
