"""The server's in-memory state: repositories with git objects, workflows and their runs, issues, comments, pulls."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

Conclusion = Literal["success", "failure", "cancelled"]
BOT_LOGIN = "github-actions[bot]"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def git_sha(kind: str, payload: bytes) -> str:
    """The object id git itself would give (so shas look and behave like real ones)."""
    return hashlib.sha1(f"{kind} {len(payload)}\0".encode() + payload).hexdigest()


@dataclass(frozen=True)
class Dispatch:
    """What a workflow_dispatch POST asked for; handed to `GitHubServer.on_dispatch`."""

    repo: str
    workflow: str
    ref: str
    inputs: dict[str, Any]
    return_run_details: bool
    actor: str


@dataclass(frozen=True)
class RunScript:
    """How a dispatched run behaves.

    `polls`: how many reads of the run answer queued/in_progress before it answers completed. `appears=False`: the
    dispatch is accepted but the run never shows up (the API answers 404 for it and lists leave it out).
    `files`: the files of the artifact `artifact_name`, uploaded when the run completes (none when empty); `archive`
    replaces the zip the download serves. `artifacts`: more artifacts (name -> files) uploaded with it, as a run
    that fanned out across runners publishes one per leg.
    """

    conclusion: Conclusion = "success"
    polls: int = 1
    failing_job: str | None = None
    failing_step: str | None = None
    jobs: tuple[str, ...] = ("execute",)
    steps: tuple[str, ...] = ("Set up job", "Check out", "Run gwpipelines execute", "Upload results", "Complete job")
    files: dict[str, bytes] = field(default_factory=dict)
    artifact_name: str = "gwpipelines-results"
    artifacts: dict[str, dict[str, bytes]] = field(default_factory=dict)
    appears: bool = True
    # The artifact's bytes as downloaded, instead of a zip of `files` (a truncated or corrupt upload).
    archive: bytes | None = None
    # With the server's `clock` set: the run completes this many clock seconds after its dispatch, not after `polls`.
    seconds: float | None = None


@dataclass
class Workflow:
    id: int
    file_name: str
    name: str
    run_name: str | None
    inputs: frozenset[str] | None
    created_at: str = field(default_factory=now)


@dataclass
class Artifact:
    id: int
    name: str
    files: dict[str, bytes]
    archive: bytes | None = None
    created_at: str = field(default_factory=now)


@dataclass
class Run:
    id: int
    run_number: int
    workflow: Workflow
    dispatch: Dispatch
    script: RunScript
    head_sha: str
    display_title: str
    created_at: str = field(default_factory=now)
    reads: int = 0
    artifacts: list[Artifact] = field(default_factory=list)
    clock: Callable[[], float] | None = None
    started: float = 0.0

    @property
    def completed(self) -> bool:
        if self.script.seconds is not None and self.clock is not None:
            return self.clock() - self.started >= self.script.seconds
        return self.reads > self.script.polls

    @property
    def status(self) -> str:
        if self.completed:
            return "completed"
        return "queued" if self.reads <= 1 and self.script.seconds is None else "in_progress"

    @property
    def conclusion(self) -> str | None:
        return self.script.conclusion if self.completed else None


@dataclass
class Comment:
    id: int
    issue_number: int
    body: str
    user: str
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)


@dataclass
class Issue:
    number: int
    id: int
    title: str
    body: str | None
    user: str
    labels: list[str] = field(default_factory=list)
    state: str = "open"
    state_reason: str | None = None
    assignees: list[str] = field(default_factory=list)
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)
    closed_at: str | None = None
    is_pull: bool = False


@dataclass
class Pull:
    number: int
    id: int
    title: str
    body: str | None
    user: str
    head_ref: str
    head_sha: str
    base_ref: str
    base_sha: str
    merged_sha: str | None = None
    state: str = "open"
    created_at: str = field(default_factory=now)
    updated_at: str = field(default_factory=now)


@dataclass
class GitCommit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author: dict[str, str]


@dataclass
class Repo:
    id: int
    full_name: str
    default_branch: str
    private: bool
    workflows: dict[str, Workflow] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    issues: dict[int, Issue] = field(default_factory=dict)
    pulls: dict[int, Pull] = field(default_factory=dict)
    comments: list[Comment] = field(default_factory=list)
    refs: dict[str, str] = field(default_factory=dict)  # "refs/heads/main" -> commit sha
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, str]] = field(default_factory=dict)  # tree sha -> {full path: blob sha}
    commits: dict[str, GitCommit] = field(default_factory=dict)

    @property
    def owner(self) -> str:
        return self.full_name.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.full_name.split("/", 1)[1]

    def next_number(self) -> int:
        return max([0, *self.issues, *self.pulls]) + 1

    def store_blob(self, content: bytes) -> str:
        sha = git_sha("blob", content)
        self.blobs[sha] = content
        return sha

    def store_tree(self, entries: dict[str, str]) -> str:
        # Trees are kept flat (full path -> blob sha); the id hashes that listing, which is all tests need of it.
        sha = git_sha("tree", json.dumps(sorted(entries.items())).encode())
        self.trees[sha] = dict(entries)
        return sha

    def store_commit(self, tree: str, parents: tuple[str, ...], message: str, author: dict[str, str]) -> str:
        payload = json.dumps([tree, parents, message, author], sort_keys=True).encode()
        sha = git_sha("commit", payload)
        self.commits[sha] = GitCommit(sha, tree, parents, message, author)
        return sha

    def adopt_commit(self, sha: str, message: str) -> None:
        """Makes a sha named by a test (a PR head, a merge commit) a commit of this repo, with the default tree."""
        if sha not in self.commits:
            tree = self.commits[self.refs[f"refs/heads/{self.default_branch}"]].tree
            self.commits[sha] = GitCommit(
                sha, tree, (), message, {"name": "octocat", "email": "octocat@github.com", "date": now()}
            )

    def branch_sha(self, branch: str) -> str | None:
        return self.refs.get(f"refs/heads/{branch}")

    def files_at(self, commit_sha: str) -> dict[str, bytes]:
        tree = self.trees[self.commits[commit_sha].tree]
        return {path: self.blobs[sha] for path, sha in sorted(tree.items())}


class Ids:
    """Globally unique ids, as GitHub's are across repositories."""

    def __init__(self) -> None:
        self._counter = itertools.count(1000)

    def __call__(self) -> int:
        return next(self._counter)


OnDispatch = Callable[[Dispatch], RunScript]
