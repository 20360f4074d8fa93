"""Event payload parsing, on GitHub's real webhook examples (and variations of them where the package lacks a case)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gwpipelines.errors import UserError
from gwpipelines.github import events
from gwpipelines.models import Event
from testing.cli import run
from testing.gitrepo import GitRepo
from testing.webhooks import examples

ZERO = "0" * 40


def _branch_pushes() -> list[dict[str, Any]]:
    return [p for p in examples("push") if p["ref"].startswith("refs/heads/")]


@pytest.mark.parametrize("payload", examples("pull_request"), ids=lambda p: f"{p['action']}")
def test_every_real_pull_request_payload(payload: dict[str, Any]) -> None:
    context = events.parse("pull_request", payload)
    pull = payload["pull_request"]
    assert context.event is Event.PULL_REQUEST
    assert (context.base, context.head) == (pull["base"]["sha"], pull["head"]["sha"])
    assert context.pr == payload["number"] == pull["number"]
    assert context.branch == pull["head"]["ref"]
    assert context.repo == payload["repository"]["full_name"]
    assert context.default_branch == payload["repository"]["default_branch"]
    assert context.actor == payload["sender"]["login"]
    assert context.action == payload["action"]
    assert not context.new_branch


@pytest.mark.parametrize("payload", _branch_pushes())
def test_the_real_push_that_creates_the_default_branch_asks_for_a_base(payload: dict[str, Any], tmp_path: Path) -> None:
    assert payload["before"] == ZERO
    context = events.parse("push", payload)
    assert context.new_branch and context.base is None and context.head == payload["after"]
    assert context.branch == context.default_branch == "master"
    with pytest.raises(UserError, match=r"push creates the default branch master .*pass --base"):
        events.new_branch_base(context, tmp_path)


@pytest.mark.parametrize("payload", [p for p in examples("push") if p["ref"].startswith("refs/tags/")])
def test_tag_pushes_and_deletions_are_refused_with_the_ref_named(payload: dict[str, Any]) -> None:
    with pytest.raises(UserError, match="push of refs/tags/simple-tag: pipelines run on branch pushes only"):
        events.parse("push", payload)


def _push_on(repo: GitRepo, *, ref: str, before: str, after: str) -> dict[str, Any]:
    """The real branch-creating push payload, moved onto a real repository's commits."""
    payload = _branch_pushes()[0]
    payload.update(ref=ref, before=before, after=after)
    payload["repository"]["default_branch"] = "main"
    return payload


def test_push_to_main_diffs_before_to_after(git_repo: GitRepo) -> None:
    first = git_repo.commit("one")
    second = git_repo.commit("two")
    context = events.parse("push", _push_on(git_repo, ref="refs/heads/main", before=first, after=second))
    assert (context.event, context.base, context.head, context.branch) == (Event.PUSH, first, second, "main")
    assert context.pr is None and not context.new_branch
    assert events.new_branch_base(context, git_repo.path) == first


def test_push_deleting_a_branch_has_nothing_to_do(git_repo: GitRepo) -> None:
    payload = _push_on(git_repo, ref="refs/heads/old", before=git_repo.commit(), after=ZERO)
    with pytest.raises(UserError, match="push deletes branch old: there is nothing to plan or apply"):
        events.parse("push", payload)


def test_new_branch_base_is_where_it_forked_from_the_default_branch(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("live/vpc/terragrunt.hcl", "inputs = {}\n")
    fork_point = git_repo.commit("base")
    git_repo.checkout("-b", "feature")
    git_repo.write("live/vpc/terragrunt.hcl", 'inputs = { cidr = "10.0.0.0/16" }\n')
    head = git_repo.commit("feature work")
    git_repo.checkout("main")
    git_repo.commit("main moved on")
    event = tmp_path / "event.json"
    event.write_text(json.dumps(_push_on(git_repo, ref="refs/heads/feature", before=ZERO, after=head)))

    result = run(
        "event", "--repo", str(git_repo.path), "--event-path", str(event), "--event-name", "push", "--format", "json"
    )

    assert result.code == 0, result.err
    assert result.json() | {"repo": None, "actor": None} == {
        "event": "push",
        "repo": None,
        "default_branch": "main",
        "actor": None,
        "base": fork_point,
        "head": head,
        "branch": "feature",
        "pr": None,
        "action": None,
        "new_branch": True,
    }


def test_new_branch_without_the_default_branch_in_the_checkout_says_how_to_fetch_it(git_repo: GitRepo) -> None:
    git_repo.git("checkout", "-q", "-b", "feature")  # main was never committed to: the checkout has no main
    head = git_repo.commit("only commit")
    context = events.parse("push", _push_on(git_repo, ref="refs/heads/feature", before=ZERO, after=head))
    with pytest.raises(UserError, match=r"cannot find where it forked from main .*fetch-depth: 0"):
        events.new_branch_base(context, git_repo.path)


def test_cli_reads_the_runner_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    payload = examples("pull_request")[0]
    (tmp_path / "event.json").write_text(json.dumps(payload))
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(tmp_path / "event.json"))
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    result = run("event")
    assert result.code == 0, result.err
    pull = payload["pull_request"]
    assert result.out.strip() == (
        f"pull_request {payload['repository']['full_name']} #{payload['number']} {pull['head']['ref']}: "
        f"{pull['base']['sha']}..{pull['head']['sha']}"
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "workflow_dispatch",
            json.dumps(examples("workflow_dispatch")[0]),
            "event 'workflow_dispatch' does not start pipelines; use pull_request or push",
        ),
        ("pull_request", '{\n  "action": \n}', "event.json:3: the event payload is not JSON"),
        ("pull_request", "[]", "event.json: the event payload is not a JSON object"),
        (
            "pull_request",
            json.dumps(
                {
                    "action": "opened",
                    "repository": {"full_name": "a/b", "default_branch": "main"},
                    "sender": {"login": "x"},
                    "number": 1,
                }
            ),
            "field pull_request.head.sha is missing",
        ),
    ],
)
def test_bad_payloads_exit_2_with_one_line(tmp_path: Path, name: str, content: str, message: str) -> None:
    (tmp_path / "event.json").write_text(content)
    result = run("event", "--event-path", str(tmp_path / "event.json"), "--event-name", name)
    assert result.code == 2
    assert message in result.err and len(result.err.strip().splitlines()) == 1


def test_outside_actions_the_cli_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_EVENT_PATH", raising=False)
    monkeypatch.delenv("GITHUB_EVENT_NAME", raising=False)
    result = run("event")
    assert result.code == 2
    assert "GITHUB_EVENT_NAME and GITHUB_EVENT_PATH not set" in result.err
