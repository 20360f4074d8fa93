"""GitHub event payloads (`GITHUB_EVENT_PATH`): what to diff, for which event, PR and repository.

Only `pull_request` and `push` start pipelines. Parsing is pure (`parse`); reading the file (`load`) and finding the
base of a newly pushed branch (`new_branch_base`, which needs git) sit at the edges.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gwpipelines import git
from gwpipelines.errors import GitError, UserError
from gwpipelines.github.actions import Runner
from gwpipelines.models import Event

BRANCH_PREFIX = "refs/heads/"


@dataclass(frozen=True)
class EventContext:
    """What an event asks gwpipelines to do, in the orchestrator's terms.

    `base` is None only for a push that creates a branch (`new_branch`): the payload's `before` is forty zeros and
    names no commit; `new_branch_base` says what to diff against.
    """

    event: Event
    repo: str
    default_branch: str
    actor: str
    head: str
    base: str | None
    branch: str
    pr: int | None = None
    action: str | None = None
    new_branch: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "event": str(self.event),
            "repo": self.repo,
            "default_branch": self.default_branch,
            "actor": self.actor,
            "base": self.base,
            "head": self.head,
            "branch": self.branch,
            "pr": self.pr,
            "action": self.action,
            "new_branch": self.new_branch,
        }


def load(path: Path, event_name: str) -> EventContext:
    """Reads and parses the event file the runner wrote (GITHUB_EVENT_PATH) for GITHUB_EVENT_NAME."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UserError(f"{path}: cannot read the event payload ({error.strerror}); set GITHUB_EVENT_PATH") from None
    except json.JSONDecodeError as error:
        raise UserError(f"{path}:{error.lineno}: the event payload is not JSON ({error.msg})") from None
    if not isinstance(payload, dict):
        raise UserError(f"{path}: the event payload is not a JSON object")
    return parse(event_name, payload, source=str(path))


def from_runner(runner: Runner, *, hint: str) -> EventContext:
    """The event of the running workflow, as the runner describes it; `hint` (the caller's options) ends the line
    that refuses a runner without one."""
    given = (("GITHUB_EVENT_NAME", runner.event_name), ("GITHUB_EVENT_PATH", runner.event_path))
    missing = [name for name, value in given if not value]
    if missing:
        raise UserError(f"{' and '.join(missing)} not set: {hint}")
    return load(Path(runner.event_path), runner.event_name)


def parse(event_name: str, payload: Mapping[str, Any], *, source: str = "event payload") -> EventContext:
    if event_name == Event.PULL_REQUEST:
        return _pull_request(payload, source)
    if event_name == Event.PUSH:
        return _push(payload, source)
    raise UserError(f"{source}: event {event_name!r} does not start pipelines; use pull_request or push")


def _field(payload: Mapping[str, Any], dotted: str, source: str) -> Any:
    value: Any = payload
    for key in dotted.split("."):
        if not isinstance(value, Mapping) or value.get(key) is None:
            raise UserError(f"{source}: field {dotted} is missing; is this a GitHub webhook payload?")
        value = value[key]
    return value


def _repository(payload: Mapping[str, Any], source: str) -> tuple[str, str, str]:
    return (
        str(_field(payload, "repository.full_name", source)),
        str(_field(payload, "repository.default_branch", source)),
        str(_field(payload, "sender.login", source)),
    )


def _pull_request(payload: Mapping[str, Any], source: str) -> EventContext:
    repo, default_branch, actor = _repository(payload, source)
    # base.sha is the base branch's tip when the event fired; the orchestrator diffs from the merge-base of the two,
    # so commits that landed on the base branch since the PR was opened are not attributed to it.
    return EventContext(
        event=Event.PULL_REQUEST,
        repo=repo,
        default_branch=default_branch,
        actor=actor,
        head=str(_field(payload, "pull_request.head.sha", source)),
        base=str(_field(payload, "pull_request.base.sha", source)),
        branch=str(_field(payload, "pull_request.head.ref", source)),
        pr=int(_field(payload, "number", source)),
        action=str(payload.get("action")) if payload.get("action") is not None else None,
    )


def _push(payload: Mapping[str, Any], source: str) -> EventContext:
    repo, default_branch, actor = _repository(payload, source)
    ref = str(_field(payload, "ref", source))
    if not ref.startswith(BRANCH_PREFIX):
        raise UserError(f"{source}: push of {ref}: pipelines run on branch pushes only; filter on branches")
    branch = ref.removeprefix(BRANCH_PREFIX)
    before, after = str(_field(payload, "before", source)), str(_field(payload, "after", source))
    if after == git.ZERO_SHA:
        raise UserError(f"{source}: push deletes branch {branch}: there is nothing to plan or apply")
    new_branch = before == git.ZERO_SHA
    return EventContext(
        event=Event.PUSH,
        repo=repo,
        default_branch=default_branch,
        actor=actor,
        head=after,
        base=None if new_branch else before,
        branch=branch,
        new_branch=new_branch,
    )


def new_branch_base(context: EventContext, checkout: Path) -> str:
    """The base for a push that created a branch: where it forked from the default branch.

    The first push of the default branch itself has no such point; applying the whole repository on it would be a
    guess, so the user is asked to say what to diff against instead.
    """
    if context.base is not None:
        return context.base
    if context.branch == context.default_branch:
        raise UserError(
            f"push creates the default branch {context.branch} ({context.head}): there is no base to diff against; "
            "pass --base with the commit to compare with"
        )
    for candidate in (f"origin/{context.default_branch}", context.default_branch):
        try:
            return git.merge_base(checkout, candidate, context.head)
        except GitError:
            continue
    raise UserError(
        f"push creates branch {context.branch}: cannot find where it forked from {context.default_branch} in "
        f"{checkout}; fetch {context.default_branch} (actions/checkout with fetch-depth: 0) or pass --base"
    )
